locals {
  tags = merge({ Project = var.project, ManagedBy = "terraform" }, var.tags)
}

module "traffic" {
  source = "../../modules/traffic"

  name        = var.project
  create_zone = var.create_zone
  zone_id     = var.zone_id
  zone_name   = var.zone_name

  record_names   = var.record_names
  routing_policy = var.routing_policy
  primary_weight = var.primary_weight
  standby_weight = var.standby_weight
  use_alias      = var.use_alias
  ttl            = var.ttl
  endpoints      = var.endpoints

  health_check_ids_override = var.health_check_ids_override
  evicted_regions           = var.evicted_regions

  health_check_port             = 80
  health_check_path             = var.health_check_path
  health_check_request_interval = var.health_check_request_interval

  tags = local.tags
}
