# Plan-only tests of the region stack's contract: variables, validations, the derived replica source.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_availability_zones" {
    defaults = {
      names = ["us-west-2a", "us-west-2b", "us-west-2c"]
    }
  }

  mock_data "aws_ami" {
    defaults = {
      id = "ami-04681a1dbd79675a5"
    }
  }
}

variables {
  project        = "webapp"
  role           = "standby"
  region         = "us-west-2"
  primary_region = "us-east-1"
  standby_region = "us-west-2"
  capacity = {
    web = { min_size = 1, max_size = 6, desired_capacity = 1 }
  }
  db_password = "correct-horse-battery"
  parameters  = { log_level = "info" }
  tags        = { Environment = "test" }
}

run "standby_replicates_from_derived_primary_arn" {
  command = plan

  assert {
    condition     = module.database[0].role == "standby"
    error_message = "The database module must get the stack's role."
  }

  assert {
    condition     = output.primary_db_arn == "arn:aws:rds:us-east-1:123456789012:db:webapp-db"
    error_message = "The primary ARN must be derived from partition, primary_region, account and \"<project>-db\"."
  }

  assert {
    condition     = output.role == "standby" && output.region == "us-west-2"
    error_message = "role/region outputs are wrong."
  }

  assert {
    condition     = output.bucket_replication_enabled == false
    error_message = "A standby never replicates its bucket."
  }

  assert {
    condition     = output.ssm_parameter_names == tolist(["/webapp/log_level"])
    error_message = "Parameters live under /<project>/."
  }

  assert {
    condition     = output.capacity["web"].desired_capacity == 1
    error_message = "capacity output echoes the input."
  }
}

run "primary_with_replicated_bucket" {
  command = plan

  variables {
    role                       = "primary"
    region                     = "us-east-1"
    enable_storage_replication = true
    capacity = {
      web = { min_size = 2, max_size = 6, desired_capacity = 4 }
      api = { min_size = 0, max_size = 2, desired_capacity = 0 }
    }
  }

  assert {
    condition     = module.database[0].role == "primary"
    error_message = "The primary region gets a primary database."
  }

  assert {
    condition     = output.bucket_replication_enabled && module.storage[0].replication_enabled
    error_message = "The primary replicates its bucket when enabled."
  }

  assert {
    condition     = length(module.compute) == 2 && output.capacity["api"].max_size == 2
    error_message = "One compute module per capacity entry."
  }
}

run "optional_parts_off" {
  command = plan

  variables {
    enable_database = false
    enable_storage  = false
    ami_id          = "ami-0123456789abcdef0"
  }

  assert {
    condition     = length(module.database) == 0 && output.db_instance_arns == [] && output.db_replicate_source == null
    error_message = "No database when enable_database = false."
  }

  assert {
    condition     = length(module.storage) == 0 && output.bucket_name == null
    error_message = "No bucket when enable_storage = false."
  }
}

run "region_must_match_role" {
  command = plan

  variables {
    region = "us-east-1"
  }

  expect_failures = [output.role]
}

run "regions_must_differ" {
  command = plan

  variables {
    primary_region = "us-west-2"
  }

  expect_failures = [output.role]
}

run "invalid_project" {
  command = plan

  variables {
    project = "Web_App"
  }

  expect_failures = [var.project]
}

run "invalid_project_too_long" {
  command = plan

  variables {
    project = "a-project-name-longer-than-20"
  }

  expect_failures = [var.project]
}

run "invalid_role" {
  command = plan

  variables {
    role = "secondary"
  }

  expect_failures = [var.role]
}

run "invalid_region" {
  command = plan

  variables {
    region = "mars"
  }

  expect_failures = [var.region]
}

run "invalid_primary_region" {
  command = plan

  variables {
    primary_region = "US-EAST-1"
  }

  expect_failures = [var.primary_region]
}

run "invalid_standby_region" {
  command = plan

  variables {
    standby_region = ""
  }

  expect_failures = [var.standby_region]
}

run "invalid_capacity_empty" {
  command = plan

  variables {
    capacity = {}
  }

  expect_failures = [var.capacity]
}

run "invalid_capacity_group_name" {
  command = plan

  variables {
    capacity = {
      "web-tier-number-1" = { min_size = 1, max_size = 2, desired_capacity = 1 }
    }
  }

  expect_failures = [var.capacity]
}

run "invalid_capacity_desired_above_max" {
  command = plan

  variables {
    capacity = {
      web = { min_size = 1, max_size = 6, desired_capacity = 7 }
    }
  }

  expect_failures = [var.capacity]
}

run "invalid_capacity_desired_below_min" {
  command = plan

  variables {
    capacity = {
      web = { min_size = 2, max_size = 6, desired_capacity = 1 }
    }
  }

  expect_failures = [var.capacity]
}

run "invalid_capacity_negative_min" {
  command = plan

  variables {
    capacity = {
      web = { min_size = -1, max_size = 6, desired_capacity = 1 }
    }
  }

  expect_failures = [var.capacity]
}

run "invalid_capacity_fraction" {
  command = plan

  variables {
    capacity = {
      web = { min_size = 1, max_size = 6, desired_capacity = 1.5 }
    }
  }

  expect_failures = [var.capacity]
}

run "invalid_instance_type" {
  command = plan

  variables {
    instance_type = "large"
  }

  expect_failures = [var.instance_type]
}

run "invalid_ami_id" {
  command = plan

  variables {
    ami_id = "amazon-linux"
  }

  expect_failures = [var.ami_id]
}

run "invalid_app_port" {
  command = plan

  variables {
    app_port = 0
  }

  expect_failures = [var.app_port]
}

run "invalid_db_instance_class" {
  command = plan

  variables {
    db_instance_class = "t3.micro"
  }

  expect_failures = [var.db_instance_class]
}

run "invalid_db_engine_version" {
  command = plan

  variables {
    db_engine_version = "v15"
  }

  expect_failures = [var.db_engine_version]
}

run "invalid_db_allocated_storage" {
  command = plan

  variables {
    db_allocated_storage = 5
  }

  expect_failures = [var.db_allocated_storage]
}

run "invalid_db_username" {
  command = plan

  variables {
    db_username = "admin"
  }

  expect_failures = [var.db_username]
}

run "invalid_db_password" {
  command = plan

  variables {
    db_password = "has a space"
  }

  expect_failures = [var.db_password]
}

run "invalid_vpc_cidr" {
  command = plan

  variables {
    vpc_cidr = "10.0.0.0/28"
  }

  expect_failures = [var.vpc_cidr]
}
