# The contract the orchestrator reads with `terraform output -json`. Keep names and shapes stable; document
# every change in README.md.

output "role" {
  description = "Role this region was applied with: primary | standby."
  value       = var.role

  precondition {
    condition     = var.primary_region != var.standby_region
    error_message = "primary_region and standby_region must differ."
  }

  precondition {
    condition     = var.region == (var.role == "primary" ? var.primary_region : var.standby_region)
    error_message = "region must equal primary_region when role = primary, and standby_region when role = standby."
  }
}

output "region" {
  description = "Region of this stack."
  value       = var.region
}

output "account_id" {
  description = "AWS account id the stack was applied in."
  value       = data.aws_caller_identity.current.account_id
}

output "vpc_id" {
  description = "VPC id."
  value       = module.network.vpc_id
}

output "subnet_ids" {
  description = "Public subnet ids (load balancers and instances), one per availability zone."
  value       = module.network.public_subnet_ids
}

output "private_subnet_ids" {
  description = "Private subnet ids (database), one per availability zone."
  value       = module.network.private_subnet_ids
}

output "security_group_ids" {
  description = "Security group id per purpose: { alb, app, db }."
  value = {
    alb = module.network.alb_security_group_id
    app = module.network.app_security_group_id
    db  = module.network.db_security_group_id
  }
}

output "autoscaling_group_names" {
  description = "Auto scaling group name per group (key of var.capacity)."
  value       = { for group, m in module.compute : group => m.autoscaling_group_name }
}

output "autoscaling_group_arns" {
  description = "Auto scaling group ARN per group."
  value       = { for group, m in module.compute : group => m.autoscaling_group_arn }
}

output "capacity" {
  description = "Configured capacity per group ({ min_size, max_size, desired_capacity }); desired_capacity is the creation value only."
  value       = var.capacity
}

output "target_group_arns" {
  description = "Target group ARN per group."
  value       = { for group, m in module.compute : group => m.target_group_arn }
}

output "lb_arns" {
  description = "Load balancer ARN per group."
  value       = { for group, m in module.compute : group => m.lb_arn }
}

output "lb_dns_names" {
  description = "Load balancer DNS name per group (feed to the global stack's endpoints)."
  value       = { for group, m in module.compute : group => m.lb_dns_name }
}

output "lb_zone_ids" {
  description = "Load balancer canonical hosted zone id per group (feed to the global stack's endpoints)."
  value       = { for group, m in module.compute : group => m.lb_zone_id }
}

output "launch_template_ids" {
  description = "Launch template id per group."
  value       = { for group, m in module.compute : group => m.launch_template_id }
}

output "db_instance_identifiers" {
  description = "DB instance identifiers in this region ([] when enable_database = false)."
  value       = [for m in module.database : m.db_instance_identifier]
}

output "db_instance_arns" {
  description = "DB instance ARNs in this region ([] when enable_database = false)."
  value       = [for m in module.database : m.db_instance_arn]
}

output "db_instance_endpoints" {
  description = "DB connection endpoints (address:port) in this region."
  value       = [for m in module.database : m.db_instance_endpoint]
}

output "db_replicate_source" {
  description = "Replication source of this region's DB instance as last read from RDS (the primary's ARN on a standby), or null."
  value       = one([for m in module.database : m.replicate_source_db])
}

output "primary_db_arn" {
  description = "ARN of the primary's DB instance as derived from project, primary_region and the account (the standby's replication source)."
  value       = local.primary_db_arn
}

output "ssm_parameter_names" {
  description = "Full names of the SSM parameters, sorted by key."
  value       = module.parameters.parameter_names
}

output "bucket_name" {
  description = "Name of the data bucket, or null when enable_storage = false."
  value       = one([for m in module.storage : m.bucket_name])
}

output "bucket_replication_enabled" {
  description = "Whether this region's bucket replicates to the standby region's bucket."
  value       = local.enable_bucket_replicate
}
