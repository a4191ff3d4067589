locals {
  is_primary = var.role == "primary"

  # Same name in both regions: for a cross-region replica the provider (and moto) look the subnet group up by
  # name in the source region too, and a mirror should not differ in names anyway.
  db_subnet_group_name = coalesce(var.db_subnet_group_name, "${var.identifier}-subnets")

  # A final snapshot when the instance is deleted, named after the identifier and the time the instance was
  # planned: every incarnation gets its own name (a replaced instance must not collide with its predecessor's
  # snapshot). RDS refuses a final snapshot of a read replica (its data is the source's), so a replica skips it.
  skip_final_snapshot       = var.skip_final_snapshot || !local.is_primary
  final_snapshot_identifier = "${var.identifier}-final-${formatdate("YYYYMMDDhhmmss", plantimestamp())}"
}

resource "aws_db_subnet_group" "this" {
  name        = local.db_subnet_group_name
  description = "Subnets of ${var.identifier}"
  subnet_ids  = var.subnet_ids

  tags = merge(var.tags, { Name = local.db_subnet_group_name })
}

resource "aws_db_instance" "this" {
  identifier     = var.identifier
  instance_class = var.instance_class

  # Primary: a normal instance. Standby: a replica; engine, version and credentials come from the source.
  replicate_source_db = local.is_primary ? null : var.source_db_arn
  engine              = local.is_primary ? "postgres" : null
  engine_version      = local.is_primary ? var.engine_version : null
  username            = local.is_primary ? var.username : null
  password            = local.is_primary ? var.password : null

  # A replica gets no retention here: RDS sets it when the orchestrator promotes the replica
  # (PromoteReadReplica BackupRetentionPeriod).
  backup_retention_period = local.is_primary ? var.backup_retention_period : null

  allocated_storage      = var.allocated_storage
  storage_type           = "gp3"
  storage_encrypted      = var.storage_encrypted
  kms_key_id             = var.kms_key_id
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = var.vpc_security_group_ids
  parameter_group_name   = var.parameter_group_name
  multi_az               = var.multi_az
  publicly_accessible    = false
  deletion_protection    = var.deletion_protection
  copy_tags_to_snapshot  = true
  apply_immediately      = true

  skip_final_snapshot       = local.skip_final_snapshot
  final_snapshot_identifier = local.final_snapshot_identifier

  tags = merge(var.tags, { Name = var.identifier, Role = var.role })

  lifecycle {
    # The orchestrator promotes the standby's replica out of band at failover. Afterwards RDS reports no
    # replication source; without this Terraform would plan to re-attach (impossible: it would fail or
    # replace the promoted, now-authoritative database). See README "Promotion and replicate_source_db".
    # final_snapshot_identifier keeps the name chosen at creation (it holds the plan's time): no diff after.
    ignore_changes = [replicate_source_db, final_snapshot_identifier]

    precondition {
      condition     = local.is_primary || var.source_db_arn != null
      error_message = "role = standby needs source_db_arn (the primary's DB instance ARN)."
    }

    precondition {
      condition     = !local.is_primary || var.source_db_arn == null
      error_message = "role = primary must not set source_db_arn."
    }

    precondition {
      condition     = !local.is_primary || var.password != null
      error_message = "role = primary needs a master password."
    }
  }
}
