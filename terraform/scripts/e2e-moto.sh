#!/usr/bin/env bash
# End-to-end check of the stacks against a moto server:
#   apply region (primary), region (standby), global; a second plan of each must show no changes;
#   the standby's replica must replicate from the primary's ARN; an out-of-band scale-out of the standby ASG and
#   an inverted primary health check must not be planned away.
#
# Environment:
#   AWS_ENDPOINT_URL    the moto server (required; the script refuses to run against real AWS)
#   TF_CLI_CONFIG_FILE  a CLI configuration that can install hashicorp/aws (e.g. a filesystem mirror)
#   PYTHON              a Python with boto3 (default: <repo>/.venv/bin/python, else python3)
#   WORK                directory for state, plans and data dirs (default: a new temporary directory)
#   RESET=1             POST /moto-api/reset before starting (wipes the emulator)
#   SKIP_EXTRAS=1       skip the second pass (bucket replication on the primary; weighted CNAME records in a
#                       second zone with an out-of-band weight flip)
set -euo pipefail

: "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to the moto server, e.g. http://127.0.0.1:5150}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_EC2_METADATA_DISABLED=true TF_IN_AUTOMATION=1 TF_INPUT=0

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="$(cd "$root/.." && pwd)"
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$repo/.venv/bin/python" ]; then PYTHON="$repo/.venv/bin/python"; else PYTHON=python3; fi
fi
WORK="${WORK:-$(mktemp -d)}"
mkdir -p "$WORK"
echo "work dir: $WORK"

if [ "${RESET:-0}" = 1 ]; then
  curl -fsS -X POST "$AWS_ENDPOINT_URL/moto-api/reset" >/dev/null
fi

timings=()
timed() { # timed <label> <command...>
  local label=$1 start=$SECONDS
  shift
  "$@"
  timings+=("$label: $((SECONDS - start))s")
}

tf() { # tf <name> <stack> <args...>: one state file and one data dir per name
  local name=$1 stack=$2
  shift 2
  TF_DATA_DIR="$WORK/data-$name" terraform -chdir="$root/stacks/$stack" "$@"
}

init() {
  tf "$1" "$2" init -input=false -no-color -reconfigure -backend-config="path=$WORK/$1.tfstate" >/dev/null
}

apply() { # apply <name> <stack>
  tf "$1" "$2" apply -auto-approve -no-color -var-file="$WORK/$1.tfvars.json" >"$WORK/$1.apply.log"
}

plan_clean() { # plan_clean <name> <stack> <label>
  local rc=0
  tf "$1" "$2" plan -no-color -detailed-exitcode -var-file="$WORK/$1.tfvars.json" -out="$WORK/$1.$3.tfplan" \
    >"$WORK/$1.$3.plan.log" || rc=$?
  if [ "$rc" -ne 0 ]; then
    cat "$WORK/$1.$3.plan.log"
    echo "FAIL: $1 ($3): plan exit code $rc, expected 0 (no changes)"
    exit 1
  fi
  echo "ok: $1 ($3): no changes"
}

cat >"$WORK/primary.tfvars.json" <<'JSON'
{
  "project": "webapp",
  "role": "primary",
  "region": "us-east-1",
  "primary_region": "us-east-1",
  "standby_region": "us-west-2",
  "capacity": { "web": { "min_size": 2, "max_size": 6, "desired_capacity": 4 } },
  "db_password": "correct-horse-battery",
  "parameters": { "log_level": "info", "feature/beta": "off" },
  "tags": { "Environment": "e2e" }
}
JSON
"$PYTHON" - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
v = json.load(open(f"{work}/primary.tfvars.json"))
v.update(role="standby", region="us-west-2")
v["capacity"] = {"web": {"min_size": 1, "max_size": 6, "desired_capacity": 1}}
json.dump(v, open(f"{work}/standby.tfvars.json", "w"), indent=2)
PY

for name in primary standby; do init "$name" region; done
init global global

timed "apply region primary" apply primary region
timed "apply region standby" apply standby region

tf primary region output -json >"$WORK/primary.outputs.json"
tf standby region output -json >"$WORK/standby.outputs.json"
"$PYTHON" - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
def endpoint(role):
    o = json.load(open(f"{work}/{role}.outputs.json"))
    return {"region": o["region"]["value"], "lb_dns_name": o["lb_dns_names"]["value"]["web"],
            "lb_zone_id": o["lb_zone_ids"]["value"]["web"]}
json.dump({"project": "webapp", "zone_name": "webapp.example.internal", "record_names": ["www", "api"],
           "ttl": 60, "routing_policy": "failover",
           "endpoints": {"primary": endpoint("primary"), "standby": endpoint("standby")},
           "tags": {"Environment": "e2e"}}, open(f"{work}/global.tfvars.json", "w"), indent=2)
PY
timed "apply global" apply global global
tf global global output -json >"$WORK/global.outputs.json"

timed "plan region primary" plan_clean primary region second
timed "plan region standby" plan_clean standby region second
timed "plan global" plan_clean global global second

# The standby's replica replicates from the primary's ARN (as RDS reports it, and as the stack outputs it).
"$PYTHON" - "$WORK" <<'PY'
import json, os, sys, boto3
work = sys.argv[1]
primary = json.load(open(f"{work}/primary.outputs.json"))
standby = json.load(open(f"{work}/standby.outputs.json"))
primary_arn = primary["db_instance_arns"]["value"][0]
rds = boto3.client("rds", region_name="us-west-2", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
db = rds.describe_db_instances(DBInstanceIdentifier=standby["db_instance_identifiers"]["value"][0])["DBInstances"][0]
assert db["ReadReplicaSourceDBInstanceIdentifier"] == primary_arn, db["ReadReplicaSourceDBInstanceIdentifier"]
assert standby["db_replicate_source"]["value"] == primary_arn
assert standby["primary_db_arn"]["value"] == primary_arn
assert "db_replicate_source" not in primary  # null outputs are omitted by terraform output -json
print(f"ok: standby replica source = {primary_arn}")
PY

# Out of band, as the orchestrator would at failover: scale the standby out, invert the primary health check.
"$PYTHON" - "$WORK" <<'PY'
import json, os, sys, boto3
work = sys.argv[1]
standby = json.load(open(f"{work}/standby.outputs.json"))
dns = json.load(open(f"{work}/global.outputs.json"))
asg = boto3.client("autoscaling", region_name="us-west-2", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
asg.set_desired_capacity(AutoScalingGroupName=standby["autoscaling_group_names"]["value"]["web"], DesiredCapacity=4)
r53 = boto3.client("route53", region_name="us-east-1", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
r53.update_health_check(HealthCheckId=dns["health_check_ids"]["value"]["primary"], Inverted=True)
print("out of band: standby ASG desired 1 -> 4, primary health check inverted")
PY
timed "plan region standby after scale-out" plan_clean standby region failover
timed "plan global after inverting" plan_clean global global failover
tf standby region show -json "$WORK/standby.failover.tfplan" >"$WORK/standby.failover.json"
"$PYTHON" - "$WORK" <<'PY'
import json, sys
plan = json.load(open(f"{sys.argv[1]}/standby.failover.json"))
drift = {d["address"]: d["change"] for d in plan.get("resource_drift", [])}
asg = drift['module.compute["web"].aws_autoscaling_group.this']
assert (asg["before"]["desired_capacity"], asg["after"]["desired_capacity"]) == (1, 4), asg
changes = [r["address"] for r in plan["resource_changes"] if r["change"]["actions"] != ["no-op"]]
assert not changes, changes
print("ok: desired_capacity 1 -> 4 is drift only; no change planned")
PY

if [ "${SKIP_EXTRAS:-0}" != 1 ]; then
  # Second pass on the primary: bucket replication once the standby's bucket exists.
  "$PYTHON" -c 'import json,sys; v=json.load(open(sys.argv[1])); v["enable_storage_replication"]=True; json.dump(v,open(sys.argv[2],"w"),indent=2)' \
    "$WORK/primary.tfvars.json" "$WORK/primary-replication.tfvars.json"
  init primary-replication region
  cp "$WORK/primary.tfstate" "$WORK/primary-replication.tfstate"
  timed "apply region primary + replication" apply primary-replication region
  timed "plan region primary + replication" plan_clean primary-replication region second

  # Weighted CNAME records in a second zone; the orchestrator flips the weights with UPSERT.
  "$PYTHON" -c 'import json,sys; v=json.load(open(sys.argv[1])); v.update(zone_name="weighted.example.internal", routing_policy="weighted", use_alias=False, ttl=30); json.dump(v,open(sys.argv[2],"w"),indent=2)' \
    "$WORK/global.tfvars.json" "$WORK/weighted.tfvars.json"
  init weighted global
  timed "apply global weighted" apply weighted global
  timed "plan global weighted" plan_clean weighted global second
  tf weighted global output -json >"$WORK/weighted.outputs.json"
  "$PYTHON" - "$WORK" <<'PY'
import json, os, sys, boto3
zone = json.load(open(f"{sys.argv[1]}/weighted.outputs.json"))["zone_id"]["value"]
r53 = boto3.client("route53", region_name="us-east-1", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
changes = []
for rrs in r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]:
    if rrs.get("SetIdentifier"):
        rrs["Weight"] = 0 if rrs["SetIdentifier"] == "primary" else 100
        changes.append({"Action": "UPSERT", "ResourceRecordSet": rrs})
r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})
print(f"out of band: weights flipped to primary 0 / standby 100 ({len(changes)} records)")
PY
  timed "plan global weighted after flip" plan_clean weighted global failover
fi

echo "timings:"
printf '  %s\n' "${timings[@]}"
