################################################################################
# Identity and role (the contract the orchestrator writes as tfvars JSON)
################################################################################

variable "project" {
  description = "Project name: prefix of every resource name (VPC, groups, load balancers, \"<project>-db\", buckets)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.project)) && !strcontains(var.project, "--")
    error_message = "project must be 3-20 characters of lowercase letters, digits and hyphens, start with a letter, not end with a hyphen nor contain \"--\"."
  }
}

variable "role" {
  description = "Role of this region: \"primary\" (serves traffic, owns the writable database) or \"standby\" (scaled down, read replica)."
  type        = string

  validation {
    condition     = contains(["primary", "standby"], var.role)
    error_message = "role must be \"primary\" or \"standby\"."
  }
}

variable "region" {
  description = "Region this stack is applied to. Must equal primary_region (role = primary) or standby_region (role = standby)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "primary_region" {
  description = "Region of the primary (the standby's database replicates from there)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.primary_region))
    error_message = "primary_region must be an AWS region name such as us-east-1."
  }
}

variable "standby_region" {
  description = "Region of the standby (the primary's bucket replicates there)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.standby_region))
    error_message = "standby_region must be an AWS region name such as us-west-2."
  }
}

################################################################################
# Compute
################################################################################

variable "capacity" {
  description = "Auto scaling groups by name (1-11 lowercase letters/digits, starting with a letter): { web = { min_size, max_size, desired_capacity } }. desired_capacity only applies at creation; afterwards the orchestrator owns it."
  type = map(object({
    min_size         = number
    max_size         = number
    desired_capacity = number
  }))

  validation {
    condition     = length(var.capacity) > 0 && alltrue([for name in keys(var.capacity) : can(regex("^[a-z][a-z0-9]{0,10}$", name))])
    error_message = "capacity must have at least one group; group names are 1-11 lowercase letters and digits starting with a letter."
  }

  validation {
    condition     = alltrue([for c in values(var.capacity) : c.min_size >= 0 && c.min_size <= c.desired_capacity && c.desired_capacity <= c.max_size && c.max_size >= 1])
    error_message = "Each group needs 0 <= min_size <= desired_capacity <= max_size and max_size >= 1."
  }

  validation {
    condition     = alltrue([for c in values(var.capacity) : floor(c.min_size) == c.min_size && floor(c.max_size) == c.max_size && floor(c.desired_capacity) == c.desired_capacity])
    error_message = "Capacities must be whole numbers."
  }
}

variable "instance_type" {
  description = "EC2 instance type of every group."
  type        = string
  default     = "t3.micro"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must look like t3.micro."
  }
}

variable "ami_id" {
  description = "AMI of the instances. null = the newest Amazon Linux 2 x86_64 gp2 AMI owned by amazon in this region (data source)."
  type        = string
  default     = null

  validation {
    condition     = var.ami_id == null || can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must be null or look like ami-0123456789abcdef0."
  }
}

variable "app_port" {
  description = "Port the instances serve HTTP on."
  type        = number
  default     = 80

  validation {
    condition     = var.app_port >= 1 && var.app_port <= 65535 && floor(var.app_port) == var.app_port
    error_message = "app_port must be a whole number between 1 and 65535."
  }
}

variable "user_data" {
  description = "User data script of the instances. null = a small script serving / and /health on app_port."
  type        = string
  default     = null
}

################################################################################
# Database
################################################################################

variable "enable_database" {
  description = "Create the RDS PostgreSQL instance (primary) / cross-region read replica (standby)."
  type        = bool
  default     = true
}

variable "db_instance_class" {
  description = "DB instance class."
  type        = string
  default     = "db.t3.micro"

  validation {
    condition     = startswith(var.db_instance_class, "db.")
    error_message = "db_instance_class must start with \"db.\"."
  }
}

variable "db_engine_version" {
  description = "PostgreSQL version of the primary (a replica follows its source). A major version lets RDS choose the minor version without a diff."
  type        = string
  default     = "15"

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?$", var.db_engine_version))
    error_message = "db_engine_version must look like 15 or 15.4."
  }
}

variable "db_allocated_storage" {
  description = "Allocated storage in GiB."
  type        = number
  default     = 20

  validation {
    condition     = var.db_allocated_storage >= 20 && var.db_allocated_storage <= 65536 && floor(var.db_allocated_storage) == var.db_allocated_storage
    error_message = "db_allocated_storage must be a whole number of GiB between 20 and 65536."
  }
}

variable "db_username" {
  description = "Master username (used by the primary; a replica inherits it)."
  type        = string
  default     = "app_admin"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.db_username)) && !contains(["rdsadmin", "admin"], lower(var.db_username))
    error_message = "db_username must be 1-63 letters, digits or underscores, start with a letter, and not be rdsadmin or admin."
  }
}

variable "db_password" {
  description = "Master password (used by the primary). No default: the orchestrator passes it. 8-128 characters without /, @, \" or spaces."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^[^/@\" ]{8,128}$", var.db_password))
    error_message = "db_password must be 8-128 characters and must not contain /, @, \" or spaces."
  }
}

variable "db_kms_key_id" {
  description = "KMS key ARN (in this region) for the standby's replica. Not needed on moto; on real AWS a cross-region replica of an encrypted primary requires one."
  type        = string
  default     = null
}

variable "db_skip_final_snapshot" {
  description = "Delete the primary's database without a final snapshot (default false: it keeps one, see modules/database)."
  type        = bool
  default     = false
}

################################################################################
# Parameters, storage, network, tags
################################################################################

variable "parameters" {
  description = "Application settings stored as SSM String parameters under /<project>/ (same names in both regions)."
  type        = map(string)
  default     = {}
}

variable "enable_storage" {
  description = "Create the versioned S3 bucket <project>-<region>-data."
  type        = bool
  default     = true
}

variable "enable_storage_replication" {
  description = "Primary only: replicate its bucket to <project>-<standby_region>-data. Turn on once the standby stack has been applied (the destination must exist)."
  type        = bool
  default     = false
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC (the same in both regions is fine: the VPCs are not peered)."
  type        = string
  default     = "10.20.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 24, false)
    error_message = "vpc_cidr must be a valid IPv4 CIDR block with a prefix length between /16 and /24."
  }
}

variable "tags" {
  description = "Tags for every resource (provider default_tags and the auto scaling groups' propagated tags)."
  type        = map(string)
  default     = {}
}
