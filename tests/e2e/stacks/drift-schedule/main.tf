# The drift-schedule module applied on its own in the standby region, as a project would (test stack).
terraform {
  required_version = ">= 1.5"
  backend "local" {}
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0" }
  }
}

variable "region" {
  type = string
}

variable "package_path" {
  type = string
}

variable "iam_actions" {
  type = list(string)
}

variable "endpoint" {
  type = string
}

provider "aws" {
  region = var.region
}

module "drift_schedule" {
  source = "../../../../terraform/modules/drift-schedule"

  name                = "webapp-drift"
  project             = "webapp"
  package_path        = var.package_path
  iam_actions         = var.iam_actions
  schedule_expression = "rate(30 minutes)"
  environment         = { STANDBY_AWS_ENDPOINT = var.endpoint }

  tags = { Project = "webapp" }
}

output "drift_schedule" {
  value = {
    function_name = module.drift_schedule.function_name
    function_arn  = module.drift_schedule.function_arn
    schedule_arn  = module.drift_schedule.schedule_arn
    alarm_name    = module.drift_schedule.alarm_name
    sns_topic_arn = module.drift_schedule.sns_topic_arn
  }
}
