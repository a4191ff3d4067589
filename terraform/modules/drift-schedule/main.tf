locals {
  create_topic     = var.sns_topic_arn == null
  topic_arn        = local.create_topic ? aws_sns_topic.this[0].arn : var.sns_topic_arn
  package_hash     = var.package_hash != null ? var.package_hash : filebase64sha256(var.package_path)
  metric_namespace = "Standby/Drift"
  metric_name      = "Findings"
}

################################################################################
# The function: runs the parity and readiness checks, publishes Standby/Drift Findings
################################################################################

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "check" {
  statement {
    sid       = "DriftCheck"
    actions   = sort(distinct(concat(var.iam_actions, ["cloudwatch:PutMetricData"])))
    resources = ["*"]
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
}

resource "aws_iam_role" "lambda" {
  name               = "${var.name}-function"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy" "check" {
  name   = "drift-check"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.check.json
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

resource "aws_lambda_function" "this" {
  function_name    = var.name
  description      = "standby drift check of ${var.project} (parity and readiness)"
  role             = aws_iam_role.lambda.arn
  filename         = var.package_path
  source_code_hash = local.package_hash
  handler          = var.handler
  runtime          = var.runtime
  timeout          = var.timeout_seconds
  memory_size      = var.memory_mb

  dynamic "environment" {
    for_each = length(var.environment) > 0 ? [var.environment] : []

    content {
      variables = environment.value
    }
  }

  tags = var.tags

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.check]
}

################################################################################
# The schedule: EventBridge Scheduler invokes the function
################################################################################

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "invoke" {
  statement {
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.this.arn]
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name}-schedule"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json

  tags = var.tags
}

resource "aws_iam_role_policy" "invoke" {
  name   = "invoke-drift-check"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.invoke.json
}

resource "aws_scheduler_schedule" "this" {
  name                         = var.name
  description                  = "Runs the standby drift check of ${var.project}"
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.schedule_timezone

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_function.this.arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode({ source = "standby-drift-schedule" })

    retry_policy {
      maximum_retry_attempts = 1
    }
  }
}

################################################################################
# The alarm: drift found, or no run at all (missing data is breaching) -> SNS
################################################################################

resource "aws_sns_topic" "this" {
  count = local.create_topic ? 1 : 0

  name = var.name

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "findings" {
  alarm_name          = "${var.name}-findings"
  alarm_description   = "standby drift check of ${var.project}: drift found between the regions, or the check did not run."
  namespace           = local.metric_namespace
  metric_name         = local.metric_name
  dimensions          = { Project = var.project }
  statistic           = "Maximum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = var.findings_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [local.topic_arn]
  ok_actions          = [local.topic_arn]

  tags = var.tags
}
