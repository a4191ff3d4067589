# Plan-only tests of the global (DNS) stack's contract.
mock_provider "aws" {}

variables {
  project      = "webapp"
  zone_name    = "webapp.example.internal"
  record_names = ["www"]
  endpoints = {
    primary = {
      region      = "us-east-1"
      lb_dns_name = "webapp-web-1.us-east-1.elb.amazonaws.com"
      lb_zone_id  = "Z35SXDOTRQ7X7K"
    }
    standby = {
      region      = "us-west-2"
      lb_dns_name = "webapp-web-1.us-west-2.elb.amazonaws.com"
      lb_zone_id  = "Z1H1FL5HABSF5"
    }
  }
}

run "failover_by_default" {
  command = plan

  assert {
    condition     = output.routing_policy == "failover" && output.record_fqdns == tolist(["www.webapp.example.internal"])
    error_message = "Defaults: failover records, names relative to the zone."
  }

  assert {
    condition     = output.record_type == "A" && output.zone_name == "webapp.example.internal"
    error_message = "Defaults: alias A records in the created zone."
  }
}

run "weighted_cname" {
  command = plan

  variables {
    routing_policy = "weighted"
    use_alias      = false
    ttl            = 30
  }

  assert {
    condition     = output.routing_policy == "weighted" && output.record_type == "CNAME"
    error_message = "Weighted CNAME records expected."
  }
}

run "invalid_project" {
  command = plan

  variables {
    project = "x"
  }

  expect_failures = [var.project]
}

run "invalid_dns_region" {
  command = plan

  variables {
    dns_region = "global"
  }

  expect_failures = [var.dns_region]
}

run "invalid_ttl" {
  command = plan

  variables {
    ttl = -1
  }

  expect_failures = [var.ttl]
}

run "invalid_routing_policy" {
  command = plan

  variables {
    routing_policy = "geolocation"
  }

  expect_failures = [var.routing_policy]
}

run "invalid_primary_weight" {
  command = plan

  variables {
    primary_weight = 300
  }

  expect_failures = [var.primary_weight]
}

run "invalid_standby_weight" {
  command = plan

  variables {
    standby_weight = 0.5
  }

  expect_failures = [var.standby_weight]
}

run "endpoints_wrong_keys" {
  command = plan

  variables {
    endpoints = {
      east = {
        region      = "us-east-1"
        lb_dns_name = "a.elb.amazonaws.com"
        lb_zone_id  = "Z1"
      }
      west = {
        region      = "us-west-2"
        lb_dns_name = "b.elb.amazonaws.com"
        lb_zone_id  = "Z2"
      }
    }
  }

  expect_failures = [var.endpoints]
}

run "endpoints_same_region" {
  command = plan

  variables {
    endpoints = {
      primary = {
        region      = "us-east-1"
        lb_dns_name = "a.elb.amazonaws.com"
        lb_zone_id  = "Z1"
      }
      standby = {
        region      = "us-east-1"
        lb_dns_name = "b.elb.amazonaws.com"
        lb_zone_id  = "Z2"
      }
    }
  }

  expect_failures = [var.endpoints]
}
