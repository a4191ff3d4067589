terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "registry.terraform.io/hashicorp/aws"
      version = ">= 5.0"
    }
  }

  # The runner passes -backend-config=path=<state file>.
  backend "local" {}
}

# Route53 is a global service whose control plane lives in us-east-1.
provider "aws" {
  region = var.dns_region

  default_tags {
    tags = local.tags
  }
}
