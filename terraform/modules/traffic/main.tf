locals {
  # Keyed by region, not by role: a failover swaps the roles, and every resource must stay the same object
  # (same health check, same record) — only the routing (PRIMARY/SECONDARY, weights) moves, and the
  # orchestrator owns that after creation.
  by_region = { for role, e in var.endpoints : e.region => merge(e, { role = role }) }

  zone_id   = var.create_zone ? aws_route53_zone.this[0].zone_id : data.aws_route53_zone.existing[0].zone_id
  zone_name = var.zone_name

  # One record per (name, region); the set identifier is the region.
  records = {
    for pair in setproduct(var.record_names, keys(local.by_region)) : "${pair[0]}/${pair[1]}" => {
      name     = pair[0] == "@" ? var.zone_name : "${pair[0]}.${var.zone_name}"
      region   = pair[1]
      role     = local.by_region[pair[1]].role
      endpoint = local.by_region[pair[1]]
    }
  }

  failover_records = var.routing_policy == "failover" ? { for k, r in local.records : k => r if !contains(var.evicted_regions, r.region) } : {}
  weighted_records = var.routing_policy == "weighted" ? { for k, r in local.records : k => r if !contains(var.evicted_regions, r.region) } : {}

  weights = {
    primary = var.primary_weight
    standby = var.standby_weight
  }
}

################################################################################
# Hosted zone
################################################################################

resource "aws_route53_zone" "this" {
  count = var.create_zone ? 1 : 0

  name          = var.zone_name
  comment       = "${var.name}: service records (failover between regions)"
  force_destroy = var.force_destroy

  dynamic "vpc" {
    for_each = var.private_zone_vpc == null ? [] : [var.private_zone_vpc]

    content {
      vpc_id     = vpc.value.vpc_id
      vpc_region = vpc.value.vpc_region
    }
  }

  tags = merge(var.tags, { Name = var.zone_name })

  lifecycle {
    precondition {
      condition     = var.zone_id == null
      error_message = "zone_id must be null when create_zone = true."
    }
  }
}

data "aws_route53_zone" "existing" {
  count = var.create_zone ? 0 : 1

  zone_id = var.zone_id

  lifecycle {
    precondition {
      condition     = var.zone_id != null
      error_message = "create_zone = false needs zone_id."
    }

    postcondition {
      condition     = trimsuffix(self.name, ".") == var.zone_name
      error_message = "The existing zone's name differs from zone_name."
    }
  }
}

################################################################################
# Health checks: one per region endpoint (HTTP on the load balancer)
################################################################################

resource "aws_route53_health_check" "this" {
  for_each = local.by_region

  type              = "HTTP"
  fqdn              = each.value.lb_dns_name
  port              = var.health_check_port
  resource_path     = var.health_check_path
  failure_threshold = var.health_check_failure_threshold
  request_interval  = var.health_check_request_interval

  tags = merge(var.tags, { Name = "${var.name}-${each.key}", Region = each.key })

  lifecycle {
    # The orchestrator may force a failover (or a drill) by inverting or disabling a health check; the next
    # apply must not undo that. Terraform never sets these two attributes.
    ignore_changes = [invert_healthcheck, disabled]
  }
}

################################################################################
# Service records
################################################################################

resource "aws_route53_record" "failover" {
  for_each = local.failover_records

  zone_id         = local.zone_id
  name            = each.value.name
  type            = var.use_alias ? "A" : "CNAME"
  set_identifier  = each.value.region
  health_check_id = lookup(var.health_check_ids_override, each.value.region, aws_route53_health_check.this[each.value.region].id)
  ttl             = var.use_alias ? null : var.ttl
  records         = var.use_alias ? null : [each.value.endpoint.lb_dns_name]

  failover_routing_policy {
    type = each.value.role == "primary" ? "PRIMARY" : "SECONDARY"
  }

  dynamic "alias" {
    for_each = var.use_alias ? [each.value.endpoint] : []

    content {
      name                   = alias.value.lb_dns_name
      zone_id                = alias.value.lb_zone_id
      evaluate_target_health = var.evaluate_target_health
    }
  }

  lifecycle {
    # At failover the orchestrator swaps PRIMARY and SECONDARY (one UPSERT batch); the next apply must not undo it.
    ignore_changes = [failover_routing_policy]

    precondition {
      condition     = var.use_alias || !contains(var.record_names, "@")
      error_message = "The zone apex (\"@\") cannot be a CNAME: set use_alias = true or drop \"@\"."
    }
  }
}

resource "aws_route53_record" "weighted" {
  for_each = local.weighted_records

  zone_id         = local.zone_id
  name            = each.value.name
  type            = var.use_alias ? "A" : "CNAME"
  set_identifier  = each.value.region
  health_check_id = lookup(var.health_check_ids_override, each.value.region, aws_route53_health_check.this[each.value.region].id)
  ttl             = var.use_alias ? null : var.ttl
  records         = var.use_alias ? null : [each.value.endpoint.lb_dns_name]

  weighted_routing_policy {
    weight = local.weights[each.value.role]
  }

  dynamic "alias" {
    for_each = var.use_alias ? [each.value.endpoint] : []

    content {
      name                   = alias.value.lb_dns_name
      zone_id                = alias.value.lb_zone_id
      evaluate_target_health = var.evaluate_target_health
    }
  }

  lifecycle {
    # At failover the orchestrator flips the weights (UPSERT); the next apply must not undo it.
    ignore_changes = [weighted_routing_policy]

    precondition {
      condition     = var.use_alias || !contains(var.record_names, "@")
      error_message = "The zone apex (\"@\") cannot be a CNAME: set use_alias = true or drop \"@\"."
    }
  }
}
