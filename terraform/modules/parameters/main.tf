resource "aws_ssm_parameter" "this" {
  for_each = var.parameters

  name        = "${var.path_prefix}/${each.key}"
  description = var.description
  type        = "String"
  tier        = "Standard"
  value       = each.value

  tags = var.tags
}
