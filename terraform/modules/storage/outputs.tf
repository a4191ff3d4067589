output "bucket_name" {
  description = "Name of the bucket."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "replication_enabled" {
  description = "Whether this bucket replicates to replication_destination_bucket_arn."
  value       = var.enable_replication
}

output "replication_role_arn" {
  description = "ARN of the replication IAM role (null without replication)."
  value       = var.enable_replication ? aws_iam_role.replication[0].arn : null
}
