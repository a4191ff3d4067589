output "parameter_names" {
  description = "Full names of the parameters, sorted by key."
  value       = tolist([for k in sort(keys(var.parameters)) : aws_ssm_parameter.this[k].name])
}

output "parameter_arns" {
  description = "ARNs of the parameters, sorted by key (same order as parameter_names)."
  value       = tolist([for k in sort(keys(var.parameters)) : aws_ssm_parameter.this[k].arn])
}

output "path_prefix" {
  description = "Path prefix of the parameters (for GetParametersByPath)."
  value       = var.path_prefix
}
