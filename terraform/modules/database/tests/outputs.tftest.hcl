mock_provider "aws" {}

variables {
  identifier             = "webapp-db"
  subnet_ids             = ["subnet-aaaa1111", "subnet-bbbb2222"]
  vpc_security_group_ids = ["sg-db111111"]
  tags                   = { Project = "webapp" }
}

run "empty_source_output_is_null" {
  command = apply

  variables {
    role     = "primary"
    password = "correct-horse-battery"
  }

  override_resource {
    target = aws_db_instance.this
    values = {
      replicate_source_db = ""
    }
  }

  assert {
    condition     = output.replicate_source_db == null
    error_message = "An empty source must be exposed as null."
  }
}
