output "autoscaling_group_name" {
  description = "Name of the auto scaling group (the orchestrator scales it with SetDesiredCapacity)."
  value       = aws_autoscaling_group.this.name
}

output "autoscaling_group_arn" {
  description = "ARN of the auto scaling group."
  value       = aws_autoscaling_group.this.arn
}

output "min_size" {
  description = "Minimum size as configured."
  value       = aws_autoscaling_group.this.min_size
}

output "max_size" {
  description = "Maximum size as configured."
  value       = aws_autoscaling_group.this.max_size
}

output "launch_template_id" {
  description = "ID of the launch template."
  value       = aws_launch_template.this.id
}

output "launch_template_latest_version" {
  description = "Latest version of the launch template."
  value       = aws_launch_template.this.latest_version
}

output "lb_arn" {
  description = "ARN of the application load balancer."
  value       = aws_lb.this.arn
}

output "lb_dns_name" {
  description = "DNS name of the load balancer (Route53 alias/CNAME target and health-check FQDN)."
  value       = aws_lb.this.dns_name
}

output "lb_zone_id" {
  description = "Canonical hosted zone id of the load balancer (for Route53 alias records)."
  value       = aws_lb.this.zone_id
}

output "listener_arn" {
  description = "ARN of the HTTP listener."
  value       = aws_lb_listener.this.arn
}

output "target_group_arn" {
  description = "ARN of the target group the auto scaling group registers into."
  value       = aws_lb_target_group.this.arn
}
