mock_provider "aws" {
  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:us-west-2:123456789012:webapp-drift"
    }
  }

  mock_resource "aws_lambda_function" {
    defaults = {
      arn = "arn:aws:lambda:us-west-2:123456789012:function:webapp-drift"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/webapp-drift"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:us-west-2:123456789012:log-group:/aws/lambda/webapp-drift"
    }
  }

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  name         = "webapp-drift"
  project      = "webapp"
  package_path = "build/drift.zip"
  package_hash = "bm90LWEtcmVhbC1oYXNo"
  iam_actions  = ["autoscaling:DescribeAutoScalingGroups", "ec2:DescribeSecurityGroups"]
  tags         = { Project = "webapp" }
}

run "defaults_create_a_topic_and_wire_schedule_function_and_alarm" {
  command = apply

  assert {
    condition     = length(aws_sns_topic.this) == 1 && output.sns_topic_arn == aws_sns_topic.this[0].arn
    error_message = "Without sns_topic_arn the module creates a topic and the alarm notifies it."
  }

  assert {
    condition     = aws_scheduler_schedule.this.schedule_expression == "rate(1 hour)" && aws_scheduler_schedule.this.target[0].arn == aws_lambda_function.this.arn
    error_message = "The schedule runs hourly by default and targets the function."
  }

  assert {
    condition     = aws_scheduler_schedule.this.target[0].role_arn == aws_iam_role.scheduler.arn
    error_message = "The schedule invokes the function with its own role."
  }

  assert {
    condition     = aws_lambda_function.this.handler == "standby.drift.scheduled.handler" && aws_lambda_function.this.runtime == "python3.11"
    error_message = "The function runs standby's scheduled handler on Python 3.11."
  }

  assert {
    condition     = aws_lambda_function.this.source_code_hash == "bm90LWEtcmVhbC1oYXNo" && aws_lambda_function.this.filename == "build/drift.zip"
    error_message = "The package and its hash come from the variables."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.findings.namespace == "Standby/Drift" && aws_cloudwatch_metric_alarm.findings.metric_name == "Findings"
    error_message = "The alarm watches the metric the handler publishes."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.findings.dimensions["Project"] == "webapp" && aws_cloudwatch_metric_alarm.findings.threshold == 1
    error_message = "The alarm is per project and fires on the first drifted finding."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.findings.treat_missing_data == "breaching"
    error_message = "A check that did not run must alarm too."
  }

  assert {
    condition     = contains(aws_cloudwatch_metric_alarm.findings.alarm_actions, aws_sns_topic.this[0].arn)
    error_message = "The alarm notifies the topic."
  }

  assert {
    condition     = length(aws_lambda_function.this.environment) == 0
    error_message = "No environment block without extra variables."
  }
}

run "an_existing_topic_is_used_as_given" {
  command = plan

  variables {
    sns_topic_arn       = "arn:aws:sns:us-west-2:123456789012:oncall"
    schedule_expression = "cron(0 6 * * ? *)"
    environment         = { STANDBY_AWS_ENDPOINT = "http://127.0.0.1:5000" }
  }

  assert {
    condition     = length(aws_sns_topic.this) == 0 && output.sns_topic_arn == "arn:aws:sns:us-west-2:123456789012:oncall"
    error_message = "A given topic is not created again."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.findings.alarm_actions == toset(["arn:aws:sns:us-west-2:123456789012:oncall"])
    error_message = "The alarm notifies the given topic."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["STANDBY_AWS_ENDPOINT"] == "http://127.0.0.1:5000"
    error_message = "Extra environment variables reach the function."
  }
}

run "invalid_schedule_expression" {
  command = plan

  variables {
    schedule_expression = "every hour"
  }

  expect_failures = [var.schedule_expression]
}

run "invalid_iam_action" {
  command = plan

  variables {
    iam_actions = ["DescribeEverything"]
  }

  expect_failures = [var.iam_actions]
}

run "invalid_alarm_period" {
  command = plan

  variables {
    alarm_period_seconds = 90
  }

  expect_failures = [var.alarm_period_seconds]
}

run "invalid_package_path" {
  command = plan

  variables {
    package_path = "build/drift.tar.gz"
  }

  expect_failures = [var.package_path]
}

run "invalid_topic_arn" {
  command = plan

  variables {
    sns_topic_arn = "oncall"
  }

  expect_failures = [var.sns_topic_arn]
}
