variable "project" {
  description = "Project name (health-check Name tags, zone comment)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.project)) && !strcontains(var.project, "--")
    error_message = "project must be 3-20 characters of lowercase letters, digits and hyphens, start with a letter, not end with a hyphen nor contain \"--\"."
  }
}

variable "dns_region" {
  description = "Region of the provider (Route53's control plane is us-east-1)."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.dns_region))
    error_message = "dns_region must be an AWS region name such as us-east-1."
  }
}

variable "create_zone" {
  description = "Create the hosted zone zone_name (true) or use the existing zone_id (false)."
  type        = bool
  default     = true
}

variable "zone_id" {
  description = "Existing hosted zone id (create_zone = false only)."
  type        = string
  default     = null
}

variable "zone_name" {
  description = "DNS name of the hosted zone without a trailing dot, e.g. webapp.example.internal."
  type        = string
}

variable "record_names" {
  description = "Service record names RELATIVE to zone_name (\"www\" -> www.<zone_name>; \"@\" = zone apex, alias only). Not FQDNs."
  type        = list(string)
  default     = ["www"]
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

variable "use_alias" {
  description = "Alias A records to the load balancers (true) or CNAME records with ttl (false)."
  type        = bool
  default     = true
}

variable "routing_policy" {
  description = "\"failover\" (PRIMARY/SECONDARY by health check) or \"weighted\" (primary_weight/standby_weight at creation)."
  type        = string
  default     = "failover"

  validation {
    condition     = contains(["failover", "weighted"], var.routing_policy)
    error_message = "routing_policy must be \"failover\" or \"weighted\"."
  }
}

variable "primary_weight" {
  description = "Weighted policy: weight of the primary at creation (0-255). Afterwards the orchestrator owns the weights."
  type        = number
  default     = 100

  validation {
    condition     = var.primary_weight >= 0 && var.primary_weight <= 255 && floor(var.primary_weight) == var.primary_weight
    error_message = "primary_weight must be a whole number between 0 and 255."
  }
}

variable "standby_weight" {
  description = "Weighted policy: weight of the standby at creation (0-255). Afterwards the orchestrator owns the weights."
  type        = number
  default     = 0

  validation {
    condition     = var.standby_weight >= 0 && var.standby_weight <= 255 && floor(var.standby_weight) == var.standby_weight
    error_message = "standby_weight must be a whole number between 0 and 255."
  }
}

variable "endpoints" {
  description = "Load balancer per role, from the region stacks' outputs: { primary = { region, lb_dns_name, lb_zone_id }, standby = { ... } }."
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
    condition     = try(var.endpoints["primary"].region != var.endpoints["standby"].region, true)
    error_message = "The primary and standby endpoints must be in different regions."
  }
}

variable "health_check_path" {
  description = "HTTP path the Route53 health checks request on each load balancer (port 80)."
  type        = string
  default     = "/health"
}

variable "health_check_request_interval" {
  description = "Seconds between Route53 health-check requests: 10 or 30."
  type        = number
  default     = 10
}

variable "tags" {
  description = "Tags for every resource (provider default_tags)."
  type        = map(string)
  default     = {}
}

variable "evicted_regions" {
  description = "Regions whose records standby deleted at a failover; set by standby."
  type        = list(string)
  default     = []
}

variable "health_check_ids_override" {
  description = "Region -> health check id for that region's records (standby's traffic switches when [failover] traffic_mode = \"health-check\"); empty: the HTTP checks."
  type        = map(string)
  default     = {}
}
