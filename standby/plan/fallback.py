"""The manual fallback, pure: for each step, the AWS CLI commands an operator runs when standby is unavailable,
with the real names and regions of the plan (and the exact Route53 change batch when the records were read).

Shell variables (``$SG``, ``$ACCOUNT``, ``$CHANGE_ID``) stand for what an earlier command of the same step prints.
"""

from __future__ import annotations

import json
import shlex

from standby import judgements as j
from standby.config.schema import Config
from standby.drill.isolated import DeleteCopy, DeleteDrillRecord, PromoteCopy, ShiftDrillRecord, VerifyDrill
from standby.failover import model as m
from standby.state.store import ROLES_KEY
from standby.traffic_switch import METRIC, NAMESPACE, ROUTE53_REGION, switches

ACCOUNT = "$(aws sts get-caller-identity --query Account --output text)"


def q(value: str) -> str:
    return shlex.quote(value)


def bucket(config: Config, region: str) -> str:
    account = {
        config.regions.primary: config.regions.primary_account,
        config.regions.standby: config.regions.standby_account,
    }.get(region)
    return f"standby-{config.project.name}-{account or '$ACCOUNT'}-{region}"


def _account_line(config: Config) -> list[str]:
    if config.regions.primary_account and config.regions.standby_account:
        return []
    return [f"ACCOUNT={ACCOUNT}"]


def change_batch(plan: m.FailoverPlan, step: m.ShiftTraffic, obs: m.Observation | None) -> dict[str, object] | None:
    """The exact change batch of a records-mode shift, from the observed records; None when they were not read."""
    if obs is None or obs.records is None:
        return None
    changes = j.traffic_changes(obs.records, step.names, step.activate, (plan.activate, plan.demote), evict=step.evict)
    return {"Comment": f"manual failover: traffic to {step.activate}", "Changes": changes}


def commands(config: Config, plan: m.FailoverPlan, step: m.Step, obs: m.Observation | None = None) -> list[str]:
    """What an operator runs for ``step`` by hand."""
    r = q(step.region)
    if isinstance(step, m.Preflight):
        groups = [g for g in (obs.activate.groups if obs is not None else {})]
        dbs = list(obs.activate.databases) if obs is not None else []
        out = [f"aws sts get-caller-identity --region {r}"]
        if groups:
            out.append(
                f"aws autoscaling describe-auto-scaling-groups --region {r} --auto-scaling-group-names "
                + " ".join(q(g) for g in sorted(groups))
            )
        for db in sorted(dbs):
            out.append(f"aws rds describe-db-instances --region {r} --db-instance-identifier {q(db)}")
            out.append(
                f"aws cloudwatch get-metric-statistics --region {r} --namespace AWS/RDS --metric-name ReplicaLag "
                f"--dimensions Name=DBInstanceIdentifier,Value={q(db)} --statistics Maximum --period 60 "
                '--start-time "$(date -u -d -10min +%FT%TZ)" --end-time "$(date -u +%FT%TZ)"'
            )
        return out
    if isinstance(step, m.ScaleGroup):
        t = step.target
        return [
            f"aws autoscaling update-auto-scaling-group --region {r} --auto-scaling-group-name "
            f"{q(step.autoscaling_group)} --min-size {t.min_size} --max-size {t.max_size} "
            f"--desired-capacity {t.desired_capacity}"
        ]
    if isinstance(step, m.WaitHealthy):
        out = [
            f"aws autoscaling describe-auto-scaling-groups --region {r} --auto-scaling-group-names "
            f"{q(step.autoscaling_group)} --query 'AutoScalingGroups[].Instances[].[InstanceId,LifecycleState,"
            f"HealthStatus]'  # until {step.desired} are InService and Healthy"
        ]
        if step.target_group_arn:
            out.append(f"aws elbv2 describe-target-health --region {r} --target-group-arn {q(step.target_group_arn)}")
        return out
    if isinstance(step, m.FenceWrites):
        fence = f"standby-{config.project.name}-fence"
        out = []
        for db in step.databases:
            out += [
                f"aws rds describe-db-instances --region {r} --db-instance-identifier {q(db)} "
                "--query 'DBInstances[0].[VpcSecurityGroups[].VpcSecurityGroupId, DBSubnetGroup.VpcId]'"
                "  # keep the groups: the failback gives them back",
                f"FENCE=$(aws ec2 create-security-group --region {r} --group-name {fence} --vpc-id $VPC "
                "--description 'standby: a fenced database (no ingress)' --query GroupId --output text)",
                f"aws rds modify-db-instance --region {r} --db-instance-identifier {q(db)} "
                "--vpc-security-group-ids $FENCE --apply-immediately",
            ]
        return out
    if isinstance(step, m.RestoreWrites):
        return [
            f"aws s3 cp s3://{bucket(config, step.record_in)}/notes/fence.json - --region {q(step.record_in)}"
            "  # the groups a fence replaced, per database (an earlier version's deployment: notes/fence/)",
            f"aws rds modify-db-instance --region {r} --db-instance-identifier $DB "
            "--vpc-security-group-ids $GROUPS --apply-immediately",
        ]
    if isinstance(step, m.Drain):
        return [f"sleep {step.seconds:.0f}  # the records' TTL plus the drain time"]
    if isinstance(step, m.FenceGroups):
        return [
            f"aws autoscaling update-auto-scaling-group --region {r} --auto-scaling-group-name {q(g)} "
            "--min-size 0 --desired-capacity 0"
            for g in step.groups
        ]
    if isinstance(step, m.PromoteDb):
        return [
            f"aws rds promote-read-replica --region {r} --db-instance-identifier {q(step.identifier)} "
            "--backup-retention-period 1",
            f"aws rds wait db-instance-available --region {r} --db-instance-identifier {q(step.identifier)}",
            f"aws rds describe-db-instances --region {r} --db-instance-identifier {q(step.identifier)} "
            "--query 'DBInstances[0].[DBInstanceStatus,ReadReplicaSourceDBInstanceIdentifier]'"
            "  # promoted: available, and no source",
        ]
    if isinstance(step, m.ShiftTraffic):
        return _shift(config, plan, step, obs)
    if isinstance(step, m.Verify):
        out = [
            f"aws autoscaling describe-auto-scaling-groups --region {r} --auto-scaling-group-names {q(g)}"
            for g, _ in step.groups
        ]
        out += [f"aws rds describe-db-instances --region {r} --db-instance-identifier {q(d)}" for d in step.databases]
        if step.mode == "health-check":
            switch = switches(config)[step.demote]
            out.append(
                f"aws cloudwatch describe-alarms --region {q(switch.alarm_region)} --alarm-names "
                f"{q(switch.alarm_name)} --query 'MetricAlarms[0].StateValue'  # ALARM"
            )
        elif step.zone_id:
            out.append(
                f"aws route53 list-resource-record-sets --hosted-zone-id {q(step.zone_id)} --region {ROUTE53_REGION}"
            )
        return out
    if isinstance(step, m.RecordRoles):
        roles = step.assignment
        doc = {"generation": "<the recorded generation + 1>", "primary": roles.primary, "standby": roles.standby}
        out = _account_line(config)
        for region in roles.regions:
            out += [
                f"aws s3 cp s3://{bucket(config, region)}/{ROLES_KEY} - --region {q(region)}",
                f"echo {q(json.dumps(doc))} | aws s3 cp - s3://{bucket(config, region)}/{ROLES_KEY} "
                f"--region {q(region)}  # changed_at: the epoch seconds now",
            ]
        return out
    if isinstance(step, m.ReseedDb):
        stack = config.stacks[step.stack]
        return [
            f"aws rds create-db-snapshot --region {r} --db-instance-identifier <identifier> "
            "--db-snapshot-identifier standby-final-manual-<identifier>",
            f"aws rds wait db-snapshot-available --region {r} "
            "--db-snapshot-identifier standby-final-manual-<identifier>",
            f"terraform -chdir={q(stack.path)} apply -replace=<aws_db_instance address> "
            "-target=<aws_db_instance address>  # in the stack's workspace for "
            f"{step.region}; `standby failback --dry-run` shows the addresses",
        ]
    if isinstance(step, PromoteCopy):
        return [
            f"aws rds create-db-instance-read-replica --region {r} --db-instance-identifier {q(step.copy)} "
            f"--source-db-instance-identifier {q(step.source)}",
            f"aws rds promote-read-replica --region {r} --db-instance-identifier {q(step.copy)}",
        ]
    if isinstance(step, DeleteCopy):
        return [
            f"aws rds delete-db-instance --region {r} --db-instance-identifier {q(step.copy)} --skip-final-snapshot"
        ]
    if isinstance(step, (ShiftDrillRecord, DeleteDrillRecord, VerifyDrill)):
        zone = getattr(step, "zone_id", None) or "<hosted zone id>"
        return [f"aws route53 list-resource-record-sets --hosted-zone-id {q(zone)} --region {ROUTE53_REGION}"]
    raise KeyError(type(step).__name__)


def _shift(config: Config, plan: m.FailoverPlan, step: m.ShiftTraffic, obs: m.Observation | None) -> list[str]:
    if step.mode == "health-check":
        demote = plan.demote if step.activate == plan.activate else plan.activate
        leaving = switches(config)[demote]
        staying = switches(config)[step.activate]
        reason = q(f"manual failover: traffic to {step.activate}")
        return [
            f"aws cloudwatch put-metric-data --region {q(leaving.alarm_region)} --namespace {NAMESPACE} "
            f"--metric-name {METRIC} --value 1 --dimensions Region={q(demote)}",
            f"aws cloudwatch set-alarm-state --region {q(leaving.alarm_region)} --alarm-name {q(leaving.alarm_name)} "
            f"--state-value ALARM --state-reason {reason}",
            f"aws cloudwatch put-metric-data --region {q(staying.alarm_region)} --namespace {NAMESPACE} "
            f"--metric-name {METRIC} --value 0 --dimensions Region={q(step.activate)}  # best effort",
            f"aws cloudwatch set-alarm-state --region {q(staying.alarm_region)} --alarm-name {q(staying.alarm_name)} "
            f"--state-value OK --state-reason {reason}  # best effort: {staying.alarm_region} may be down",
        ]
    batch = change_batch(plan, step, obs)
    text = (
        json.dumps(batch, separators=(",", ":"), sort_keys=True)
        if batch is not None and batch["Changes"]
        else '{"Changes":[<UPSERT the records of ' + step.activate + " as PRIMARY; DELETE the others'>]}"
    )
    return [
        f"aws route53 list-resource-record-sets --hosted-zone-id {q(step.zone_id)} --region {ROUTE53_REGION}",
        f"aws route53 change-resource-record-sets --hosted-zone-id {q(step.zone_id)} --region {ROUTE53_REGION} "
        f"--change-batch {q(text)}",
        f"aws route53 get-change --id $CHANGE_ID --region {ROUTE53_REGION}  # until INSYNC",
    ]
