variable "path_prefix" {
  description = "Path prefix of the parameters, e.g. /webapp (no trailing slash). Parameter names are <path_prefix>/<key>."
  type        = string

  validation {
    condition     = can(regex("^(/[a-zA-Z0-9_.-]+)+$", var.path_prefix)) && !startswith(lower(var.path_prefix), "/aws") && !startswith(lower(var.path_prefix), "/ssm")
    error_message = "path_prefix must look like /name or /name/sub (letters, digits, _ . -; no trailing slash; not under /aws or /ssm)."
  }
}

variable "parameters" {
  description = "Application settings: map of key -> value, stored as String parameters under path_prefix. Keys may contain / for deeper paths."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.parameters) : can(regex("^[a-zA-Z0-9_.-]+(/[a-zA-Z0-9_.-]+)*$", k))])
    error_message = "Parameter keys must be letters, digits, _ . - (and / between segments), without a leading or trailing slash."
  }

  validation {
    condition     = alltrue([for v in values(var.parameters) : length(v) > 0 && length(v) <= 4096])
    error_message = "Parameter values must be 1-4096 characters (standard tier)."
  }
}

variable "description" {
  description = "Description set on every parameter."
  type        = string
  default     = "Managed by Terraform (standby)"
}

variable "tags" {
  description = "Tags added to every parameter."
  type        = map(string)
  default     = {}
}
