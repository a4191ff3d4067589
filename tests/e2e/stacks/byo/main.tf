# A "bring your own" region stack, written the way a team writes its own: its own names, an auto scaling group
# in a local module and one at the top level, an ALB, and no output made for standby. It declares only some of
# the variables standby injects (no `capacity`, no `tags`). Its database, replicated across regions, is in
# orders.tf: the end-to-end test runs the stack without that file first, then adds it.
terraform {
  required_version = ">= 1.5"
  backend "local" {}
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0" }
  }
}

variable "project" {
  type = string
}

variable "region" {
  type = string
}

variable "role" {
  type = string
}

provider "aws" {
  region = var.region
}

data "aws_availability_zones" "here" {
  state = "available"
}

locals {
  is_primary = var.role == "primary"
  zones      = slice(data.aws_availability_zones.here.names, 0, 2)
}

resource "aws_vpc" "main" {
  cidr_block = "10.42.0.0/16"
}

resource "aws_subnet" "public" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
  availability_zone = local.zones[count.index]
}

resource "aws_security_group" "edge" {
  name   = "${var.project}-edge"
  vpc_id = aws_vpc.main.id
}

resource "aws_lb" "front" {
  name               = "${var.project}-front"
  load_balancer_type = "application"
  security_groups    = [aws_security_group.edge.id]
  subnets            = aws_subnet.public[*].id
}

resource "aws_lb_target_group" "site" {
  name     = "${var.project}-site"
  port     = 80
  protocol = "HTTP"
  vpc_id   = aws_vpc.main.id
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.front.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.site.arn
  }
}

resource "aws_launch_template" "app" {
  name          = "${var.project}-app"
  image_id      = "ami-04681a1dbd79675a5"
  instance_type = "t3.micro"
}

# The web tier: its key in standby.toml is the module's name, "web".
module "web" {
  source             = "./modules/asg"
  name               = "${var.project}-web-fleet"
  subnet_ids         = aws_subnet.public[*].id
  launch_template_id = aws_launch_template.app.id
  target_group_arns  = [aws_lb_target_group.site.arn]
  size               = local.is_primary ? 2 : 0
}

# Background workers: named its own way, keyed by its tag.
resource "aws_autoscaling_group" "queue_consumers" {
  name                = "${var.project}-consumers"
  min_size            = 0
  max_size            = 2
  desired_capacity    = local.is_primary ? 1 : 0
  vpc_zone_identifier = aws_subnet.public[*].id

  launch_template {
    id      = aws_launch_template.app.id
    version = "$Latest"
  }

  tag {
    key                 = "standby:group"
    value               = "worker"
    propagate_at_launch = false
  }

  lifecycle {
    ignore_changes = [desired_capacity]
  }
}

output "site_url" {
  value = "http://${aws_lb.front.dns_name}"
}
