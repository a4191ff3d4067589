variable "name" {
  type = string
}

variable "subnet_ids" {
  type = list(string)
}

variable "launch_template_id" {
  type = string
}

variable "target_group_arns" {
  type = list(string)
}

variable "size" {
  type = number
}

resource "aws_autoscaling_group" "this" {
  name                = var.name
  min_size            = 0
  max_size            = 4
  desired_capacity    = var.size
  vpc_zone_identifier = var.subnet_ids
  target_group_arns   = var.target_group_arns

  launch_template {
    id      = var.launch_template_id
    version = "$Latest"
  }

  lifecycle {
    ignore_changes = [desired_capacity]
  }
}
