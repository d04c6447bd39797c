"""Checks for tests/emulator/run.sh (run with the emulator venv's python).

  check.py override MODULE_DIR ENDPOINT        print emulator_override.tf for the module
  check.py outputs OUTPUTS_JSON                 every `output -json` value is set
  check.py replan PLAN_JSON ACCEPTED_GAPS       classify a re-plan's changes
  check.py leftovers STATE_JSON ENDPOINT        after destroy, probe moto for every applied resource
  check.py certificate MODULE_DIR ENDPOINT      request an ACM certificate in moto, print its ARN
  check.py upgrade PLAN_JSON                    the upgrade plan destroys or replaces no stateful resource
"""

import json
import re
import sys
from collections import Counter
from pathlib import Path

# Provider `endpoints` argument for each resource/data-source type prefix the module may use.
# Longest prefix wins. A type that matches none fails the override step: the provider would
# otherwise call real AWS for it (and hang on retries or fail without network).
SERVICE_OF_PREFIX = {
    "aws_acm_": "acm",
    "aws_alb": "elbv2",
    "aws_ami": "ec2",
    "aws_appautoscaling_": "applicationautoscaling",
    "aws_autoscaling_": "autoscaling",
    "aws_availability_zones": "ec2",
    "aws_backup_": "backup",
    "aws_caller_identity": "sts",
    "aws_cloudwatch_dashboard": "cloudwatch",
    "aws_cloudwatch_event_": "events",
    "aws_cloudwatch_log_": "logs",
    "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_cloudwatch_composite_alarm": "cloudwatch",
    "aws_db_": "rds",
    "aws_default_": "ec2",
    "aws_dynamodb_": "dynamodb",
    "aws_ec2_": "ec2",
    "aws_ecr_": "ecr",
    "aws_ecs_": "ecs",
    "aws_egress_only_internet_gateway": "ec2",
    "aws_eip": "ec2",
    "aws_flow_log": "ec2",
    "aws_iam_": "iam",
    "aws_instance": "ec2",
    "aws_internet_gateway": "ec2",
    "aws_kms_": "kms",
    "aws_launch_template": "ec2",
    "aws_lb": "elbv2",
    "aws_nat_gateway": "ec2",
    "aws_network_acl": "ec2",
    "aws_rds_": "rds",
    "aws_route": "ec2",
    "aws_s3_": "s3",
    "aws_secretsmanager_": "secretsmanager",
    "aws_security_group": "ec2",
    "aws_sns_": "sns",
    "aws_sqs_": "sqs",
    "aws_ssm_": "ssm",
    "aws_subnet": "ec2",
    "aws_vpc": "ec2",
    "aws_wafv2_": "wafv2",
}
# Data sources answered by the provider itself, without an API call.
NO_API = {"aws_partition", "aws_region", "aws_default_tags", "aws_elb_service_account", "aws_iam_policy_document"}
# Always configured: the provider calls these on its own (STS for the account id if ever asked).
ALWAYS = {"sts", "iam"}


def service_for(type_name: str) -> str | None:
    best = max((p for p in SERVICE_OF_PREFIX if type_name.startswith(p)), key=len, default=None)
    return SERVICE_OF_PREFIX[best] if best else None


def cmd_override(module_dir: str, endpoint: str) -> int:
    types: set[str] = set()
    for tf in Path(module_dir).glob("*.tf"):
        types.update(re.findall(r'^\s*(?:resource|data)\s+"(aws_[a-z0-9_]+)"', tf.read_text(), re.M))
    services = set(ALWAYS)
    unknown = []
    for t in sorted(types - NO_API):
        service = service_for(t)
        if service is None:
            unknown.append(t)
        else:
            services.add(service)
    if unknown:
        print(f"check.py: no emulator endpoint known for {', '.join(unknown)}; add it to SERVICE_OF_PREFIX",
              file=sys.stderr)
        return 1
    width = max(len(s) for s in services)
    endpoints = "\n".join(f'    {s.ljust(width)} = "{endpoint}"' for s in sorted(services))
    print(f"""# Written by tests/emulator/run.sh: points the provider at moto, keeps state local.
terraform {{
  backend "local" {{}}
}}

provider "aws" {{
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
  # Three attempts: enough to ride over a keep-alive connection moto's server dropped (a transport
  # error the SDK retries), few enough that an API moto answers with a 5xx fails within seconds.
  max_retries = 3

  endpoints {{
{endpoints}
  }}
}}""")
    return 0


def cmd_outputs(outputs_json: str) -> int:
    outputs = json.loads(Path(outputs_json).read_text())
    if not outputs:
        print("no outputs at all")
        return 1
    empty = [name for name, o in sorted(outputs.items()) if o.get("value") in (None, "", [], {})]
    for name in sorted(outputs):
        shown = "(sensitive)" if outputs[name].get("sensitive") else json.dumps(outputs[name].get("value"))
        print(f"  {'EMPTY' if name in empty else 'ok   '} {name} = {shown[:100]}")
    if empty:
        print(f"{len(empty)} of {len(outputs)} outputs have no value: {', '.join(empty)}")
        return 1
    print(f"all {len(outputs)} outputs have a value")
    return 0


def load_gaps(path: str) -> dict[tuple[str, str], str]:
    """accepted-gaps.txt: `resource_type attribute reason...` per line; # comments."""
    gaps = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        type_name, attribute, reason = line.split(None, 2)
        gaps[(type_name, attribute)] = reason
    return gaps


def changed_attributes(change: dict) -> set[str]:
    before = change.get("before") or {}
    after = change.get("after") or {}
    unknown = change.get("after_unknown") or {}
    names = set(before) | set(after) | set(unknown)
    return {n for n in names if before.get(n) != after.get(n) or unknown.get(n) is True or
            (isinstance(unknown.get(n), (dict, list)) and _has_true(unknown.get(n)))}


def _has_true(value) -> bool:
    if value is True:
        return True
    if isinstance(value, dict):
        return any(_has_true(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_true(v) for v in value)
    return False


def cmd_replan(plan_json: str, gaps_file: str) -> int:
    plan = json.loads(Path(plan_json).read_text())
    gaps = load_gaps(gaps_file)
    failures, accepted, reads = [], [], []
    for rc in plan.get("resource_changes", []):
        actions = rc["change"]["actions"]
        if actions == ["no-op"]:
            continue
        if actions == ["read"]:
            reads.append(rc["address"])
            continue
        attrs = changed_attributes(rc["change"]) if actions == ["update"] or "delete" in actions and "create" in actions else set()
        if not attrs:
            # A bare create or delete means apply did not converge: never an accepted gap.
            failures.append(f"{rc['address']}: {'/'.join(actions)}")
            continue
        for attr in sorted(attrs):
            reason = gaps.get((rc["type"], attr))
            line = f"{rc['address']}: {'/'.join(actions)} {attr}"
            if reason:
                accepted.append(f"{line}  (accepted: {reason})")
            else:
                failures.append(line)
    for name, oc in sorted(plan.get("output_changes", {}).items()):
        if oc["actions"] != ["no-op"]:
            reason = gaps.get(("output", name))
            (accepted if reason else failures).append(
                f"output.{name}: {'/'.join(oc['actions'])}" + (f"  (accepted: {reason})" if reason else ""))
    for line in accepted:
        print(f"  gap  {line}")
    for address in reads:
        print(f"  read {address} (deferred to apply by a pending change)")
    for line in failures:
        print(f"  DIFF {line}")
    used = {(a.split(": ", 1)[0]) for a in accepted}
    print(f"re-plan: {len(failures)} unexpected change(s), {len(accepted)} accepted emulator gap(s) "
          f"on {len(used)} resource(s)")
    if failures:
        print("Each DIFF is a perpetual diff: fix the template, or, if moto does not round-trip that "
              "attribute, add `type attribute reason` to tests/emulator/accepted-gaps.txt")
        return 1
    return 0


# --- upgrade -----------------------------------------------------------------------------------
# Resource types that hold data a user would lose if Terraform destroyed or replaced them: the
# upgrade plan (the previous release's module applied, the current one rendered over it) must
# keep every one of them.
STATEFUL = {
    "aws_db_instance", "aws_rds_cluster", "aws_dynamodb_table", "aws_s3_bucket", "aws_backup_vault",
    "aws_kms_key", "aws_cloudwatch_log_group", "aws_secretsmanager_secret", "aws_efs_file_system",
    "aws_ebs_volume", "aws_ecr_repository",
    # Replaced, every email subscriber has to confirm again: alarms would reach nobody meanwhile.
    "aws_sns_topic", "aws_sns_topic_subscription",
}


def cmd_upgrade(plan_json: str) -> int:
    plan = json.loads(Path(plan_json).read_text())
    failures, others, moved = [], [], []
    for rc in plan.get("resource_changes", []):
        actions = rc["change"]["actions"]
        if rc.get("previous_address") and rc["previous_address"] != rc["address"]:
            moved.append(f"{rc['previous_address']} -> {rc['address']}")
        if "delete" not in actions:
            continue
        line = f"{rc['address']}: {'/'.join(actions)}"
        (failures if rc["type"] in STATEFUL else others).append(line)
    for line in moved:
        print(f"  moved   {line}")
    for line in others:
        print(f"  replace {line}  (no data in it)")
    for line in failures:
        print(f"  LOST    {line}")
    print(f"upgrade plan: {len(failures)} stateful resource(s) destroyed or replaced, "
          f"{len(others)} stateless replacement(s), {len(moved)} moved")
    if failures:
        print("Each LOST resource would lose its data on upgrade: keep its address and its name, or ship "
              "a `moved` block (templates/aws/moved.tf.j2)")
        return 1
    return 0


# --- leftovers ---------------------------------------------------------------------------------
# Resources that exist only inside a parent probed below: gone when the parent is gone.
PART_OF_PARENT = {
    "aws_autoscaling_policy", "aws_autoscaling_lifecycle_hook", "aws_autoscaling_notification",
    "aws_appautoscaling_policy", "aws_cloudwatch_event_target", "aws_db_instance_automated_backups_replication",
    "aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_lb_listener_rule", "aws_route",
    "aws_route_table_association", "aws_s3_bucket_lifecycle_configuration", "aws_s3_bucket_logging",
    "aws_s3_bucket_ownership_controls", "aws_s3_bucket_policy", "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_versioning",
    "aws_s3_bucket_notification", "aws_vpc_security_group_egress_rule", "aws_vpc_security_group_ingress_rule",
    "aws_security_group_rule", "aws_secretsmanager_secret_version", "aws_sns_topic_policy",
    "aws_vpc_endpoint_route_table_association", "aws_lb_target_group_attachment",
    "aws_autoscaling_attachment", "aws_kms_key_policy", "aws_ecs_cluster_capacity_providers",
    # Adopted, not created: the VPC's own default group (and ACL), deleted only with the VPC.
    "aws_default_security_group", "aws_default_network_acl", "aws_default_route_table",
}


def _not_found(exc) -> bool:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
    return bool(re.search(r"NotFound|NoSuch|404|InvalidParameterValue|ValidationError|DoesNotExist|Invalid.*\.Malformed",
                          code))


def _probe_ec2_filter(c, method, key, filt, value, state_key=None, dead=("deleted",)):
    items = getattr(c("ec2"), method)(Filters=[{"Name": filt, "Values": [value]}])[key]
    if state_key:
        items = [i for i in items if i.get(state_key) not in dead]
    return bool(items)


def probes():
    """type -> function(client, values) -> True when the resource still exists."""
    def ec2f(method, key, filt, attr="id", **kw):
        return lambda c, v: _probe_ec2_filter(c, method, key, filt, v[attr], **kw)

    def asg_exists(c, v):
        groups = c("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[v["name"]])["AutoScalingGroups"]
        live = c("ec2").describe_instances(Filters=[
            {"Name": "tag:aws:autoscaling:groupName", "Values": [v["name"]]},
            {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}])
        return bool(groups) or any(r["Instances"] for r in live["Reservations"])

    def db_exists(c, v):
        secrets = [s.get("secret_arn") for s in v.get("master_user_secret") or [] if s.get("secret_arn")]
        for arn in secrets:  # the RDS-managed password secret must go with the instance
            if _secret_live(c, arn):
                return True
        return bool(c("rds").describe_db_instances(DBInstanceIdentifier=v["identifier"])["DBInstances"])

    def _secret_live(c, arn):
        try:
            return "DeletedDate" not in c("secretsmanager").describe_secret(SecretId=arn)
        except Exception as exc:  # noqa: BLE001 - any not-found shape means gone
            if _not_found(exc):
                return False
            raise

    def kms_live(c, v):
        return c("kms").describe_key(KeyId=v["key_id"])["KeyMetadata"]["KeyState"] not in ("PendingDeletion",)

    def log_group(c, v):
        groups = c("logs").describe_log_groups(logGroupNamePrefix=v["name"])["logGroups"]
        return any(g["logGroupName"] == v["name"] for g in groups)

    def backup_plan(c, v):
        return "DeletionDate" not in c("backup").get_backup_plan(BackupPlanId=v["id"])

    def ecs_status(kind):
        def probe(c, v):
            if kind == "cluster":
                items = c("ecs").describe_clusters(clusters=[v["arn"]])["clusters"]
            elif kind == "service":
                items = c("ecs").describe_services(cluster=v["cluster"], services=[v["name"]])["services"]
            else:
                items = [c("ecs").describe_task_definition(taskDefinition=v["arn"])["taskDefinition"]]
            return any(i.get("status") not in ("INACTIVE", "DELETE_IN_PROGRESS") for i in items)
        return probe

    return {
        "aws_vpc": ec2f("describe_vpcs", "Vpcs", "vpc-id"),
        "aws_subnet": ec2f("describe_subnets", "Subnets", "subnet-id"),
        "aws_internet_gateway": ec2f("describe_internet_gateways", "InternetGateways", "internet-gateway-id"),
        "aws_nat_gateway": ec2f("describe_nat_gateways", "NatGateways", "nat-gateway-id", state_key="State"),
        "aws_eip": ec2f("describe_addresses", "Addresses", "allocation-id"),
        "aws_route_table": ec2f("describe_route_tables", "RouteTables", "route-table-id"),
        "aws_security_group": ec2f("describe_security_groups", "SecurityGroups", "group-id"),
        # moto has no vpc-endpoint-id filter; the ID list raises InvalidVpcEndpointId.NotFound once gone.
        "aws_vpc_endpoint": lambda c, v: any(
            e.get("State", "").lower() != "deleted"
            for e in c("ec2").describe_vpc_endpoints(VpcEndpointIds=[v["id"]])["VpcEndpoints"]),
        "aws_flow_log": ec2f("describe_flow_logs", "FlowLogs", "flow-log-id"),
        "aws_launch_template": ec2f("describe_launch_templates", "LaunchTemplates", "launch-template-id"),
        "aws_network_acl": ec2f("describe_network_acls", "NetworkAcls", "network-acl-id"),
        "aws_lb": lambda c, v: bool(c("elbv2").describe_load_balancers(LoadBalancerArns=[v["arn"]])["LoadBalancers"]),
        "aws_lb_target_group": lambda c, v: bool(
            c("elbv2").describe_target_groups(TargetGroupArns=[v["arn"]])["TargetGroups"]),
        "aws_lb_listener": lambda c, v: bool(c("elbv2").describe_listeners(ListenerArns=[v["arn"]])["Listeners"]),
        "aws_autoscaling_group": asg_exists,
        "aws_iam_role": lambda c, v: bool(c("iam").get_role(RoleName=v["name"])),
        "aws_iam_instance_profile": lambda c, v: bool(c("iam").get_instance_profile(InstanceProfileName=v["name"])),
        "aws_iam_policy": lambda c, v: bool(c("iam").get_policy(PolicyArn=v["arn"])),
        "aws_kms_key": kms_live,
        "aws_kms_alias": lambda c, v: any(a["AliasName"] == v["name"] for a in c("kms").list_aliases()["Aliases"]),
        "aws_db_instance": db_exists,
        "aws_db_subnet_group": lambda c, v: bool(
            c("rds").describe_db_subnet_groups(DBSubnetGroupName=v["name"])["DBSubnetGroups"]),
        "aws_db_parameter_group": lambda c, v: bool(
            c("rds").describe_db_parameter_groups(DBParameterGroupName=v["name"])["DBParameterGroups"]),
        "aws_s3_bucket": lambda c, v: bool(c("s3").head_bucket(Bucket=v["bucket"])),
        "aws_sns_topic": lambda c, v: bool(c("sns").get_topic_attributes(TopicArn=v["arn"])),
        "aws_sns_topic_subscription": lambda c, v: bool(
            c("sns").get_subscription_attributes(SubscriptionArn=v["arn"])),
        "aws_cloudwatch_log_group": log_group,
        "aws_cloudwatch_metric_alarm": lambda c, v: bool(
            c("cloudwatch").describe_alarms(AlarmNames=[v["alarm_name"]])["MetricAlarms"]),
        "aws_cloudwatch_dashboard": lambda c, v: bool(
            c("cloudwatch").get_dashboard(DashboardName=v["dashboard_name"])),
        "aws_cloudwatch_event_rule": lambda c, v: bool(c("events").describe_rule(Name=v["name"])),
        "aws_backup_vault": lambda c, v: bool(c("backup").describe_backup_vault(BackupVaultName=v["name"])),
        "aws_backup_plan": backup_plan,
        "aws_backup_selection": lambda c, v: bool(
            c("backup").get_backup_selection(BackupPlanId=v["plan_id"], SelectionId=v["id"])),
        "aws_dynamodb_table": lambda c, v: bool(c("dynamodb").describe_table(TableName=v["name"])),
        "aws_appautoscaling_target": lambda c, v: bool(c("application-autoscaling").describe_scalable_targets(
            ServiceNamespace=v["service_namespace"], ResourceIds=[v["resource_id"]],
            ScalableDimension=v["scalable_dimension"])["ScalableTargets"]),
        "aws_ecs_cluster": ecs_status("cluster"),
        "aws_ecs_service": ecs_status("service"),
        "aws_ecs_task_definition": ecs_status("task"),
        "aws_secretsmanager_secret": lambda c, v: _secret_live(c, v["arn"]),
        "aws_ssm_parameter": lambda c, v: bool(c("ssm").get_parameter(Name=v["name"])),
        "aws_acm_certificate": lambda c, v: bool(c("acm").describe_certificate(CertificateArn=v["arn"])),
        "aws_ecr_repository": lambda c, v: bool(c("ecr").describe_repositories(repositoryNames=[v["name"]])),
    }


def _state_resources(state: dict):
    def walk(module):
        yield from module.get("resources", [])
        for child in module.get("child_modules", []):
            yield from walk(child)
    yield from (r for r in walk(state.get("values", {}).get("root_module", {})) if r["mode"] == "managed")


def cmd_leftovers(state_json: str, endpoint: str) -> int:
    import boto3

    state = json.loads(Path(state_json).read_text())
    resources = list(_state_resources(state))
    regions = Counter(m.group(1) for r in resources for m in [re.match(r"arn:[^:]+:[^:]+:([a-z0-9-]+):",
                                                                       str(r["values"].get("arn", "")))] if m)
    region = regions.most_common(1)[0][0] if regions else "us-east-1"
    clients = {}

    def client(service):
        if service not in clients:
            clients[service] = boto3.client(service, endpoint_url=endpoint, region_name=region,
                                            aws_access_key_id="testing", aws_secret_access_key="testing")
        return clients[service]

    table = probes()
    remaining, unprobed, checked = [], [], 0
    for r in resources:
        if r["type"] in PART_OF_PARENT:
            continue
        probe = table.get(r["type"])
        if probe is None:
            unprobed.append(r["address"])
            continue
        checked += 1
        try:
            exists = probe(client, r["values"])
        except Exception as exc:  # noqa: BLE001 - boto3 raises a different class per service
            if not _not_found(exc):
                print(f"  ERROR probing {r['address']}: {exc}")
                remaining.append(r["address"])
                continue
            exists = False
        if exists:
            remaining.append(r["address"])
    for address in remaining:
        print(f"  LEFT {address}")
    for address in unprobed:
        print(f"  UNPROBED {address} (add a probe to check.py or list its type in PART_OF_PARENT)")
    print(f"leftovers: {checked} resources probed in {region}, {len(remaining)} still present, "
          f"{len(unprobed)} without a probe, {len(resources) - checked - len(unprobed)} removed with their parent")
    return 1 if remaining or unprobed else 0


def module_region(module_dir: str) -> str:
    """The region the rendered provider block is configured with."""
    for tf in sorted(Path(module_dir).glob("*.tf")):
        found = re.search(r'^\s*region\s*=\s*"([a-z0-9-]+)"', tf.read_text(), re.M)
        if found:
            return found.group(1)
    raise SystemExit(f"check.py: no provider region found in {module_dir}")


def cmd_certificate(module_dir: str, endpoint: str) -> int:
    # The example's certificate ARN names a real account's certificate; moto's ELBv2 refuses a
    # listener whose certificate it does not hold (and the provider retries that for 5 minutes).
    import boto3

    acm = boto3.client("acm", endpoint_url=endpoint, region_name=module_region(module_dir),
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    print(acm.request_certificate(DomainName="app.example.com")["CertificateArn"])
    return 0


def main(argv: list[str]) -> int:
    commands = {"override": cmd_override, "outputs": cmd_outputs, "replan": cmd_replan, "leftovers": cmd_leftovers,
                "certificate": cmd_certificate, "upgrade": cmd_upgrade}
    if len(argv) < 2 or argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        return 64
    return commands[argv[1]](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
