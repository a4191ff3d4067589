variable "role" {
  description = "\"primary\": a normal instance. \"standby\": a cross-region read replica of source_db_arn."
  type        = string

  validation {
    condition     = contains(["primary", "standby"], var.role)
    error_message = "role must be \"primary\" or \"standby\"."
  }
}

variable "identifier" {
  description = "DB instance identifier. Use the same identifier in both regions: the standby derives the primary's ARN from it."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}$", var.identifier)) && !endswith(var.identifier, "-") && !strcontains(var.identifier, "--")
    error_message = "identifier must be 1-63 lowercase letters, digits and hyphens, start with a letter, not end with a hyphen nor contain two consecutive hyphens."
  }
}

variable "source_db_arn" {
  description = "ARN of the primary DB instance to replicate (role = standby only; required there)."
  type        = string
  default     = null

  validation {
    condition     = var.source_db_arn == null || can(regex("^arn:[a-z-]+:rds:[a-z0-9-]+:[0-9]{12}:db:[a-z][a-z0-9-]*$", var.source_db_arn))
    error_message = "source_db_arn must be an RDS DB instance ARN with an account id: arn:<partition>:rds:<region>:<account>:db:<identifier>."
  }
}

variable "subnet_ids" {
  description = "Subnets of the DB subnet group (at least two availability zones)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list at least two subnets in different availability zones."
  }
}

variable "db_subnet_group_name" {
  description = "Name of the DB subnet group. Must be the same in both regions (see README). Default: \"<identifier>-subnets\"."
  type        = string
  default     = null

  validation {
    condition     = var.db_subnet_group_name == null || can(regex("^[a-z0-9][a-z0-9 ._-]{0,254}$", var.db_subnet_group_name))
    error_message = "db_subnet_group_name must be 1-255 lowercase letters, digits, spaces, periods, underscores and hyphens."
  }
}

variable "vpc_security_group_ids" {
  description = "Security groups of the DB instance."
  type        = list(string)

  validation {
    condition     = length(var.vpc_security_group_ids) > 0
    error_message = "vpc_security_group_ids must not be empty."
  }
}

variable "engine_version" {
  description = "PostgreSQL engine version (primary only; a replica follows its source). A major version (\"15\") lets RDS pick and upgrade the minor version without a diff."
  type        = string
  default     = "15"

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must look like 15 or 15.4."
  }
}

variable "instance_class" {
  description = "DB instance class."
  type        = string
  default     = "db.t3.micro"

  validation {
    condition     = startswith(var.instance_class, "db.")
    error_message = "instance_class must start with \"db.\"."
  }
}

variable "allocated_storage" {
  description = "Allocated storage in GiB."
  type        = number
  default     = 20

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 65536 && floor(var.allocated_storage) == var.allocated_storage
    error_message = "allocated_storage must be a whole number of GiB between 20 and 65536."
  }
}

variable "storage_encrypted" {
  description = "Encrypt storage. Must match between the primary and its replica. On real AWS a cross-region replica of an encrypted source needs kms_key_id (a key in the standby region)."
  type        = bool
  default     = true
}

variable "kms_key_id" {
  description = "KMS key ARN for storage encryption (null: the AWS managed key for RDS; a cross-region replica on real AWS needs one)."
  type        = string
  default     = null
}

variable "username" {
  description = "Master username (primary only; a replica inherits it)."
  type        = string
  default     = "app_admin"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.username)) && !contains(["rdsadmin", "admin"], lower(var.username))
    error_message = "username must be 1-63 letters, digits or underscores, start with a letter, and not be a reserved word (rdsadmin, admin)."
  }
}

variable "password" {
  description = "Master password (primary only; required there). 8-128 printable characters except /, @, \" and space."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.password == null || can(regex("^[^/@\" ]{8,128}$", var.password))
    error_message = "password must be 8-128 characters and must not contain /, @, \" or spaces."
  }
}

variable "backup_retention_period" {
  description = "Days of automated backups on the primary (>= 1: a source of read replicas needs backups)."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_period >= 1 && var.backup_retention_period <= 35 && floor(var.backup_retention_period) == var.backup_retention_period
    error_message = "backup_retention_period must be a whole number of days between 1 and 35 (replication needs backups)."
  }
}

variable "parameter_group_name" {
  description = "Existing DB parameter group to use (null: the engine default)."
  type        = string
  default     = null
}

variable "multi_az" {
  description = "Multi-AZ deployment."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Deletion protection on the instance."
  type        = bool
  default     = false
}

variable "skip_final_snapshot" {
  description = "Delete the instance without a final snapshot. Default false: a deleted primary leaves \"<identifier>-final-<YYYYMMDDhhmmss>\" (a read replica never takes one: RDS refuses it)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
