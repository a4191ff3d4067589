variable "name" {
  description = "Name of the function, schedule, roles and alarm (e.g. webapp-drift)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{2,47}$", var.name))
    error_message = "name must be 3-48 letters, digits and hyphens, starting with a letter."
  }
}

variable "project" {
  description = "Project name, as in standby.toml [project] name: the value of the metric's Project dimension."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,19}$", var.project))
    error_message = "project must be 3-20 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "package_path" {
  description = "Path of the Lambda zip built by `python -m standby.drift.package` (standby, standby.toml, dependencies)."
  type        = string

  validation {
    condition     = endswith(var.package_path, ".zip")
    error_message = "package_path must name a .zip file."
  }
}

variable "package_hash" {
  description = "Base64 SHA-256 of the package (null = filebase64sha256(package_path)); changes redeploy the function."
  type        = string
  default     = null
}

variable "handler" {
  description = "Handler of the function."
  type        = string
  default     = "standby.drift.scheduled.handler"
}

variable "runtime" {
  description = "Lambda runtime (Python 3.11 or later)."
  type        = string
  default     = "python3.11"

  validation {
    condition     = contains(["python3.11", "python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be python3.11, python3.12 or python3.13."
  }
}

variable "schedule_expression" {
  description = "When the check runs: an EventBridge Scheduler rate() or cron() expression."
  type        = string
  default     = "rate(1 hour)"

  validation {
    condition     = can(regex("^(rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\)|cron\\(.+\\))$", var.schedule_expression))
    error_message = "schedule_expression must look like rate(1 hour), rate(15 minutes) or cron(0 * * * ? *)."
  }
}

variable "schedule_timezone" {
  description = "Time zone of a cron() schedule."
  type        = string
  default     = "UTC"
}

variable "timeout_seconds" {
  description = "Function timeout."
  type        = number
  default     = 300

  validation {
    condition     = var.timeout_seconds >= 10 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be between 10 and 900."
  }
}

variable "memory_mb" {
  description = "Function memory."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_mb >= 128 && var.memory_mb <= 10240
    error_message = "memory_mb must be between 128 and 10240."
  }
}

variable "iam_actions" {
  description = "IAM actions the check calls (service:Action), as standby declares them: `python -m standby.drift.package --print-actions`."
  type        = list(string)

  validation {
    condition     = length(var.iam_actions) > 0 && alltrue([for a in var.iam_actions : can(regex("^[a-z0-9-]+:[A-Za-z0-9*]+$", a))])
    error_message = "iam_actions must be a non-empty list of service:Action strings."
  }
}

variable "environment" {
  description = "Extra environment variables of the function (e.g. STANDBY_AWS_ENDPOINT on the emulator)."
  type        = map(string)
  default     = {}
}

variable "findings_threshold" {
  description = "The alarm fires when a run finds at least this many drifted findings."
  type        = number
  default     = 1

  validation {
    condition     = var.findings_threshold >= 1 && floor(var.findings_threshold) == var.findings_threshold
    error_message = "findings_threshold must be a whole number >= 1."
  }
}

variable "alarm_period_seconds" {
  description = "Period of the alarm's metric: at least the schedule's interval, so that a run that did not happen counts as missing data (breaching)."
  type        = number
  default     = 3600

  validation {
    condition     = var.alarm_period_seconds >= 60 && var.alarm_period_seconds % 60 == 0
    error_message = "alarm_period_seconds must be a multiple of 60, at least 60."
  }
}

variable "sns_topic_arn" {
  description = "Topic the alarm notifies. null = create one named after var.name."
  type        = string
  default     = null

  validation {
    condition     = var.sns_topic_arn == null || can(regex("^arn:[^:]+:sns:", var.sns_topic_arn))
    error_message = "sns_topic_arn must be null or an SNS topic ARN."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's log group."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
