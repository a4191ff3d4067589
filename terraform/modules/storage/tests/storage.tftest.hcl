mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/webapp-us-east-1-data-replication"
    }
  }
}

variables {
  bucket_name = "webapp-us-east-1-data"
  tags        = { Project = "webapp" }
}

run "versioned_bucket_without_replication" {
  command = plan

  assert {
    condition     = aws_s3_bucket.this.bucket == "webapp-us-east-1-data"
    error_message = "Bucket name comes from bucket_name."
  }

  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled"
    error_message = "Versioning must be enabled."
  }

  assert {
    condition     = length(aws_s3_bucket_replication_configuration.this) == 0 && length(aws_iam_role.replication) == 0
    error_message = "No replication unless enabled."
  }

  assert {
    condition     = output.replication_role_arn == null && output.replication_enabled == false
    error_message = "Replication outputs must be empty without replication."
  }
}

run "replication_to_standby" {
  command = apply

  variables {
    enable_replication                 = true
    replication_destination_bucket_arn = "arn:aws:s3:::webapp-us-west-2-data"
  }

  assert {
    condition     = aws_s3_bucket_replication_configuration.this[0].rule[0].destination[0].bucket == "arn:aws:s3:::webapp-us-west-2-data"
    error_message = "Replication must target the destination bucket."
  }

  assert {
    condition     = aws_s3_bucket_replication_configuration.this[0].rule[0].delete_marker_replication[0].status == "Disabled"
    error_message = "delete_marker_replication must be Disabled."
  }

  assert {
    condition     = aws_s3_bucket_replication_configuration.this[0].role == aws_iam_role.replication[0].arn
    error_message = "Replication must use the module's IAM role."
  }

  assert {
    condition     = aws_iam_role.replication[0].name == "webapp-us-east-1-data-replication"
    error_message = "Role name is derived from the bucket name."
  }

  assert {
    condition     = strcontains(aws_iam_role_policy.replication[0].policy, "arn:aws:s3:::webapp-us-west-2-data/*")
    error_message = "The role may replicate into the destination bucket."
  }

  assert {
    condition     = output.replication_role_arn == aws_iam_role.replication[0].arn
    error_message = "replication_role_arn output is wrong."
  }
}

run "replication_without_destination" {
  command = plan

  variables {
    enable_replication = true
  }

  expect_failures = [aws_iam_role.replication]
}

run "replication_to_itself" {
  command = plan

  variables {
    enable_replication                 = true
    replication_destination_bucket_arn = "arn:aws:s3:::webapp-us-east-1-data"
  }

  expect_failures = [aws_iam_role.replication]
}

run "invalid_bucket_name" {
  command = plan

  variables {
    bucket_name = "Webapp_Data"
  }

  expect_failures = [var.bucket_name]
}

run "invalid_destination_arn" {
  command = plan

  variables {
    enable_replication                 = true
    replication_destination_bucket_arn = "webapp-us-west-2-data"
  }

  expect_failures = [var.replication_destination_bucket_arn]
}

run "invalid_replication_role_name" {
  command = plan

  variables {
    replication_role_name = "bad role name"
  }

  expect_failures = [var.replication_role_name]
}
