variable "name" {
  description = "Name of the group: used for the launch template, auto scaling group, load balancer and target group (max 32 characters, the ALB/target group limit)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$", var.name)) && !startswith(var.name, "internal-")
    error_message = "name must be 2-32 characters of lowercase letters, digits and hyphens, not starting or ending with a hyphen nor with \"internal-\"."
  }
}

variable "vpc_id" {
  description = "VPC of the target group."
  type        = string

  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "vpc_id must be a VPC id (vpc-...)."
  }
}

variable "subnet_ids" {
  description = "Subnets for the load balancer and the auto scaling group: at least two, in different availability zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must list at least two subnets (an application load balancer needs two availability zones)."
  }
}

variable "app_security_group_ids" {
  description = "Security groups of the instances."
  type        = list(string)

  validation {
    condition     = length(var.app_security_group_ids) > 0
    error_message = "app_security_group_ids must not be empty."
  }
}

variable "alb_security_group_ids" {
  description = "Security groups of the load balancer."
  type        = list(string)

  validation {
    condition     = length(var.alb_security_group_ids) > 0
    error_message = "alb_security_group_ids must not be empty."
  }
}

variable "ami_id" {
  description = "AMI of the instances."
  type        = string

  validation {
    condition     = can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must look like ami-0123456789abcdef0."
  }
}

variable "instance_type" {
  description = "EC2 instance type."
  type        = string
  default     = "t3.micro"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must look like t3.micro."
  }
}

variable "user_data" {
  description = "User data script (plain text; the module base64-encodes it)."
  type        = string
  default     = ""

  validation {
    condition     = length(var.user_data) <= 12000
    error_message = "user_data must be at most 12000 characters (16 KiB once base64-encoded)."
  }
}

variable "app_port" {
  description = "Port the instances serve HTTP on (target group port)."
  type        = number
  default     = 80

  validation {
    condition     = var.app_port >= 1 && var.app_port <= 65535 && floor(var.app_port) == var.app_port
    error_message = "app_port must be a whole number between 1 and 65535."
  }
}

variable "listener_port" {
  description = "Port of the HTTP listener on the load balancer."
  type        = number
  default     = 80

  validation {
    condition     = var.listener_port >= 1 && var.listener_port <= 65535 && floor(var.listener_port) == var.listener_port
    error_message = "listener_port must be a whole number between 1 and 65535."
  }
}

variable "health_check_path" {
  description = "HTTP path of the target group health check."
  type        = string
  default     = "/health"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with /."
  }
}

variable "min_size" {
  description = "Minimum size of the auto scaling group."
  type        = number

  validation {
    condition     = var.min_size >= 0 && floor(var.min_size) == var.min_size
    error_message = "min_size must be a whole number >= 0."
  }
}

variable "max_size" {
  description = "Maximum size of the auto scaling group."
  type        = number

  validation {
    condition     = var.max_size >= 1 && floor(var.max_size) == var.max_size
    error_message = "max_size must be a whole number >= 1."
  }
}

variable "desired_capacity" {
  description = "Desired capacity at creation. Ignored afterwards: the orchestrator owns it (see README)."
  type        = number

  validation {
    condition     = var.desired_capacity >= 0 && floor(var.desired_capacity) == var.desired_capacity
    error_message = "desired_capacity must be a whole number >= 0."
  }
}

variable "health_check_grace_period" {
  description = "Seconds after launch before the ASG acts on ELB health checks."
  type        = number
  default     = 300

  validation {
    condition     = var.health_check_grace_period >= 0
    error_message = "health_check_grace_period must be >= 0."
  }
}

variable "enable_deletion_protection" {
  description = "Deletion protection on the load balancer."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource; propagated to the instances launched by the auto scaling group."
  type        = map(string)
  default     = {}
}
