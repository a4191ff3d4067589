mock_provider "aws" {
  mock_resource "aws_launch_template" {
    defaults = {
      id             = "lt-0123456789abcdef0"
      latest_version = 1
    }
  }

  mock_resource "aws_lb" {
    defaults = {
      arn      = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/webapp-web/0123456789abcdef"
      dns_name = "webapp-web-123.us-east-1.elb.amazonaws.com"
      zone_id  = "Z35SXDOTRQ7X7K"
    }
  }

  mock_resource "aws_lb_target_group" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/webapp-web/0123456789abcdef"
    }
  }
}

variables {
  name                   = "webapp-web"
  vpc_id                 = "vpc-0123456789abcdef0"
  subnet_ids             = ["subnet-aaaa1111", "subnet-bbbb2222"]
  app_security_group_ids = ["sg-app11111"]
  alb_security_group_ids = ["sg-alb11111"]
  ami_id                 = "ami-04681a1dbd79675a5"
  user_data              = "#!/bin/sh\necho ok\n"
  min_size               = 2
  max_size               = 6
  desired_capacity       = 4
  tags                   = { Project = "webapp" }
}

run "zero_capacity_is_allowed" {
  command = plan

  variables {
    min_size         = 0
    desired_capacity = 0
    max_size         = 1
  }

  assert {
    condition     = aws_autoscaling_group.this.desired_capacity == 0
    error_message = "A pilot-light group may run at zero."
  }
}

run "asg_behind_alb" {
  command = apply

  assert {
    condition     = aws_autoscaling_group.this.min_size == 2 && aws_autoscaling_group.this.max_size == 6 && aws_autoscaling_group.this.desired_capacity == 4
    error_message = "Capacity must come from the inputs."
  }

  assert {
    condition     = aws_autoscaling_group.this.target_group_arns == toset([aws_lb_target_group.this.arn])
    error_message = "The ASG must register into the target group."
  }

  assert {
    condition     = aws_autoscaling_group.this.launch_template[0].id == aws_launch_template.this.id && aws_autoscaling_group.this.launch_template[0].version == "$Latest"
    error_message = "The ASG must use the latest launch template version."
  }

  assert {
    condition     = aws_launch_template.this.user_data == base64encode("#!/bin/sh\necho ok\n")
    error_message = "user_data must be base64-encoded."
  }

  assert {
    condition     = aws_launch_template.this.vpc_security_group_ids == toset(["sg-app11111"])
    error_message = "Instances must get the app security group."
  }

  assert {
    condition     = aws_lb_listener.this.default_action[0].target_group_arn == aws_lb_target_group.this.arn && aws_lb_listener.this.port == 80
    error_message = "The HTTP listener must forward to the target group."
  }

  assert {
    condition     = aws_lb_target_group.this.health_check[0].path == "/health" && aws_lb_target_group.this.health_check[0].matcher == "200"
    error_message = "The target group health check must probe /health."
  }

  assert {
    condition     = alltrue([for t in aws_autoscaling_group.this.tag : t.propagate_at_launch])
    error_message = "All ASG tags must propagate at launch."
  }

  assert {
    condition     = contains([for t in aws_autoscaling_group.this.tag : "${t.key}=${t.value}"], "Name=webapp-web") && contains([for t in aws_autoscaling_group.this.tag : "${t.key}=${t.value}"], "Project=webapp")
    error_message = "ASG tags must include Name and the input tags."
  }

  assert {
    condition     = output.lb_dns_name == "webapp-web-123.us-east-1.elb.amazonaws.com" && output.lb_zone_id == "Z35SXDOTRQ7X7K"
    error_message = "LB DNS outputs are wired wrongly."
  }

  assert {
    condition     = output.autoscaling_group_name == "webapp-web" && output.target_group_arn == aws_lb_target_group.this.arn && output.launch_template_id == aws_launch_template.this.id
    error_message = "Outputs are wired wrongly."
  }
}

run "empty_user_data_is_null" {
  command = plan

  variables {
    user_data = ""
  }

  assert {
    condition     = aws_launch_template.this.user_data == null
    error_message = "Empty user_data must not be sent."
  }
}

run "desired_capacity_is_owned_by_the_orchestrator_after_creation" {
  # State from asg_behind_alb holds desired_capacity = 4; a new value must not be planned
  # (lifecycle.ignore_changes), or the next apply would undo a failover.
  command = plan

  variables {
    min_size         = 1
    desired_capacity = 1
  }

  assert {
    condition     = aws_autoscaling_group.this.desired_capacity == 4
    error_message = "desired_capacity must be ignored after creation."
  }

  assert {
    condition     = aws_autoscaling_group.this.min_size == 1
    error_message = "min_size is still managed by Terraform."
  }
}

run "desired_above_max" {
  command = plan

  variables {
    desired_capacity = 7
  }

  expect_failures = [aws_autoscaling_group.this]
}

run "desired_below_min" {
  command = plan

  variables {
    desired_capacity = 1
  }

  expect_failures = [aws_autoscaling_group.this]
}

run "invalid_name" {
  command = plan

  variables {
    name = "a-name-that-is-far-too-long-for-an-alb"
  }

  expect_failures = [var.name]
}

run "invalid_name_internal_prefix" {
  command = plan

  variables {
    name = "internal-web"
  }

  expect_failures = [var.name]
}

run "invalid_vpc_id" {
  command = plan

  variables {
    vpc_id = "subnet-123"
  }

  expect_failures = [var.vpc_id]
}

run "invalid_subnet_ids" {
  command = plan

  variables {
    subnet_ids = ["subnet-aaaa1111"]
  }

  expect_failures = [var.subnet_ids]
}

run "invalid_app_security_group_ids" {
  command = plan

  variables {
    app_security_group_ids = []
  }

  expect_failures = [var.app_security_group_ids]
}

run "invalid_alb_security_group_ids" {
  command = plan

  variables {
    alb_security_group_ids = []
  }

  expect_failures = [var.alb_security_group_ids]
}

run "invalid_ami_id" {
  command = plan

  variables {
    ami_id = "ubuntu"
  }

  expect_failures = [var.ami_id]
}

run "invalid_instance_type" {
  command = plan

  variables {
    instance_type = "micro"
  }

  expect_failures = [var.instance_type]
}

run "invalid_user_data" {
  command = plan

  variables {
    user_data = join("", [for i in range(130) : "01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890"])
  }

  expect_failures = [var.user_data]
}

run "invalid_app_port" {
  command = plan

  variables {
    app_port = 0
  }

  expect_failures = [var.app_port]
}

run "invalid_listener_port" {
  command = plan

  variables {
    listener_port = 65536
  }

  expect_failures = [var.listener_port]
}

run "invalid_health_check_path" {
  command = plan

  variables {
    health_check_path = "health"
  }

  expect_failures = [var.health_check_path]
}

run "invalid_min_size" {
  command = plan

  variables {
    min_size = -1
  }

  expect_failures = [var.min_size]
}

run "invalid_max_size" {
  command = plan

  variables {
    max_size = 0
  }

  expect_failures = [var.max_size]
}

run "invalid_desired_capacity" {
  command = plan

  variables {
    desired_capacity = 1.5
  }

  expect_failures = [var.desired_capacity]
}

run "invalid_health_check_grace_period" {
  command = plan

  variables {
    health_check_grace_period = -5
  }

  expect_failures = [var.health_check_grace_period]
}
