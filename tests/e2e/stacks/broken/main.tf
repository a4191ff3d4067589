# Invalid on purpose: the runner must surface terraform's error.
terraform {
  backend "local" {}
}

resource "aws_ssm_parameter" "this" {
  name           = "/broken"
  not_a_real_arg = true
}
