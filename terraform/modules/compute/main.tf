locals {
  tags = merge(var.tags, { Name = var.name })
}

resource "aws_launch_template" "this" {
  name                   = var.name
  description            = "Instances of ${var.name}"
  image_id               = var.ami_id
  instance_type          = var.instance_type
  user_data              = var.user_data == "" ? null : base64encode(var.user_data)
  vpc_security_group_ids = var.app_security_group_ids
  update_default_version = true

  # Instances get their tags from the auto scaling group (propagate_at_launch), so the template has no
  # tag_specifications of its own.
  tags = local.tags

  lifecycle {
    # moto echoes the template's own tags back as a tag specification of type "launch-template" inside the
    # template data, which would leave a permanent diff. This module manages no tag_specifications.
    ignore_changes = [tag_specifications]
  }
}

resource "aws_lb" "this" {
  name                       = var.name
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = var.alb_security_group_ids
  subnets                    = var.subnet_ids
  enable_deletion_protection = var.enable_deletion_protection

  tags = local.tags

  lifecycle {
    postcondition {
      condition     = self.dns_name != "" && self.zone_id != ""
      error_message = "The load balancer has no DNS name or zone id: the traffic stack cannot point at it."
    }
  }
}

resource "aws_lb_target_group" "this" {
  name                 = var.name
  port                 = var.app_port
  protocol             = "HTTP"
  target_type          = "instance"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    enabled             = true
    protocol            = "HTTP"
    path                = var.health_check_path
    port                = "traffic-port"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = local.tags
}

resource "aws_lb_listener" "this" {
  load_balancer_arn = aws_lb.this.arn
  port              = var.listener_port
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = local.tags
}

resource "aws_autoscaling_group" "this" {
  name                      = var.name
  min_size                  = var.min_size
  max_size                  = var.max_size
  desired_capacity          = var.desired_capacity
  vpc_zone_identifier       = var.subnet_ids
  target_group_arns         = [aws_lb_target_group.this.arn]
  health_check_type         = "ELB"
  health_check_grace_period = var.health_check_grace_period

  launch_template {
    id      = aws_launch_template.this.id
    version = "$Latest"
  }

  dynamic "tag" {
    for_each = local.tags

    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  lifecycle {
    # After creation the desired capacity belongs to the orchestrator (scale-out at failover, scale-in at
    # failback). Without this, the next `terraform apply` would silently undo a failover.
    ignore_changes = [desired_capacity]

    precondition {
      condition     = var.min_size <= var.desired_capacity && var.desired_capacity <= var.max_size
      error_message = "Capacity must satisfy min_size <= desired_capacity <= max_size."
    }
  }
}
