variable "name" {
  description = "Name used in the health checks' Name tags (usually the project)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,62}$", var.name))
    error_message = "name must be 1-63 lowercase letters, digits and hyphens, starting with a letter or digit."
  }
}

variable "create_zone" {
  description = "Create the hosted zone (true) or use the existing zone_id (false)."
  type        = bool
  default     = true
}

variable "zone_name" {
  description = "DNS name of the hosted zone, without a trailing dot (e.g. webapp.example.internal). With create_zone = false it must be the existing zone's name."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.zone_name))
    error_message = "zone_name must be a lowercase DNS name with at least two labels and no trailing dot."
  }
}

variable "zone_id" {
  description = "ID of an existing hosted zone (create_zone = false only)."
  type        = string
  default     = null
}

variable "private_zone_vpc" {
  description = "Make the created zone private to this VPC ({ vpc_id, vpc_region }); null = public zone. Route53 health checks cannot probe private endpoints: keep null for the failover setup."
  type = object({
    vpc_id     = string
    vpc_region = string
  })
  default = null
}

variable "force_destroy" {
  description = "Delete all records when the created zone is destroyed."
  type        = bool
  default     = false
}

variable "record_names" {
  description = "Names of the service's records, RELATIVE to zone_name (\"www\" -> www.<zone_name>); \"@\" is the zone apex (alias records only)."
  type        = list(string)

  validation {
    condition     = length(var.record_names) > 0 && length(distinct(var.record_names)) == length(var.record_names)
    error_message = "record_names must be a non-empty list of distinct names."
  }

  validation {
    condition     = alltrue([for n in var.record_names : n == "@" || can(regex("^(\\*|[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$", n))])
    error_message = "Each record name must be \"@\" or a relative lowercase DNS name (no trailing dot, not the zone name itself)."
  }
}

variable "routing_policy" {
  description = "\"failover\": PRIMARY/SECONDARY records driven by health checks. \"weighted\": two weighted records (primary_weight/standby_weight)."
  type        = string
  default     = "failover"

  validation {
    condition     = contains(["failover", "weighted"], var.routing_policy)
    error_message = "routing_policy must be \"failover\" or \"weighted\"."
  }
}

variable "primary_weight" {
  description = "Weight of the primary record at creation (weighted policy). Ignored afterwards: the orchestrator owns the weights."
  type        = number
  default     = 100

  validation {
    condition     = var.primary_weight >= 0 && var.primary_weight <= 255 && floor(var.primary_weight) == var.primary_weight
    error_message = "primary_weight must be a whole number between 0 and 255."
  }
}

variable "standby_weight" {
  description = "Weight of the standby record at creation (weighted policy). Ignored afterwards: the orchestrator owns the weights."
  type        = number
  default     = 0

  validation {
    condition     = var.standby_weight >= 0 && var.standby_weight <= 255 && floor(var.standby_weight) == var.standby_weight
    error_message = "standby_weight must be a whole number between 0 and 255."
  }
}

variable "endpoints" {
  description = "Load balancer of each role: { primary = { region, lb_dns_name, lb_zone_id }, standby = { ... } }."
  type = map(object({
    region      = string
    lb_dns_name = string
    lb_zone_id  = string
  }))

  validation {
    condition     = length(var.endpoints) == 2 && contains(keys(var.endpoints), "primary") && contains(keys(var.endpoints), "standby")
    error_message = "endpoints must have exactly the keys \"primary\" and \"standby\"."
  }

  validation {
    condition     = alltrue([for e in values(var.endpoints) : e.lb_dns_name != "" && e.lb_zone_id != "" && can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", e.region))])
    error_message = "Each endpoint needs a region name, a non-empty lb_dns_name and a non-empty lb_zone_id."
  }
}

variable "use_alias" {
  description = "Point the records at the load balancers with alias records (true) or CNAME records with ttl (false)."
  type        = bool
  default     = true
}

variable "evaluate_target_health" {
  description = "Alias records only: let Route53 also evaluate the load balancer's own target health."
  type        = bool
  default     = true
}

variable "ttl" {
  description = "TTL in seconds of non-alias (CNAME) records."
  type        = number
  default     = 60

  validation {
    condition     = var.ttl >= 0 && var.ttl <= 86400 && floor(var.ttl) == var.ttl
    error_message = "ttl must be a whole number of seconds between 0 and 86400."
  }
}

variable "health_check_port" {
  description = "Port the Route53 health checks probe on each load balancer."
  type        = number
  default     = 80

  validation {
    condition     = var.health_check_port >= 1 && var.health_check_port <= 65535 && floor(var.health_check_port) == var.health_check_port
    error_message = "health_check_port must be a whole number between 1 and 65535."
  }
}

variable "health_check_path" {
  description = "HTTP path the Route53 health checks request."
  type        = string
  default     = "/health"

  validation {
    condition     = startswith(var.health_check_path, "/") && length(var.health_check_path) <= 255
    error_message = "health_check_path must start with / and be at most 255 characters."
  }
}

variable "health_check_failure_threshold" {
  description = "Consecutive failures before an endpoint is unhealthy."
  type        = number
  default     = 3

  validation {
    condition     = var.health_check_failure_threshold >= 1 && var.health_check_failure_threshold <= 10 && floor(var.health_check_failure_threshold) == var.health_check_failure_threshold
    error_message = "health_check_failure_threshold must be a whole number between 1 and 10."
  }
}

variable "health_check_request_interval" {
  description = "Seconds between health-check requests: 10 (fast, extra cost) or 30."
  type        = number
  default     = 10

  validation {
    condition     = contains([10, 30], var.health_check_request_interval)
    error_message = "health_check_request_interval must be 10 or 30."
  }
}

variable "evicted_regions" {
  description = "Regions whose failover records standby deleted at a failover (a demoted region is not a live SECONDARY); the failback puts them back. Set by standby, not by hand."
  type        = list(string)
  default     = []
}

variable "health_check_ids_override" {
  description = "Region -> health check id to attach to that region's records instead of its HTTP check (standby's traffic switches, created outside this module: traffic moves by health-check state, with no record change)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for id in values(var.health_check_ids_override) : id != ""])
    error_message = "health_check_ids_override values must be health check ids (non-empty)."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
