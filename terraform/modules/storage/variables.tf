variable "bucket_name" {
  description = "Name of the bucket (deterministic per region, e.g. <project>-<region>-data)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name)) && !strcontains(var.bucket_name, "..")
    error_message = "bucket_name must be 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit."
  }
}

variable "force_destroy" {
  description = "Allow destroying the bucket with objects in it."
  type        = bool
  default     = false
}

variable "enable_replication" {
  description = "Replicate this bucket to replication_destination_bucket_arn (set on the primary only, once the destination bucket exists — see README)."
  type        = bool
  default     = false
}

variable "replication_destination_bucket_arn" {
  description = "ARN of the destination bucket (in the other region) when enable_replication = true."
  type        = string
  default     = null

  validation {
    condition     = var.replication_destination_bucket_arn == null || can(regex("^arn:[a-z-]+:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.replication_destination_bucket_arn))
    error_message = "replication_destination_bucket_arn must be an S3 bucket ARN (arn:<partition>:s3:::<bucket>)."
  }
}

variable "replication_role_name" {
  description = "Name of the IAM role S3 assumes to replicate (IAM is global: make it unique per region). Default: <bucket_name>-replication."
  type        = string
  default     = null

  validation {
    condition     = var.replication_role_name == null || can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.replication_role_name))
    error_message = "replication_role_name must be 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
