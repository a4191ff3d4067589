# The contract the orchestrator reads with `terraform output -json`; see README.md.

output "zone_id" {
  description = "Hosted zone id of the service records."
  value       = module.traffic.zone_id
}

output "zone_name" {
  description = "Hosted zone name (no trailing dot)."
  value       = module.traffic.zone_name
}

output "name_servers" {
  description = "Name servers of the created zone ([] for an existing zone)."
  value       = module.traffic.name_servers
}

output "record_fqdns" {
  description = "FQDNs of the service records (no trailing dot), in record_names order. Each has one record per role."
  value       = module.traffic.record_fqdns
}

output "record_type" {
  description = "DNS type of the service records: A (alias) or CNAME."
  value       = module.traffic.record_type
}

output "record_set_identifiers" {
  description = "Set identifier per role: { primary = \"primary\", standby = \"standby\" }."
  value       = module.traffic.record_set_identifiers
}

output "health_check_ids" {
  description = "Route53 health check id per role: { primary, standby }."
  value       = module.traffic.health_check_ids
}

output "routing_policy" {
  description = "failover | weighted."
  value       = module.traffic.routing_policy
}
