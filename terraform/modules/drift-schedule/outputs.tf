output "function_name" {
  description = "Name of the Lambda function running the check."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function running the check."
  value       = aws_lambda_function.this.arn
}

output "schedule_arn" {
  description = "ARN of the EventBridge Scheduler schedule."
  value       = aws_scheduler_schedule.this.arn
}

output "alarm_name" {
  description = "Name of the alarm on the findings metric."
  value       = aws_cloudwatch_metric_alarm.findings.alarm_name
}

output "alarm_arn" {
  description = "ARN of the alarm on the findings metric."
  value       = aws_cloudwatch_metric_alarm.findings.arn
}

output "sns_topic_arn" {
  description = "Topic the alarm notifies (created or given)."
  value       = local.topic_arn
}

output "metric" {
  description = "The metric the function publishes: { namespace, name, dimensions }."
  value       = { namespace = local.metric_namespace, name = local.metric_name, dimensions = { Project = var.project } }
}
