"""Failure drills: AWS Fault Injection Service (FIS) experiment templates that break one
part of the environment on purpose, so you can watch it recover (`make drill`).

Three scenarios, each one template tagged `scenario=<name>` (the drill command finds it
by that tag and the environment's own tags):
- az-outage: every subnet of one zone loses its network for a few minutes (the network
  part of AWS's "AZ Availability: Power Interruption" scenario);
- task-loss: half of the service's tasks are stopped;
- db-failover: the Multi-AZ database is rebooted with a forced failover to its standby.

Each drill stops early when an alarm on what users feel (server errors, slow responses)
goes off: losing capacity is the point of a drill, hurting users is not. Creating the
templates costs nothing; FIS charges per action-minute only while a drill runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import iam_path, trusted_by

SCENARIOS = ("az-outage", "task-loss", "db-failover")
SCENARIO_TAG = "scenario"
OUTAGE_MINUTES = 5
TASKS_STOPPED_PERCENT = 50
# The alarms that stop a drill (observability.py): what users feel. Unhealthy hosts and
# CPU are not among them: they are what a drill causes on purpose.
STOP_ALARMS = ("alb-5xx", "target-5xx", "latency-p95")


@dataclass(frozen=True)
class DrillsArgs:
    zone: str  # the zone az-outage takes out
    zone_subnet_arns: list[pulumi.Input[str]]  # every subnet of that zone (all tiers)
    vpc_arn: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    service_name: pulumi.Input[str]
    db_arn: pulumi.Input[str]
    stop_alarm_arns: list[pulumi.Input[str]]


class Drills(pulumi.ComponentResource):
    def __init__(self, name: str, args: DrillsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("epa:drills:Drills", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # FIS acts with this role. AWS's FIS guide names the keys FIS sends: the account,
        # and the ARN of the experiment it runs.
        self.role = aws.iam.Role(
            f"{name}-fis",
            path=iam_path(),
            assume_role_policy=trusted_by(
                "fis.amazonaws.com", source_arn="arn:aws:fis:{region}:{account}:experiment/*"
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-fis",
            role=self.role.id,
            policy=fis_policy(args),
            opts=child,
        )

        stop_conditions = [
            {"source": "aws:cloudwatch:alarm", "value": arn} for arn in args.stop_alarm_arns
        ]
        self.templates: dict[str, aws.fis.ExperimentTemplate] = {}
        for scenario, description, action, target in (
            (
                "az-outage",
                f"Network outage of every subnet in {args.zone} for {OUTAGE_MINUTES} minutes",
                {
                    "action_id": "aws:network:disrupt-connectivity",
                    # scope all: no traffic in or out of the subnets, as if the zone were down.
                    "parameters": [
                        {"key": "duration", "value": f"PT{OUTAGE_MINUTES}M"},
                        {"key": "scope", "value": "all"},
                    ],
                    "target": {"key": "Subnets", "value": "zone-subnets"},
                },
                {
                    "name": "zone-subnets",
                    "resource_type": "aws:ec2:subnet",
                    "resource_arns": args.zone_subnet_arns,
                    # The subnets are listed; the filter also names the zone they are in.
                    "filters": [{"path": "AvailabilityZone", "values": [args.zone]}],
                    "selection_mode": "ALL",
                },
            ),
            (
                "task-loss",
                f"Stop {TASKS_STOPPED_PERCENT}% of the service's tasks",
                {"action_id": "aws:ecs:stop-task", "target": {"key": "Tasks", "value": "tasks"}},
                {
                    "name": "tasks",
                    "resource_type": "aws:ecs:task",
                    # The tasks of this cluster's service, whichever are running at the time.
                    "parameters": {"cluster": args.cluster_name, "service": args.service_name},
                    "selection_mode": f"PERCENT({TASKS_STOPPED_PERCENT})",
                },
            ),
            (
                "db-failover",
                "Reboot the database with a forced failover to its standby",
                {
                    "action_id": "aws:rds:reboot-db-instances",
                    "parameters": [{"key": "forceFailover", "value": "true"}],
                    "target": {"key": "DBInstances", "value": "database"},
                },
                {
                    "name": "database",
                    "resource_type": "aws:rds:db",
                    "resource_arns": [args.db_arn],
                    "selection_mode": "ALL",
                },
            ),
        ):
            self.templates[scenario] = aws.fis.ExperimentTemplate(
                f"{name}-{scenario}",
                description=description,
                role_arn=self.role.arn,
                actions=[{"name": scenario, **action}],
                targets=[target],
                stop_conditions=stop_conditions,
                # The provider adds project and environment (stack.required_tags).
                tags={SCENARIO_TAG: scenario},
                opts=child,
            )
        self.register_outputs({"role_arn": self.role.arn})


def fis_policy(args: DrillsArgs) -> pulumi.Output[str]:
    """What FIS may do in the three drills, on this environment's resources only, as far as
    each call allows (the FIS actions reference lists each action's calls)."""
    account = aws.get_caller_identity_output().account_id
    region = aws.get_region_output().region
    network_acls = pulumi.Output.concat("arn:aws:ec2:", region, ":", account, ":network-acl/*")
    tasks = pulumi.Output.concat(
        "arn:aws:ecs:", region, ":", account, ":task/", args.cluster_name, "/*"
    )
    fis_acl = {"test": "StringEquals", "variable": "aws:RequestTag/managedByFIS"}
    return aws.iam.get_policy_document_output(
        statements=[
            {
                # az-outage: FIS creates a deny-all network ACL (tagged managedByFIS), swaps
                # it onto the zone's subnets, and swaps the original back at the end.
                "sid": "CreateTheDrillsNetworkAcl",
                "actions": ["ec2:CreateNetworkAcl"],
                "resources": [args.vpc_arn],
            },
            {
                "sid": "TagTheDrillsNetworkAcl",
                "actions": ["ec2:CreateNetworkAcl", "ec2:CreateTags"],
                "resources": [network_acls],
                "conditions": [{**fis_acl, "values": ["true"]}],
            },
            {
                "sid": "ChangeOnlyTheDrillsNetworkAcl",
                "actions": ["ec2:CreateNetworkAclEntry", "ec2:DeleteNetworkAcl"],
                "resources": [network_acls],
                "conditions": [
                    {
                        "test": "StringEquals",
                        "variable": "aws:ResourceTag/managedByFIS",
                        "values": ["true"],
                    }
                ],
            },
            {
                # The subnets' own ACL (the VPC's default) has no FIS tag: any ACL here.
                "sid": "SwapTheZonesNetworkAcls",
                "actions": ["ec2:ReplaceNetworkAclAssociation"],
                "resources": [*args.zone_subnet_arns, network_acls],
            },
            {
                # EC2's Describe calls have no resource-level permissions.
                "sid": "ReadTheNetwork",
                "actions": [
                    "ec2:DescribeManagedPrefixLists",
                    "ec2:DescribeNetworkAcls",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeVpcs",
                ],
                "resources": ["*"],
            },
            {
                "sid": "StopTheServicesTasks",
                "actions": ["ecs:DescribeTasks", "ecs:StopTask"],
                "resources": [tasks],
            },
            {
                # ListTasks on Fargate has no resource to name (only container instances):
                # the cluster condition keeps it to this environment's cluster.
                "sid": "ListTheServicesTasks",
                "actions": ["ecs:ListTasks"],
                "resources": ["*"],
                "conditions": [
                    {"test": "ArnEquals", "variable": "ecs:cluster", "values": [args.cluster_arn]}
                ],
            },
            {
                "sid": "FailOverTheDatabase",
                "actions": ["rds:DescribeDBInstances", "rds:RebootDBInstance"],
                "resources": [args.db_arn],
            },
        ]
    ).json
