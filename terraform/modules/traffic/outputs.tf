output "zone_id" {
  description = "ID of the hosted zone holding the records."
  value       = local.zone_id
}

output "zone_name" {
  description = "Name of the hosted zone (no trailing dot)."
  value       = local.zone_name
}

output "name_servers" {
  description = "Name servers of the created zone (empty list when an existing zone is used)."
  value       = var.create_zone ? aws_route53_zone.this[0].name_servers : []
}

output "record_fqdns" {
  description = "Fully qualified names of the service records, in record_names order (each has one record per role)."
  value       = tolist([for n in var.record_names : n == "@" ? var.zone_name : "${n}.${var.zone_name}"])
}

output "record_type" {
  description = "DNS type of the records: A (alias) or CNAME."
  value       = var.use_alias ? "A" : "CNAME"
}

output "health_check_ids" {
  description = "Route53 health check id per region: { \"us-east-1\" = ..., \"us-west-2\" = ... }."
  value       = { for region, hc in aws_route53_health_check.this : region => hc.id }
}

output "record_set_identifiers" {
  description = "Set identifier of each role's records (the region): { primary = \"us-east-1\", standby = \"us-west-2\" }."
  value       = { for role, e in var.endpoints : role => e.region }
}

output "routing_policy" {
  description = "Routing policy of the records: failover | weighted."
  value       = var.routing_policy
}

output "weights" {
  description = "Weights the records were created with (weighted policy; the live weights belong to the orchestrator), null for failover."
  value       = var.routing_policy == "weighted" ? local.weights : null
}
