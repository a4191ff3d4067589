# The orders database: an ordinary instance in the primary, a cross-region read replica (by ARN) in the standby.
variable "primary_region" {
  type = string
}

variable "db_password" {
  type      = string
  sensitive = true
  default   = "not-a-secret-1"
}

data "aws_caller_identity" "current" {}

resource "aws_db_subnet_group" "orders" {
  name       = "${var.project}-orders"
  subnet_ids = aws_subnet.public[*].id
}

resource "aws_db_instance" "orders" {
  identifier          = "${var.project}-orders"
  instance_class      = "db.t3.micro"
  allocated_storage   = 20
  replicate_source_db = local.is_primary ? null : "arn:aws:rds:${var.primary_region}:${data.aws_caller_identity.current.account_id}:db:${var.project}-orders"
  engine              = local.is_primary ? "postgres" : null
  username            = local.is_primary ? "orders" : null
  password            = local.is_primary ? var.db_password : null

  db_subnet_group_name = aws_db_subnet_group.orders.name
  skip_final_snapshot  = true
  apply_immediately    = true

  lifecycle {
    ignore_changes = [replicate_source_db]
  }
}
