mock_provider "aws" {}

variables {
  identifier             = "webapp-db"
  subnet_ids             = ["subnet-aaaa1111", "subnet-bbbb2222"]
  vpc_security_group_ids = ["sg-db111111"]
  tags                   = { Project = "webapp" }
}

run "primary" {
  command = plan

  variables {
    role     = "primary"
    password = "correct-horse-battery"
  }

  assert {
    condition     = aws_db_instance.this.replicate_source_db == null
    error_message = "A primary must not replicate."
  }

  assert {
    condition     = aws_db_instance.this.engine == "postgres" && aws_db_instance.this.engine_version == "15"
    error_message = "A primary runs postgres at the configured version."
  }

  assert {
    condition     = aws_db_instance.this.username == "app_admin"
    error_message = "A primary gets the master username."
  }

  assert {
    condition     = aws_db_instance.this.backup_retention_period >= 1
    error_message = "A primary needs backups to be a replication source."
  }

  assert {
    condition     = !aws_db_instance.this.skip_final_snapshot && aws_db_instance.this.apply_immediately
    error_message = "A primary keeps a final snapshot by default; apply_immediately must be on."
  }

  assert {
    condition     = can(regex("^webapp-db-final-[0-9]{14}$", aws_db_instance.this.final_snapshot_identifier))
    error_message = "The final snapshot is named <identifier>-final-<YYYYMMDDhhmmss>."
  }

  assert {
    condition     = aws_db_instance.this.db_subnet_group_name == "webapp-db-subnets" && aws_db_subnet_group.this.name == "webapp-db-subnets"
    error_message = "The subnet group name must be derived from the identifier only (same in both regions)."
  }

  assert {
    condition     = aws_db_instance.this.tags["Role"] == "primary" && aws_db_instance.this.tags["Project"] == "webapp"
    error_message = "Tags must carry the role."
  }

  assert {
    condition     = output.role == "primary"
    error_message = "role output is wrong."
  }
}

run "standby_replica" {
  command = plan

  variables {
    role          = "standby"
    source_db_arn = "arn:aws:rds:us-east-1:123456789012:db:webapp-db"
  }

  assert {
    condition     = aws_db_instance.this.replicate_source_db == "arn:aws:rds:us-east-1:123456789012:db:webapp-db"
    error_message = "A standby must replicate from source_db_arn."
  }

  assert {
    condition     = aws_db_instance.this.password == null
    error_message = "A replica must not set credentials (engine, username and retention are left unset, hence unknown in a plan)."
  }

  assert {
    condition     = aws_db_instance.this.db_subnet_group_name == "webapp-db-subnets"
    error_message = "The replica's subnet group must have the same name as the primary's."
  }

  assert {
    condition     = aws_db_instance.this.identifier == "webapp-db"
    error_message = "The identifier is the same in both regions."
  }
}

run "standby_outputs" {
  command = apply

  variables {
    role          = "standby"
    source_db_arn = "arn:aws:rds:us-east-1:123456789012:db:webapp-db"
  }

  override_resource {
    target = aws_db_instance.this
    values = {
      arn                 = "arn:aws:rds:us-west-2:123456789012:db:webapp-db"
      replicate_source_db = "arn:aws:rds:us-east-1:123456789012:db:webapp-db"
    }
  }

  assert {
    condition     = output.replicate_source_db == "arn:aws:rds:us-east-1:123456789012:db:webapp-db"
    error_message = "replicate_source_db output must expose the source ARN."
  }

  assert {
    condition     = output.db_instance_arn == "arn:aws:rds:us-west-2:123456789012:db:webapp-db" && output.db_instance_identifier == "webapp-db"
    error_message = "Instance outputs are wired wrongly."
  }
}

run "promoted_replica_source_change_is_ignored" {
  # State holds a replica of us-east-1 (previous run). Pointing the config elsewhere must not be planned:
  # replicate_source_db is ignored after creation (promotion happens out of band).
  command = plan

  variables {
    role          = "standby"
    source_db_arn = "arn:aws:rds:eu-west-1:123456789012:db:webapp-db"
  }

  assert {
    condition     = aws_db_instance.this.replicate_source_db == "arn:aws:rds:us-east-1:123456789012:db:webapp-db"
    error_message = "replicate_source_db must be ignored after creation."
  }
}

run "role_switch_to_primary_does_not_promote" {
  # Terraform never promotes: switching an existing replica's role to primary keeps the recorded source
  # (the orchestrator promotes with PromoteReadReplica; after that RDS reports no source).
  command = plan

  variables {
    role     = "primary"
    password = "correct-horse-battery"
  }

  assert {
    condition     = aws_db_instance.this.replicate_source_db == "arn:aws:rds:us-east-1:123456789012:db:webapp-db"
    error_message = "A role switch must not plan a promotion."
  }
}

run "standby_without_source" {
  command = plan

  variables {
    role = "standby"
  }

  expect_failures = [aws_db_instance.this]
}

run "primary_with_source" {
  command = plan

  variables {
    role          = "primary"
    password      = "correct-horse-battery"
    source_db_arn = "arn:aws:rds:us-east-1:123456789012:db:webapp-db"
  }

  expect_failures = [aws_db_instance.this]
}

run "primary_without_password" {
  command = plan

  variables {
    role = "primary"
  }

  expect_failures = [aws_db_instance.this]
}

run "invalid_role" {
  command = plan

  variables {
    role = "secondary"
  }

  expect_failures = [var.role]
}

run "invalid_identifier" {
  command = plan

  variables {
    role       = "primary"
    password   = "correct-horse-battery"
    identifier = "1-webapp--db-"
  }

  expect_failures = [var.identifier]
}

run "invalid_source_db_arn_without_account" {
  command = plan

  variables {
    role          = "standby"
    source_db_arn = "arn:aws:rds:us-east-1::db:webapp-db"
  }

  expect_failures = [var.source_db_arn]
}

run "invalid_subnet_ids" {
  command = plan

  variables {
    role       = "primary"
    password   = "correct-horse-battery"
    subnet_ids = ["subnet-aaaa1111"]
  }

  expect_failures = [var.subnet_ids]
}

run "invalid_db_subnet_group_name" {
  command = plan

  variables {
    role                 = "primary"
    password             = "correct-horse-battery"
    db_subnet_group_name = "Bad/Name"
  }

  expect_failures = [var.db_subnet_group_name]
}

run "invalid_vpc_security_group_ids" {
  command = plan

  variables {
    role                   = "primary"
    password               = "correct-horse-battery"
    vpc_security_group_ids = []
  }

  expect_failures = [var.vpc_security_group_ids]
}

run "invalid_engine_version" {
  command = plan

  variables {
    role           = "primary"
    password       = "correct-horse-battery"
    engine_version = "latest"
  }

  expect_failures = [var.engine_version]
}

run "invalid_instance_class" {
  command = plan

  variables {
    role           = "primary"
    password       = "correct-horse-battery"
    instance_class = "t3.micro"
  }

  expect_failures = [var.instance_class]
}

run "invalid_allocated_storage" {
  command = plan

  variables {
    role              = "primary"
    password          = "correct-horse-battery"
    allocated_storage = 10
  }

  expect_failures = [var.allocated_storage]
}

run "invalid_username" {
  command = plan

  variables {
    role     = "primary"
    password = "correct-horse-battery"
    username = "rdsadmin"
  }

  expect_failures = [var.username]
}

run "invalid_password" {
  command = plan

  variables {
    role     = "primary"
    password = "short"
  }

  expect_failures = [var.password]
}

run "invalid_backup_retention_period" {
  command = plan

  variables {
    role                    = "primary"
    password                = "correct-horse-battery"
    backup_retention_period = 0
  }

  expect_failures = [var.backup_retention_period]
}

run "primary_opts_out_of_the_final_snapshot" {
  command = plan

  variables {
    role                = "primary"
    password            = "correct-horse-battery"
    skip_final_snapshot = true
  }

  assert {
    condition     = aws_db_instance.this.skip_final_snapshot
    error_message = "skip_final_snapshot = true must delete without a final snapshot."
  }
}

run "replica_takes_no_final_snapshot" {
  command = plan

  variables {
    role          = "standby"
    source_db_arn = "arn:aws:rds:us-east-1:123456789012:db:webapp-db"
  }

  assert {
    condition     = aws_db_instance.this.skip_final_snapshot
    error_message = "RDS refuses a final snapshot of a read replica: a standby must skip it."
  }

  assert {
    condition     = startswith(aws_db_instance.this.final_snapshot_identifier, "webapp-db-final-")
    error_message = "The final snapshot name is set even when skipped (a promoted replica keeps one once it is a primary)."
  }
}
