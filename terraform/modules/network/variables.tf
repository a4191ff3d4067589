variable "name" {
  description = "Name prefix for every resource in the network (Name tags and security group names)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "name must be 3-32 characters of lowercase letters, digits and hyphens, not starting or ending with a hyphen."
  }
}

variable "cidr" {
  description = "IPv4 CIDR block of the VPC. Prefix length 16-24; subnets are carved with 4 extra bits."
  type        = string
  default     = "10.20.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr, 0)) && try(tonumber(split("/", var.cidr)[1]) >= 16 && tonumber(split("/", var.cidr)[1]) <= 24, false)
    error_message = "cidr must be a valid IPv4 CIDR block with a prefix length between /16 and /24."
  }
}

variable "azs" {
  description = "Availability zone names to use. Empty = the first az_count zones reported by aws_availability_zones."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.azs) == 0 || (length(var.azs) >= 2 && length(var.azs) <= 8 && length(distinct(var.azs)) == length(var.azs))
    error_message = "azs must be empty or list 2-8 distinct availability zone names."
  }
}

variable "az_count" {
  description = "How many availability zones to spread subnets over when azs is empty."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 8 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number between 2 and 8."
  }
}

variable "app_port" {
  description = "TCP port the application instances listen on (allowed from the ALB security group)."
  type        = number
  default     = 80

  validation {
    condition     = var.app_port >= 1 && var.app_port <= 65535 && floor(var.app_port) == var.app_port
    error_message = "app_port must be a whole number between 1 and 65535."
  }
}

variable "db_port" {
  description = "TCP port of the database (allowed from the app security group)."
  type        = number
  default     = 5432

  validation {
    condition     = var.db_port >= 1 && var.db_port <= 65535 && floor(var.db_port) == var.db_port
    error_message = "db_port must be a whole number between 1 and 65535."
  }
}

variable "alb_ingress_cidr_blocks" {
  description = "IPv4 CIDR blocks allowed to reach the load balancer on port 80."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.alb_ingress_cidr_blocks) > 0 && alltrue([for c in var.alb_ingress_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "alb_ingress_cidr_blocks must be a non-empty list of valid IPv4 CIDR blocks."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
