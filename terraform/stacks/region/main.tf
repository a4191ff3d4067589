data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

data "aws_ami" "default" {
  count = var.ami_id == null ? 1 : 0

  most_recent = true
  owners      = ["amazon"]

  filter {
    name   = "name"
    values = ["amzn2-ami-hvm-*-x86_64-gp2"]
  }

  filter {
    name   = "architecture"
    values = ["x86_64"]
  }
}

locals {
  is_primary = var.role == "primary"

  tags = merge({ Project = var.project, ManagedBy = "terraform" }, var.tags)

  ami_id = var.ami_id != null ? var.ami_id : data.aws_ami.default[0].id

  user_data = var.user_data != null ? var.user_data : <<-EOT
    #!/bin/bash
    # Minimal web app: serves / and /health on port ${var.app_port}.
    mkdir -p /srv/www
    echo ok > /srv/www/health
    echo "<h1>${var.project} (${var.region})</h1>" > /srv/www/index.html
    cd /srv/www && nohup python3 -m http.server ${var.app_port} >/var/log/webapp.log 2>&1 &
  EOT

  # Same identifier in both regions. The standby computes the primary's ARN from it without reading the
  # primary's state, so both regions can be planned concurrently.
  db_identifier  = "${var.project}-db"
  primary_db_arn = "arn:${data.aws_partition.current.partition}:rds:${var.primary_region}:${data.aws_caller_identity.current.account_id}:db:${local.db_identifier}"

  bucket_name             = "${var.project}-${var.region}-data"
  standby_bucket_arn      = "arn:${data.aws_partition.current.partition}:s3:::${var.project}-${var.standby_region}-data"
  enable_bucket_replicate = var.enable_storage && local.is_primary && var.enable_storage_replication
}

module "network" {
  source = "../../modules/network"

  name     = var.project
  cidr     = var.vpc_cidr
  app_port = var.app_port

  tags = local.tags
}

module "compute" {
  source   = "../../modules/compute"
  for_each = var.capacity

  name                   = "${var.project}-${each.key}"
  vpc_id                 = module.network.vpc_id
  subnet_ids             = module.network.public_subnet_ids
  app_security_group_ids = [module.network.app_security_group_id]
  alb_security_group_ids = [module.network.alb_security_group_id]
  ami_id                 = local.ami_id
  instance_type          = var.instance_type
  user_data              = local.user_data
  app_port               = var.app_port

  min_size         = each.value.min_size
  max_size         = each.value.max_size
  desired_capacity = each.value.desired_capacity

  tags = merge(local.tags, { Group = each.key })
}

module "database" {
  source = "../../modules/database"
  count  = var.enable_database ? 1 : 0

  role          = var.role
  identifier    = local.db_identifier
  source_db_arn = local.is_primary ? null : local.primary_db_arn

  subnet_ids             = module.network.private_subnet_ids
  vpc_security_group_ids = [module.network.db_security_group_id]
  instance_class         = var.db_instance_class
  engine_version         = var.db_engine_version
  allocated_storage      = var.db_allocated_storage
  username               = var.db_username
  password               = var.db_password
  kms_key_id             = local.is_primary ? null : var.db_kms_key_id
  skip_final_snapshot    = var.db_skip_final_snapshot

  tags = local.tags
}

module "parameters" {
  source = "../../modules/parameters"

  path_prefix = "/${var.project}"
  parameters  = var.parameters

  tags = local.tags
}

module "storage" {
  source = "../../modules/storage"
  count  = var.enable_storage ? 1 : 0

  bucket_name                        = local.bucket_name
  force_destroy                      = true
  enable_replication                 = local.enable_bucket_replicate
  replication_destination_bucket_arn = local.enable_bucket_replicate ? local.standby_bucket_arn : null

  tags = local.tags
}
