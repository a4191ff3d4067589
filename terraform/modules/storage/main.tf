data "aws_partition" "current" {}

locals {
  replication_role_name = coalesce(var.replication_role_name, substr("${var.bucket_name}-replication", 0, 64))

  # The placeholder is only used while a precondition on aws_iam_role.replication reports the missing destination.
  destination_bucket_arn = coalesce(var.replication_destination_bucket_arn, "arn:${data.aws_partition.current.partition}:s3:::missing-destination")
}

resource "aws_s3_bucket" "this" {
  bucket        = var.bucket_name
  force_destroy = var.force_destroy

  tags = merge(var.tags, { Name = var.bucket_name })
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

################################################################################
# Cross-region replication (primary -> standby)
################################################################################

resource "aws_iam_role" "replication" {
  count = var.enable_replication ? 1 : 0

  name = local.replication_role_name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "s3.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.replication_destination_bucket_arn != null
      error_message = "enable_replication = true needs replication_destination_bucket_arn."
    }

    precondition {
      condition     = var.replication_destination_bucket_arn != "arn:${data.aws_partition.current.partition}:s3:::${var.bucket_name}"
      error_message = "A bucket cannot replicate to itself."
    }
  }
}

resource "aws_iam_role_policy" "replication" {
  count = var.enable_replication ? 1 : 0

  name = "replicate"
  role = aws_iam_role.replication[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
        Resource = [aws_s3_bucket.this.arn]
      },
      {
        Effect   = "Allow"
        Action   = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]
        Resource = ["${aws_s3_bucket.this.arn}/*"]
      },
      {
        Effect   = "Allow"
        Action   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
        Resource = ["${local.destination_bucket_arn}/*"]
      },
    ]
  })
}

resource "aws_s3_bucket_replication_configuration" "this" {
  count = var.enable_replication ? 1 : 0

  bucket = aws_s3_bucket.this.id
  role   = aws_iam_role.replication[0].arn

  rule {
    id     = "to-standby"
    status = "Enabled"

    filter {}

    # Required with a filter; and moto needs it spelled out (the emulator rejects the rule without it).
    delete_marker_replication {
      status = "Disabled"
    }

    destination {
      bucket        = local.destination_bucket_arn
      storage_class = "STANDARD"
    }
  }

  # Replication needs versioning on the source first.
  depends_on = [aws_s3_bucket_versioning.this]
}
