output "role" {
  description = "Role this module was applied with (primary | standby)."
  value       = var.role
}

output "db_instance_identifier" {
  description = "DB instance identifier."
  value       = aws_db_instance.this.identifier
}

output "db_instance_arn" {
  description = "DB instance ARN."
  value       = aws_db_instance.this.arn
}

output "db_instance_endpoint" {
  description = "Connection endpoint (address:port)."
  value       = aws_db_instance.this.endpoint
}

output "db_instance_address" {
  description = "Hostname of the instance."
  value       = aws_db_instance.this.address
}

output "db_instance_port" {
  description = "Port of the instance."
  value       = aws_db_instance.this.port
}

output "db_subnet_group_name" {
  description = "Name of the DB subnet group (identical in both regions)."
  value       = aws_db_subnet_group.this.name
}

output "replicate_source_db" {
  description = "Replication source as last read from RDS: the primary's ARN for a standby replica, null for a primary (or a promoted replica on real AWS)."
  value       = try(coalesce(aws_db_instance.this.replicate_source_db), null)
}
