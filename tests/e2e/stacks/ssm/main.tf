# A one-resource stack for exercising the runner against the emulator.
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

variable "value" {
  type      = string
  sensitive = true
}

provider "aws" {
  region = var.region
}

resource "aws_ssm_parameter" "this" {
  name  = "/runner-test/${var.region}"
  type  = "String"
  value = var.value
}

output "parameter_name" {
  value = aws_ssm_parameter.this.name
}

output "settings" {
  value = { region = var.region, count = 2 }
}
