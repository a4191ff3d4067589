terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "registry.terraform.io/hashicorp/aws"
      version = ">= 5.0"
    }
  }

  # The runner passes -backend-config=path=<state file per region>.
  backend "local" {}
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}
