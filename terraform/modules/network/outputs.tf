output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "azs" {
  description = "Availability zones the subnets are spread over, in order."
  value       = local.azs
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (load balancer and instances), one per availability zone, in azs order."
  value       = [for az in local.azs : aws_subnet.public[az].id]
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (database), one per availability zone, in azs order."
  value       = [for az in local.azs : aws_subnet.private[az].id]
}

output "subnet_ids" {
  description = "Alias of public_subnet_ids."
  value       = [for az in local.azs : aws_subnet.public[az].id]
}

output "internet_gateway_id" {
  description = "ID of the internet gateway."
  value       = aws_internet_gateway.this.id
}

output "alb_security_group_id" {
  description = "Security group of the load balancer (HTTP 80 from alb_ingress_cidr_blocks)."
  value       = aws_security_group.alb.id
}

output "app_security_group_id" {
  description = "Security group of the application instances (app_port from the ALB security group)."
  value       = aws_security_group.app.id
}

output "db_security_group_id" {
  description = "Security group of the database (db_port from the app security group)."
  value       = aws_security_group.db.id
}
