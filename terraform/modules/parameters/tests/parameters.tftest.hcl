mock_provider "aws" {}

variables {
  path_prefix = "/webapp"
  parameters = {
    "log_level"    = "info"
    "feature/beta" = "off"
  }
  tags = { Project = "webapp" }
}

run "string_parameters_under_prefix" {
  command = apply

  assert {
    condition     = aws_ssm_parameter.this["log_level"].name == "/webapp/log_level" && aws_ssm_parameter.this["feature/beta"].name == "/webapp/feature/beta"
    error_message = "Names must be <path_prefix>/<key>."
  }

  assert {
    condition     = alltrue([for p in aws_ssm_parameter.this : p.type == "String"])
    error_message = "Parameters are String type."
  }

  assert {
    condition     = aws_ssm_parameter.this["log_level"].value == "info"
    error_message = "Values come from the map."
  }

  assert {
    condition     = output.parameter_names == tolist(["/webapp/feature/beta", "/webapp/log_level"])
    error_message = "parameter_names must be sorted by key."
  }

  assert {
    condition     = output.parameter_arns == tolist([aws_ssm_parameter.this["feature/beta"].arn, aws_ssm_parameter.this["log_level"].arn])
    error_message = "parameter_arns must follow parameter_names."
  }
}

run "no_parameters" {
  command = plan

  variables {
    parameters = {}
  }

  assert {
    condition     = length(aws_ssm_parameter.this) == 0 && length(output.parameter_names) == 0
    error_message = "An empty map creates nothing."
  }
}

run "invalid_path_prefix_trailing_slash" {
  command = plan

  variables {
    path_prefix = "/webapp/"
  }

  expect_failures = [var.path_prefix]
}

run "invalid_path_prefix_reserved" {
  command = plan

  variables {
    path_prefix = "/aws/webapp"
  }

  expect_failures = [var.path_prefix]
}

run "invalid_parameter_key" {
  command = plan

  variables {
    parameters = { "/leading" = "x" }
  }

  expect_failures = [var.parameters]
}

run "invalid_parameter_value" {
  command = plan

  variables {
    parameters = { "empty" = "" }
  }

  expect_failures = [var.parameters]
}
