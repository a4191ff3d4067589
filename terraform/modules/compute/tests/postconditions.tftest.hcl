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

run "lb_without_dns_name" {
  command = apply

  override_resource {
    target = aws_lb.this
    values = {
      arn      = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/webapp-web/0123456789abcdef"
      dns_name = ""
      zone_id  = "Z35SXDOTRQ7X7K"
    }
  }

  expect_failures = [aws_lb.this]
}
