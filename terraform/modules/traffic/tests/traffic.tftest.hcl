mock_provider "aws" {
  mock_resource "aws_route53_zone" {
    defaults = {
      zone_id = "Z0123456789ABCDEFGHIJ"
    }
  }

  mock_data "aws_route53_zone" {
    defaults = {
      name = "webapp.example.internal."
    }
  }
}

variables {
  name         = "webapp"
  zone_name    = "webapp.example.internal"
  record_names = ["www", "api"]
  endpoints = {
    primary = {
      region      = "us-east-1"
      lb_dns_name = "webapp-web-1.us-east-1.elb.amazonaws.com"
      lb_zone_id  = "Z35SXDOTRQ7X7K"
    }
    standby = {
      region      = "us-west-2"
      lb_dns_name = "webapp-web-2.us-west-2.elb.amazonaws.com"
      lb_zone_id  = "Z1H1FL5HABSF5"
    }
  }
}

run "failover_alias" {
  command = apply

  assert {
    condition     = length(aws_route53_record.failover) == 4 && length(aws_route53_record.weighted) == 0
    error_message = "Failover: one record per name and role, no weighted records."
  }

  assert {
    condition     = aws_route53_record.failover["www/us-east-1"].failover_routing_policy[0].type == "PRIMARY" && aws_route53_record.failover["www/us-west-2"].failover_routing_policy[0].type == "SECONDARY"
    error_message = "primary -> PRIMARY, standby -> SECONDARY."
  }

  assert {
    condition     = aws_route53_record.failover["www/us-east-1"].set_identifier == "us-east-1" && aws_route53_record.failover["api/us-west-2"].set_identifier == "us-west-2"
    error_message = "Set identifiers are the roles."
  }

  assert {
    condition     = aws_route53_record.failover["www/us-east-1"].name == "www.webapp.example.internal" && aws_route53_record.failover["www/us-east-1"].type == "A"
    error_message = "Names are relative to the zone; alias records are A records."
  }

  assert {
    condition     = one(aws_route53_record.failover["www/us-west-2"].alias).name == "webapp-web-2.us-west-2.elb.amazonaws.com" && one(aws_route53_record.failover["www/us-west-2"].alias).zone_id == "Z1H1FL5HABSF5"
    error_message = "The standby record must alias the standby load balancer."
  }

  assert {
    condition     = aws_route53_record.failover["www/us-east-1"].health_check_id == aws_route53_health_check.this["us-east-1"].id && aws_route53_record.failover["www/us-west-2"].health_check_id == aws_route53_health_check.this["us-west-2"].id
    error_message = "Each record carries its region's health check."
  }

  assert {
    condition     = aws_route53_record.failover["www/us-east-1"].zone_id == "Z0123456789ABCDEFGHIJ"
    error_message = "Records go into the created zone."
  }

  assert {
    condition     = aws_route53_health_check.this["us-east-1"].type == "HTTP" && aws_route53_health_check.this["us-east-1"].fqdn == "webapp-web-1.us-east-1.elb.amazonaws.com" && aws_route53_health_check.this["us-east-1"].port == 80 && aws_route53_health_check.this["us-east-1"].resource_path == "/health"
    error_message = "Health checks probe HTTP :80/health on the load balancer."
  }

  assert {
    condition     = aws_route53_health_check.this["us-west-2"].failure_threshold == 3 && contains([10, 30], aws_route53_health_check.this["us-west-2"].request_interval)
    error_message = "Health-check timing is wrong."
  }

  assert {
    condition     = output.record_fqdns == tolist(["www.webapp.example.internal", "api.webapp.example.internal"])
    error_message = "record_fqdns must follow record_names order."
  }

  assert {
    condition     = output.health_check_ids["us-east-1"] == aws_route53_health_check.this["us-east-1"].id && length(output.health_check_ids) == 2
    error_message = "health_check_ids must map region -> id."
  }

  assert {
    condition     = output.record_set_identifiers == { primary = "us-east-1", standby = "us-west-2" } && output.routing_policy == "failover"
    error_message = "record_set_identifiers/routing_policy outputs are wrong."
  }

  assert {
    condition     = output.zone_id == "Z0123456789ABCDEFGHIJ" && output.zone_name == "webapp.example.internal"
    error_message = "Zone outputs are wrong."
  }
}

run "failover_cname" {
  command = plan

  variables {
    use_alias = false
    ttl       = 30
  }

  assert {
    condition     = aws_route53_record.failover["api/us-east-1"].type == "CNAME" && aws_route53_record.failover["api/us-east-1"].ttl == 30
    error_message = "CNAME records use the ttl input."
  }

  assert {
    condition     = aws_route53_record.failover["api/us-east-1"].records == toset(["webapp-web-1.us-east-1.elb.amazonaws.com"])
    error_message = "The primary CNAME must point at the primary load balancer."
  }

  assert {
    condition     = length(aws_route53_record.failover["api/us-east-1"].alias) == 0
    error_message = "CNAME records have no alias."
  }
}

run "weighted" {
  command = plan

  variables {
    routing_policy = "weighted"
    primary_weight = 90
    standby_weight = 10
  }

  assert {
    condition     = length(aws_route53_record.weighted) == 4 && length(aws_route53_record.failover) == 0
    error_message = "Weighted: one weighted record per name and role."
  }

  assert {
    condition     = aws_route53_record.weighted["www/us-east-1"].weighted_routing_policy[0].weight == 90 && aws_route53_record.weighted["www/us-west-2"].weighted_routing_policy[0].weight == 10
    error_message = "Weights come from primary_weight/standby_weight."
  }

  assert {
    condition     = output.routing_policy == "weighted" && output.weights == { primary = 90, standby = 10 }
    error_message = "routing_policy/weights outputs are wrong."
  }
}

run "weighted_apply" {
  command = apply

  variables {
    routing_policy = "weighted"
  }

  assert {
    condition     = aws_route53_record.weighted["www/us-east-1"].weighted_routing_policy[0].weight == 100 && aws_route53_record.weighted["www/us-west-2"].weighted_routing_policy[0].weight == 0
    error_message = "Default weights are 100/0."
  }
}

run "weights_are_owned_by_the_orchestrator_after_creation" {
  # State from weighted_apply holds 100/0. Planning 0/100 must not change the records (ignore_changes):
  # otherwise the next apply after a failover would send traffic back to the primary.
  command = plan

  variables {
    routing_policy = "weighted"
    primary_weight = 0
    standby_weight = 100
  }

  assert {
    condition     = aws_route53_record.weighted["www/us-east-1"].weighted_routing_policy[0].weight == 100 && aws_route53_record.weighted["www/us-west-2"].weighted_routing_policy[0].weight == 0
    error_message = "weighted_routing_policy must be ignored after creation."
  }
}

run "apex_alias" {
  command = plan

  variables {
    record_names = ["@"]
  }

  assert {
    condition     = aws_route53_record.failover["@/us-east-1"].name == "webapp.example.internal"
    error_message = "@ is the zone apex."
  }

  assert {
    condition     = output.record_fqdns == tolist(["webapp.example.internal"])
    error_message = "The apex FQDN is the zone name."
  }
}

run "apex_cname_is_rejected" {
  command = plan

  variables {
    record_names = ["@"]
    use_alias    = false
  }

  expect_failures = [aws_route53_record.failover]
}

run "existing_zone" {
  command = plan

  variables {
    create_zone = false
    zone_id     = "ZEXISTING0000000000"
  }

  assert {
    condition     = length(aws_route53_zone.this) == 0 && aws_route53_record.failover["www/us-east-1"].zone_id == "ZEXISTING0000000000"
    error_message = "An existing zone must be used as is."
  }
}

run "existing_zone_without_id" {
  command = plan

  variables {
    create_zone = false
  }

  expect_failures = [data.aws_route53_zone.existing]
}

run "existing_zone_with_other_name" {
  command = plan

  variables {
    create_zone = false
    zone_id     = "ZEXISTING0000000000"
    zone_name   = "other.example.internal"
  }

  expect_failures = [data.aws_route53_zone.existing]
}

run "created_zone_with_id" {
  command = plan

  variables {
    zone_id = "ZEXISTING0000000000"
  }

  expect_failures = [aws_route53_zone.this]
}

run "invalid_name" {
  command = plan

  variables {
    name = "-webapp"
  }

  expect_failures = [var.name]
}

run "invalid_zone_name" {
  command = plan

  variables {
    zone_name = "webapp.example.internal."
  }

  expect_failures = [var.zone_name]
}

run "empty_record_names" {
  command = plan

  variables {
    record_names = []
  }

  expect_failures = [var.record_names]
}

run "duplicate_record_names" {
  command = plan

  variables {
    record_names = ["www", "www"]
  }

  expect_failures = [var.record_names]
}

run "fqdn_record_name_is_rejected" {
  command = plan

  variables {
    record_names = ["www.webapp.example.internal."]
  }

  expect_failures = [var.record_names]
}

run "invalid_routing_policy" {
  command = plan

  variables {
    routing_policy = "latency"
  }

  expect_failures = [var.routing_policy]
}

run "invalid_primary_weight" {
  command = plan

  variables {
    primary_weight = 256
  }

  expect_failures = [var.primary_weight]
}

run "invalid_standby_weight" {
  command = plan

  variables {
    standby_weight = -1
  }

  expect_failures = [var.standby_weight]
}

run "endpoints_missing_standby" {
  command = plan

  variables {
    endpoints = {
      primary = {
        region      = "us-east-1"
        lb_dns_name = "webapp-web-1.us-east-1.elb.amazonaws.com"
        lb_zone_id  = "Z35SXDOTRQ7X7K"
      }
    }
  }

  expect_failures = [var.endpoints]
}

run "endpoints_with_empty_dns_name" {
  command = plan

  variables {
    endpoints = {
      primary = {
        region      = "us-east-1"
        lb_dns_name = ""
        lb_zone_id  = "Z35SXDOTRQ7X7K"
      }
      standby = {
        region      = "us-west-2"
        lb_dns_name = "webapp-web-2.us-west-2.elb.amazonaws.com"
        lb_zone_id  = "Z1H1FL5HABSF5"
      }
    }
  }

  expect_failures = [var.endpoints]
}

run "invalid_ttl" {
  command = plan

  variables {
    ttl = 86401
  }

  expect_failures = [var.ttl]
}

run "invalid_health_check_port" {
  command = plan

  variables {
    health_check_port = 0
  }

  expect_failures = [var.health_check_port]
}

run "invalid_health_check_path" {
  command = plan

  variables {
    health_check_path = "health"
  }

  expect_failures = [var.health_check_path]
}

run "invalid_health_check_failure_threshold" {
  command = plan

  variables {
    health_check_failure_threshold = 11
  }

  expect_failures = [var.health_check_failure_threshold]
}

run "invalid_health_check_request_interval" {
  command = plan

  variables {
    health_check_request_interval = 20
  }

  expect_failures = [var.health_check_request_interval]
}

run "health_check_override_replaces_a_regions_check" {
  command = plan

  variables {
    health_check_ids_override = { "us-east-1" = "switch-east" }
  }

  assert {
    condition     = aws_route53_record.failover["www/us-east-1"].health_check_id == "switch-east" && aws_route53_record.failover["www/us-west-2"].health_check_id == aws_route53_health_check.this["us-west-2"].id
    error_message = "An override replaces that region's health check only."
  }
}

run "health_check_override_rejects_empty_ids" {
  command = plan

  variables {
    health_check_ids_override = { "us-east-1" = "" }
  }

  expect_failures = [var.health_check_ids_override]
}
