mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = {
      names = ["us-east-1a", "us-east-1b", "us-east-1c"]
    }
  }
}

variables {
  name = "webapp"
  tags = { Project = "webapp" }
}

run "defaults_two_azs" {
  command = plan

  assert {
    condition     = aws_vpc.this.enable_dns_hostnames && aws_vpc.this.enable_dns_support
    error_message = "DNS hostnames and support must be on."
  }

  assert {
    condition     = aws_vpc.this.cidr_block == "10.20.0.0/16"
    error_message = "Default CIDR changed."
  }

  assert {
    condition     = length(aws_subnet.public) == 2 && length(aws_subnet.private) == 2
    error_message = "Expected two public and two private subnets by default."
  }

  assert {
    condition     = aws_subnet.public["us-east-1a"].cidr_block == "10.20.0.0/20" && aws_subnet.public["us-east-1b"].cidr_block == "10.20.16.0/20"
    error_message = "Public subnets must take slots 0 and 1."
  }

  assert {
    condition     = aws_subnet.private["us-east-1a"].cidr_block == "10.20.128.0/20"
    error_message = "Private subnets must start at slot 8."
  }

  assert {
    condition     = output.azs == tolist(["us-east-1a", "us-east-1b"])
    error_message = "The first two reported zones must be used."
  }

  assert {
    condition     = aws_route.public_internet.destination_cidr_block == "0.0.0.0/0"
    error_message = "Public route table needs a default route."
  }

  assert {
    condition     = length(aws_route_table_association.public) == 2 && length(aws_route_table_association.private) == 2
    error_message = "Every subnet must be associated with a route table."
  }

  assert {
    condition     = aws_vpc.this.tags["Name"] == "webapp" && aws_vpc.this.tags["Project"] == "webapp"
    error_message = "Tags must be merged with a Name tag."
  }
}

run "security_group_chain" {
  command = plan

  variables {
    app_port = 8080
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.alb_http["0.0.0.0/0"].from_port == 80 && aws_vpc_security_group_ingress_rule.alb_http["0.0.0.0/0"].to_port == 80
    error_message = "ALB must allow HTTP 80 from anywhere by default."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.app_from_alb.from_port == 8080 && aws_vpc_security_group_ingress_rule.app_from_alb.ip_protocol == "tcp"
    error_message = "App SG must allow the app port."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.db_from_app.from_port == 5432 && aws_vpc_security_group_ingress_rule.db_from_app.to_port == 5432
    error_message = "DB SG must allow 5432."
  }

  assert {
    condition     = aws_security_group.alb.name == "webapp-alb" && aws_security_group.app.name == "webapp-app" && aws_security_group.db.name == "webapp-db"
    error_message = "Security group names must be derived from name."
  }
}

run "security_group_references" {
  # apply against the mock so that ids are known
  command = apply

  assert {
    condition     = aws_vpc_security_group_ingress_rule.app_from_alb.referenced_security_group_id == aws_security_group.alb.id
    error_message = "App SG must only accept the ALB SG."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.db_from_app.referenced_security_group_id == aws_security_group.app.id
    error_message = "DB SG must only accept the app SG."
  }

  assert {
    condition     = output.alb_security_group_id == aws_security_group.alb.id && output.app_security_group_id == aws_security_group.app.id && output.db_security_group_id == aws_security_group.db.id
    error_message = "Security group outputs are wired wrongly."
  }

  assert {
    condition     = output.public_subnet_ids == [aws_subnet.public["us-east-1a"].id, aws_subnet.public["us-east-1b"].id]
    error_message = "public_subnet_ids must follow azs order."
  }

  assert {
    condition     = output.subnet_ids == output.public_subnet_ids
    error_message = "subnet_ids is an alias of public_subnet_ids."
  }
}

run "explicit_azs" {
  command = plan

  variables {
    azs  = ["us-east-1c", "us-east-1a", "us-east-1b"]
    cidr = "10.30.0.0/24"
  }

  assert {
    condition     = length(aws_subnet.public) == 3 && aws_subnet.public["us-east-1c"].cidr_block == "10.30.0.0/28"
    error_message = "Explicit azs must be used in the given order."
  }
}

run "three_azs_from_data_source" {
  command = plan

  variables {
    az_count = 3
  }

  assert {
    condition     = length(aws_subnet.private) == 3
    error_message = "az_count = 3 must give three private subnets."
  }
}

run "too_few_azs_reported" {
  command = plan

  variables {
    az_count = 4
  }

  expect_failures = [data.aws_availability_zones.available]
}

run "invalid_name" {
  command = plan

  variables {
    name = "Web_App"
  }

  expect_failures = [var.name]
}

run "invalid_cidr" {
  command = plan

  variables {
    cidr = "10.0.0.0/8"
  }

  expect_failures = [var.cidr]
}

run "invalid_cidr_syntax" {
  command = plan

  variables {
    cidr = "not-a-cidr"
  }

  expect_failures = [var.cidr]
}

run "invalid_azs" {
  command = plan

  variables {
    azs = ["us-east-1a"]
  }

  expect_failures = [var.azs]
}

run "duplicate_azs" {
  command = plan

  variables {
    azs = ["us-east-1a", "us-east-1a"]
  }

  expect_failures = [var.azs]
}

run "invalid_az_count" {
  command = plan

  variables {
    az_count = 1
  }

  expect_failures = [var.az_count]
}

run "invalid_app_port" {
  command = plan

  variables {
    app_port = 70000
  }

  expect_failures = [var.app_port]
}

run "invalid_db_port" {
  command = plan

  variables {
    db_port = 0
  }

  expect_failures = [var.db_port]
}

run "invalid_alb_ingress" {
  command = plan

  variables {
    alb_ingress_cidr_blocks = []
  }

  expect_failures = [var.alb_ingress_cidr_blocks]
}
