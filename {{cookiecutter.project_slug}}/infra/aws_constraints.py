"""The models checked against AWS's own rules for API parameters, before anything is deployed.

Why: a first `pulumi up` once failed on two security group descriptions ("PostgreSQL from
the app's tasks only"): EC2 accepts only a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$* in
descriptions, and nothing had compared the model's values with what AWS accepts. The mocks
accept anything; AWS does not.

What: every property below that maps to an AWS API parameter is checked against the
constraints botocore publishes in its service models (the same files the AWS SDKs and CLI
are generated from): `pattern`, `min`, `max` (string and list lengths, number ranges) and
`enum`. Some services (EC2, RDS, Elastic Load Balancing, SNS, ECS, CloudWatch Logs) publish
a rule only as a sentence in the parameter's documentation; DOCUMENTED writes those rules
out next to the sentence, and the tests check botocore still says it. The ECS task
definition's container definitions (JSON text) go through botocore's own ParamValidator
(types, required and unknown fields) and the same pattern/length/enum checks.

Where it runs: tests/test_aws_constraints.py over every synthesized stack and the bootstrap
program, and the `aws-api-constraints` policy rule (policy/rules.py) on every `pulumi
preview` and `pulumi up`.

Not mapped, and why:
- references to other resources (IDs, ARNs: vpcId, subnetIds, securityGroupId, roleArn,
  targetGroupArn, kmsKeyId, ...): AWS creates them, so they are right by construction; in
  the model they are the mocks' placeholders and during a preview they are unknown;
- values AWS checks against the account or region at run time, with no list in botocore:
  RDS instance classes, engine versions and parameter group families (only their type is
  checked), ELB SSL policies, WAF managed rule group names, ECR image URIs;
- JSON documents (IAM and bucket policies, the dashboard body, lifecycle policies): checked
  for length and characters only; their grammar is another service's (IAM Access Analyzer);
- settings the AWS API takes as a free-form attribute map (target group deregistration
  delay, load balancer access logs, ...): botocore has no constraint for them;
- RDS database and master user names: their rules depend on the engine.
Values unknown during a preview (and the model's "[unknown]"/"[secret]" placeholders) are
skipped, never failed.
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.validate import ParamValidator

PROVIDER = "pulumi:providers:aws"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SKIPPED = frozenset({"[unknown]", "[secret]"})  # the model's placeholders (synth.plain)
# Pulumi's default autoname: the logical name, "-" and 7 random hex characters;
# a *Prefix property gets 26 generated characters (Terraform's PrefixedUniqueId).
AUTONAME_SUFFIX = "-0a1b2c3"
PREFIX_SUFFIX = "0" * 26
MAP_KEY = "{key}"  # a map's keys in a path (never two braces: cookiecutter renders this file)


@dataclass(frozen=True)
class Api:
    """An input parameter of an AWS API operation, as botocore names it: `parameter` is a
    path in the operation's input shape ("IpPermissions[].IpRanges[].Description";
    "[]" a list's items, "{key}"/"{value}" a map's)."""

    service: str
    operation: str
    parameter: str

    def __str__(self) -> str:
        return f"{service_label(self.service)} {self.operation} {self.parameter}"


@dataclass(frozen=True)
class Documented:
    """A rule a service states only in the parameter's documentation (quoted)."""

    quote: str
    pattern: str | None = None
    min: int | None = None
    max: int | None = None
    enum: tuple[Any, ...] = ()


def ec2_text(intro: str) -> Documented:
    return Documented(
        intro + " a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;" + "{}!$*",
        r"^[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*$",
        max=255,
    )


def named(quote: str, pattern: str) -> Documented:
    return Documented(quote, pattern)


LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096)
LOG_RETENTION_DAYS += (1827, 2192, 2557, 2922, 3288, 3653)
LETTERS_DIGITS_HYPHENS = "letters, numbers, or hyphens. First character must be a letter"
DOCUMENTED: dict[Api, Documented] = {
    Api("ec2", "CreateSecurityGroup", "Description"): ec2_text("Valid characters:"),
    Api("ec2", "CreateSecurityGroup", "GroupName"): Documented(
        "Can't start with sg-", r"^(?!sg-)[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*$", max=255
    ),
    Api("ec2", "AuthorizeSecurityGroupIngress", "IpPermissions[].IpRanges[].Description"): ec2_text(
        "Allowed characters are"
    ),
    Api("ec2", "AuthorizeSecurityGroupEgress", "IpPermissions[].IpRanges[].Description"): ec2_text(
        "Allowed characters are"
    ),
    Api("ec2", "CreateTags", "Tags[].Key"): Documented(
        "maximum of 127 Unicode characters. May not begin with aws:", r"^(?!aws:).*$", max=127
    ),
    Api("ec2", "CreateTags", "Tags[].Value"): Documented("maximum of 256 Unicode", max=256),
    Api("elbv2", "CreateLoadBalancer", "Name"): named(
        "maximum of 32 characters, must contain only alphanumeric characters or hyphens, must "
        'not begin or end with a hyphen, and must not begin with "internal-"',
        r"^(?!internal-)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$",
    ),
    Api("elbv2", "CreateTargetGroup", "Name"): named(
        "maximum of 32 characters, must contain only alphanumeric characters or hyphens, and "
        "must not begin or end with a hyphen",
        r"^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$",
    ),
    Api("logs", "PutRetentionPolicy", "retentionInDays"): Documented(
        "Possible values are: "
        + ", ".join(map(str, LOG_RETENTION_DAYS[:-1]))
        + f", and {LOG_RETENTION_DAYS[-1]}",
        enum=LOG_RETENTION_DAYS,
    ),
    Api("cloudwatch", "PutDashboard", "DashboardName"): named(
        'The maximum length is 255, and valid characters are A-Z, a-z, 0-9, "-", and "_"',
        r"^[A-Za-z0-9_-]{1,255}$",
    ),
    Api("rds", "CreateDBInstance", "DBInstanceIdentifier"): named(
        f"Must contain from 1 to 63 {LETTERS_DIGITS_HYPHENS}. Can't end with a hyphen or "
        "contain two consecutive hyphens",
        r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}(?<!-)$",
    ),
    Api("rds", "CreateDBInstance", "BackupRetentionPeriod"): Documented(
        "Must be a value from 0 to 35", min=0, max=35
    ),
    Api("rds", "CreateDBInstance", "MonitoringInterval"): Documented(
        "Valid Values: 0 | 1 | 5 | 10 | 15 | 30 | 60", enum=(0, 1, 5, 10, 15, 30, 60)
    ),
    Api("rds", "DeleteDBInstance", "FinalDBSnapshotIdentifier"): named(
        "Must be 1 to 255 letters or numbers. First character must be a letter. Can't end "
        "with a hyphen or contain two consecutive hyphens",
        r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,254}(?<!-)$",
    ),
    Api("rds", "CreateDBParameterGroup", "DBParameterGroupName"): named(
        f"Must be 1 to 255 {LETTERS_DIGITS_HYPHENS} Can't end with a hyphen or contain two "
        "consecutive hyphens",
        r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,254}(?<!-)$",
    ),
    Api("rds", "CreateDBSubnetGroup", "DBSubnetGroupName"): named(
        "Must contain no more than 255 letters, numbers, periods, underscores, spaces, or "
        "hyphens. Must not be default. First character must be a letter",
        r"^(?!default$)[a-zA-Z][a-zA-Z0-9._ -]{0,254}$",
    ),
    Api("sns", "CreateTopic", "Name"): named(
        "Topic names must be made up of only uppercase and lowercase ASCII letters, numbers, "
        "underscores, and hyphens, and must be between 1 and 256 characters long",
        r"^[A-Za-z0-9_-]{1,256}(\.fifo)?$",
    ),
    Api("kms", "ScheduleKeyDeletion", "PendingWindowInDays"): Documented(
        "If you include a value, it must be between 7 and 30, inclusive", min=7, max=30
    ),
    Api("cloudfront", "CreateDistribution", "DistributionConfig.Comment"): Documented(
        "The comment cannot be longer than 128 characters", max=128
    ),
    # The documentation only links "Bucket naming rules" (S3 User Guide): 3 to 63
    # lowercase letters, numbers, dots and hyphens, starting and ending with a letter or number.
    Api("s3", "CreateBucket", "Bucket"): named(
        "Bucket naming rules", r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
    ),
    **{
        Api("ecs", operation, parameter): named(
            "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens "
            "are allowed",
            r"^[a-zA-Z0-9_-]{1,255}$",
        )
        for operation, parameter in (
            ("CreateCluster", "clusterName"),
            ("CreateService", "serviceName"),
            ("RegisterTaskDefinition", "family"),
            ("RegisterTaskDefinition", "containerDefinitions[].name"),
        )
    },
}


def api(service: str, operation: str, parameter: str) -> Api:
    return Api(service, operation, parameter)


EC2_INGRESS = api("ec2", "AuthorizeSecurityGroupIngress", "IpPermissions[].IpRanges[].Description")
EC2_EGRESS = api("ec2", "AuthorizeSecurityGroupEgress", "IpPermissions[].IpRanges[].Description")
ALARM = "PutMetricAlarm"
TARGET_GROUP = "CreateTargetGroup"
DB = "CreateDBInstance"
WEB_ACL = "CreateWebACL"
DISTRIBUTION = "DistributionConfig"
SCALING_POLICY = "PutScalingPolicy"
USER_POOL = "CreateUserPool"
BUDGET = "CreateBudget"
USER_POOL_CLIENT_TYPE = "aws:cognito/userPoolClient:UserPoolClient"
FIS_TEMPLATE = "CreateExperimentTemplate"

# (Pulumi resource type) -> {property path: API parameter}. Property paths use Pulumi's
# camelCase names; "[]" is each item of a list, "{key}"/"{value}" each key/value of a map.
MAPPING: dict[str, dict[str, Api]] = {
    "aws:ec2/securityGroup:SecurityGroup": {
        "name": api("ec2", "CreateSecurityGroup", "GroupName"),
        "namePrefix": api("ec2", "CreateSecurityGroup", "GroupName"),
        "description": api("ec2", "CreateSecurityGroup", "Description"),
        "ingress[].description": EC2_INGRESS,
        "egress[].description": EC2_EGRESS,
    },
    "aws:ec2/securityGroupRule:SecurityGroupRule": {"description": EC2_INGRESS},
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {"description": EC2_INGRESS},
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {"description": EC2_EGRESS},
    "aws:ec2/eip:Eip": {"domain": api("ec2", "AllocateAddress", "Domain")},
    "aws:ec2/flowLog:FlowLog": {"trafficType": api("ec2", "CreateFlowLogs", "TrafficType")},
    "aws:ec2/vpcEndpoint:VpcEndpoint": {
        "vpcEndpointType": api("ec2", "CreateVpcEndpoint", "VpcEndpointType")
    },
    **{
        f"aws:{module}/loadBalancer:LoadBalancer": {
            "name": api("elbv2", "CreateLoadBalancer", "Name"),
            "loadBalancerType": api("elbv2", "CreateLoadBalancer", "Type"),
            "ipAddressType": api("elbv2", "CreateLoadBalancer", "IpAddressType"),
        }
        for module in ("lb", "alb")
    },
    **{
        f"aws:{module}/targetGroup:TargetGroup": {
            "name": api("elbv2", TARGET_GROUP, "Name"),
            "port": api("elbv2", TARGET_GROUP, "Port"),
            "protocol": api("elbv2", TARGET_GROUP, "Protocol"),
            "protocolVersion": api("elbv2", TARGET_GROUP, "ProtocolVersion"),
            "targetType": api("elbv2", TARGET_GROUP, "TargetType"),
            "healthCheck.path": api("elbv2", TARGET_GROUP, "HealthCheckPath"),
            "healthCheck.protocol": api("elbv2", TARGET_GROUP, "HealthCheckProtocol"),
            "healthCheck.interval": api("elbv2", TARGET_GROUP, "HealthCheckIntervalSeconds"),
            "healthCheck.timeout": api("elbv2", TARGET_GROUP, "HealthCheckTimeoutSeconds"),
            "healthCheck.healthyThreshold": api("elbv2", TARGET_GROUP, "HealthyThresholdCount"),
            "healthCheck.unhealthyThreshold": api("elbv2", TARGET_GROUP, "UnhealthyThresholdCount"),
        }
        for module in ("lb", "alb")
    },
    **{
        f"aws:{module}/listener:Listener": {
            "port": api("elbv2", "CreateListener", "Port"),
            "protocol": api("elbv2", "CreateListener", "Protocol"),
        }
        for module in ("lb", "alb")
    },
    **{
        f"aws:{module}/listenerRule:ListenerRule": {
            "priority": api("elbv2", "CreateRule", "Priority")
        }
        for module in ("lb", "alb")
    },
    "aws:cloudwatch/logGroup:LogGroup": {
        "name": api("logs", "CreateLogGroup", "logGroupName"),
        "namePrefix": api("logs", "CreateLogGroup", "logGroupName"),
        "retentionInDays": api("logs", "PutRetentionPolicy", "retentionInDays"),
    },
    "aws:cloudwatch/metricAlarm:MetricAlarm": {
        "name": api("cloudwatch", ALARM, "AlarmName"),
        "alarmDescription": api("cloudwatch", ALARM, "AlarmDescription"),
        "comparisonOperator": api("cloudwatch", ALARM, "ComparisonOperator"),
        "evaluationPeriods": api("cloudwatch", ALARM, "EvaluationPeriods"),
        "datapointsToAlarm": api("cloudwatch", ALARM, "DatapointsToAlarm"),
        "period": api("cloudwatch", ALARM, "Period"),
        "statistic": api("cloudwatch", ALARM, "Statistic"),
        "extendedStatistic": api("cloudwatch", ALARM, "ExtendedStatistic"),
        "treatMissingData": api("cloudwatch", ALARM, "TreatMissingData"),
        "namespace": api("cloudwatch", ALARM, "Namespace"),
        "metricName": api("cloudwatch", ALARM, "MetricName"),
        "threshold": api("cloudwatch", ALARM, "Threshold"),
        "unit": api("cloudwatch", ALARM, "Unit"),
        "dimensions.{key}": api("cloudwatch", ALARM, "Dimensions[].Name"),
        "dimensions.{value}": api("cloudwatch", ALARM, "Dimensions[].Value"),
        "alarmActions": api("cloudwatch", ALARM, "AlarmActions"),
        "okActions": api("cloudwatch", ALARM, "OKActions"),
        "insufficientDataActions": api("cloudwatch", ALARM, "InsufficientDataActions"),
    },
    "aws:cloudwatch/dashboard:Dashboard": {
        "dashboardName": api("cloudwatch", "PutDashboard", "DashboardName"),
    },
    "aws:rds/instance:Instance": {
        "identifier": api("rds", DB, "DBInstanceIdentifier"),
        "instanceClass": api("rds", DB, "DBInstanceClass"),
        "backupRetentionPeriod": api("rds", DB, "BackupRetentionPeriod"),
        "monitoringInterval": api("rds", DB, "MonitoringInterval"),
        "allocatedStorage": api("rds", DB, "AllocatedStorage"),
        "maxAllocatedStorage": api("rds", DB, "MaxAllocatedStorage"),
        "engine": api("rds", DB, "Engine"),
        "engineVersion": api("rds", DB, "EngineVersion"),
        "port": api("rds", DB, "Port"),
        "finalSnapshotIdentifier": api("rds", "DeleteDBInstance", "FinalDBSnapshotIdentifier"),
    },
    "aws:rds/parameterGroup:ParameterGroup": {
        "name": api("rds", "CreateDBParameterGroup", "DBParameterGroupName"),
        "family": api("rds", "CreateDBParameterGroup", "DBParameterGroupFamily"),
        "description": api("rds", "CreateDBParameterGroup", "Description"),
    },
    "aws:rds/subnetGroup:SubnetGroup": {
        "name": api("rds", "CreateDBSubnetGroup", "DBSubnetGroupName"),
        "description": api("rds", "CreateDBSubnetGroup", "DBSubnetGroupDescription"),
    },
    "aws:iam/role:Role": {
        "name": api("iam", "CreateRole", "RoleName"),
        "path": api("iam", "CreateRole", "Path"),
        "description": api("iam", "CreateRole", "Description"),
        "maxSessionDuration": api("iam", "CreateRole", "MaxSessionDuration"),
        "assumeRolePolicy": api("iam", "CreateRole", "AssumeRolePolicyDocument"),
    },
    "aws:iam/rolePolicy:RolePolicy": {
        "name": api("iam", "PutRolePolicy", "PolicyName"),
        "policy": api("iam", "PutRolePolicy", "PolicyDocument"),
    },
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
        "policyArn": api("iam", "AttachRolePolicy", "PolicyArn"),
    },
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": {
        "url": api("iam", "CreateOpenIDConnectProvider", "Url"),
        "clientIdLists[]": api("iam", "CreateOpenIDConnectProvider", "ClientIDList[]"),
    },
    "aws:sns/topic:Topic": {"name": api("sns", "CreateTopic", "Name")},
    "aws:kms/key:Key": {
        "description": api("kms", "CreateKey", "Description"),
        "policy": api("kms", "CreateKey", "Policy"),
        "keyUsage": api("kms", "CreateKey", "KeyUsage"),
        "customerMasterKeySpec": api("kms", "CreateKey", "KeySpec"),
        "deletionWindowInDays": api("kms", "ScheduleKeyDeletion", "PendingWindowInDays"),
    },
    "aws:kms/alias:Alias": {
        "name": api("kms", "CreateAlias", "AliasName"),
        "namePrefix": api("kms", "CreateAlias", "AliasName"),
    },
    "aws:ecr/repository:Repository": {
        "name": api("ecr", "CreateRepository", "repositoryName"),
        "imageTagMutability": api("ecr", "CreateRepository", "imageTagMutability"),
        "encryptionConfigurations[].encryptionType": api(
            "ecr", "CreateRepository", "encryptionConfiguration.encryptionType"
        ),
    },
    "aws:budgets/budget:Budget": {
        "name": api("budgets", BUDGET, "Budget.BudgetName"),
        "budgetType": api("budgets", BUDGET, "Budget.BudgetType"),
        "timeUnit": api("budgets", BUDGET, "Budget.TimeUnit"),
        "limitAmount": api("budgets", BUDGET, "Budget.BudgetLimit.Amount"),
        "limitUnit": api("budgets", BUDGET, "Budget.BudgetLimit.Unit"),
        **{
            f"notifications[].{prop}": api(
                "budgets", BUDGET, f"NotificationsWithSubscribers[].Notification.{parameter}"
            )
            for prop, parameter in (
                ("comparisonOperator", "ComparisonOperator"),
                ("threshold", "Threshold"),
                ("thresholdType", "ThresholdType"),
                ("notificationType", "NotificationType"),
            )
        },
        "notifications[].subscriberEmailAddresses[]": api(
            "budgets", BUDGET, "NotificationsWithSubscribers[].Subscribers[].Address"
        ),
    },
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": {
        "policy": api("ecr", "PutLifecyclePolicy", "lifecyclePolicyText"),
    },
    "aws:wafv2/webAcl:WebAcl": {
        "name": api("wafv2", WEB_ACL, "Name"),
        "description": api("wafv2", WEB_ACL, "Description"),
        "scope": api("wafv2", WEB_ACL, "Scope"),
        "visibilityConfig.metricName": api("wafv2", WEB_ACL, "VisibilityConfig.MetricName"),
        "rules[].name": api("wafv2", WEB_ACL, "Rules[].Name"),
        "rules[].priority": api("wafv2", WEB_ACL, "Rules[].Priority"),
        "rules[].visibilityConfig.metricName": api(
            "wafv2", WEB_ACL, "Rules[].VisibilityConfig.MetricName"
        ),
        "rules[].statement.managedRuleGroupStatement.ruleActionOverrides[].name": api(
            "wafv2",
            WEB_ACL,
            "Rules[].Statement.ManagedRuleGroupStatement.RuleActionOverrides[].Name",
        ),
    },
    "aws:cloudfront/distribution:Distribution": {
        "comment": api("cloudfront", "CreateDistribution", f"{DISTRIBUTION}.Comment"),
        "priceClass": api("cloudfront", "CreateDistribution", f"{DISTRIBUTION}.PriceClass"),
        "httpVersion": api("cloudfront", "CreateDistribution", f"{DISTRIBUTION}.HttpVersion"),
        "defaultCacheBehavior.viewerProtocolPolicy": api(
            "cloudfront",
            "CreateDistribution",
            f"{DISTRIBUTION}.DefaultCacheBehavior.ViewerProtocolPolicy",
        ),
        "orderedCacheBehaviors[].viewerProtocolPolicy": api(
            "cloudfront",
            "CreateDistribution",
            f"{DISTRIBUTION}.CacheBehaviors.Items[].ViewerProtocolPolicy",
        ),
        "origins[].customOriginConfig.originProtocolPolicy": api(
            "cloudfront",
            "CreateDistribution",
            f"{DISTRIBUTION}.Origins.Items[].CustomOriginConfig.OriginProtocolPolicy",
        ),
    },
    "aws:cloudfront/vpcOrigin:VpcOrigin": {
        "vpcOriginEndpointConfig.name": api(
            "cloudfront", "CreateVpcOrigin", "VpcOriginEndpointConfig.Name"
        ),
        "vpcOriginEndpointConfig.httpPort": api(
            "cloudfront", "CreateVpcOrigin", "VpcOriginEndpointConfig.HTTPPort"
        ),
        "vpcOriginEndpointConfig.httpsPort": api(
            "cloudfront", "CreateVpcOrigin", "VpcOriginEndpointConfig.HTTPSPort"
        ),
        "vpcOriginEndpointConfig.originProtocolPolicy": api(
            "cloudfront", "CreateVpcOrigin", "VpcOriginEndpointConfig.OriginProtocolPolicy"
        ),
    },
    "aws:acm/certificate:Certificate": {
        "domainName": api("acm", "RequestCertificate", "DomainName"),
        "validationMethod": api("acm", "RequestCertificate", "ValidationMethod"),
        "keyAlgorithm": api("acm", "RequestCertificate", "KeyAlgorithm"),
    },
    **{
        f"aws:s3/{kind}": {
            "bucket": api("s3", "CreateBucket", "Bucket"),
            "bucketPrefix": api("s3", "CreateBucket", "Bucket"),
        }
        for kind in ("bucket:Bucket", "bucketV2:BucketV2")
    },
    "aws:ecs/cluster:Cluster": {
        "name": api("ecs", "CreateCluster", "clusterName"),
        "settings[].name": api("ecs", "CreateCluster", "settings[].name"),
    },
    "aws:ecs/service:Service": {
        "name": api("ecs", "CreateService", "serviceName"),
        "launchType": api("ecs", "CreateService", "launchType"),
        "propagateTags": api("ecs", "CreateService", "propagateTags"),
        "availabilityZoneRebalancing": api("ecs", "CreateService", "availabilityZoneRebalancing"),
        "desiredCount": api("ecs", "CreateService", "desiredCount"),
        "loadBalancers[].containerName": api(
            "ecs", "CreateService", "loadBalancers[].containerName"
        ),
        "loadBalancers[].containerPort": api(
            "ecs", "CreateService", "loadBalancers[].containerPort"
        ),
    },
    TASK_DEFINITION: {
        "family": api("ecs", "RegisterTaskDefinition", "family"),
        "cpu": api("ecs", "RegisterTaskDefinition", "cpu"),
        "memory": api("ecs", "RegisterTaskDefinition", "memory"),
        "networkMode": api("ecs", "RegisterTaskDefinition", "networkMode"),
        "requiresCompatibilities[]": api(
            "ecs", "RegisterTaskDefinition", "requiresCompatibilities[]"
        ),
        "runtimePlatform.cpuArchitecture": api(
            "ecs", "RegisterTaskDefinition", "runtimePlatform.cpuArchitecture"
        ),
        "runtimePlatform.operatingSystemFamily": api(
            "ecs", "RegisterTaskDefinition", "runtimePlatform.operatingSystemFamily"
        ),
        "volumes[].name": api("ecs", "RegisterTaskDefinition", "volumes[].name"),
        # containerDefinitions: JSON text, validated whole (container_definition_problems).
    },
    "aws:appautoscaling/target:Target": {
        "serviceNamespace": api(
            "application-autoscaling", "RegisterScalableTarget", "ServiceNamespace"
        ),
        "scalableDimension": api(
            "application-autoscaling", "RegisterScalableTarget", "ScalableDimension"
        ),
        "minCapacity": api("application-autoscaling", "RegisterScalableTarget", "MinCapacity"),
        "maxCapacity": api("application-autoscaling", "RegisterScalableTarget", "MaxCapacity"),
    },
    "aws:appautoscaling/policy:Policy": {
        "name": api("application-autoscaling", SCALING_POLICY, "PolicyName"),
        "policyType": api("application-autoscaling", SCALING_POLICY, "PolicyType"),
        "serviceNamespace": api("application-autoscaling", SCALING_POLICY, "ServiceNamespace"),
        "scalableDimension": api("application-autoscaling", SCALING_POLICY, "ScalableDimension"),
        "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification"
        ".predefinedMetricType": api(
            "application-autoscaling",
            SCALING_POLICY,
            "TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification"
            ".PredefinedMetricType",
        ),
        "targetTrackingScalingPolicyConfiguration.targetValue": api(
            "application-autoscaling",
            SCALING_POLICY,
            "TargetTrackingScalingPolicyConfiguration.TargetValue",
        ),
    },
    # Pulumi's lists of actions and targets are maps in the API, keyed by their names.
    "aws:fis/experimentTemplate:ExperimentTemplate": {
        "description": api("fis", FIS_TEMPLATE, "description"),
        "stopConditions[].source": api("fis", FIS_TEMPLATE, "stopConditions[].source"),
        "actions[].name": api("fis", FIS_TEMPLATE, "actions.{key}"),
        "actions[].actionId": api("fis", FIS_TEMPLATE, "actions.{value}.actionId"),
        "actions[].description": api("fis", FIS_TEMPLATE, "actions.{value}.description"),
        "actions[].parameters[].key": api("fis", FIS_TEMPLATE, "actions.{value}.parameters.{key}"),
        "actions[].parameters[].value": api(
            "fis", FIS_TEMPLATE, "actions.{value}.parameters.{value}"
        ),
        "actions[].target.key": api("fis", FIS_TEMPLATE, "actions.{value}.targets.{key}"),
        "actions[].target.value": api("fis", FIS_TEMPLATE, "actions.{value}.targets.{value}"),
        "targets[].name": api("fis", FIS_TEMPLATE, "targets.{key}"),
        "targets[].resourceType": api("fis", FIS_TEMPLATE, "targets.{value}.resourceType"),
        "targets[].selectionMode": api("fis", FIS_TEMPLATE, "targets.{value}.selectionMode"),
        "targets[].resourceArns": api("fis", FIS_TEMPLATE, "targets.{value}.resourceArns"),
        "targets[].filters[].path": api("fis", FIS_TEMPLATE, "targets.{value}.filters[].path"),
        "targets[].filters[].values[]": api(
            "fis", FIS_TEMPLATE, "targets.{value}.filters[].values[]"
        ),
        "targets[].parameters.{key}": api("fis", FIS_TEMPLATE, "targets.{value}.parameters.{key}"),
        "targets[].parameters.{value}": api(
            "fis", FIS_TEMPLATE, "targets.{value}.parameters.{value}"
        ),
    },
    "aws:sns/topicSubscription:TopicSubscription": {},  # tags only; protocol is free text
    "aws:secretsmanager/secret:Secret": {
        "name": api("secretsmanager", "CreateSecret", "Name"),
        "description": api("secretsmanager", "CreateSecret", "Description"),
    },
    "aws:cognito/userPool:UserPool": {
        "name": api("cognito-idp", USER_POOL, "PoolName"),
        "usernameAttributes[]": api("cognito-idp", USER_POOL, "UsernameAttributes[]"),
        "autoVerifiedAttributes[]": api("cognito-idp", USER_POOL, "AutoVerifiedAttributes[]"),
        "mfaConfiguration": api("cognito-idp", USER_POOL, "MfaConfiguration"),
        "deletionProtection": api("cognito-idp", USER_POOL, "DeletionProtection"),
        "userPoolTier": api("cognito-idp", USER_POOL, "UserPoolTier"),
        "userPoolAddOns.advancedSecurityMode": api(
            "cognito-idp", USER_POOL, "UserPoolAddOns.AdvancedSecurityMode"
        ),
        "passwordPolicy.minimumLength": api(
            "cognito-idp", USER_POOL, "Policies.PasswordPolicy.MinimumLength"
        ),
        "passwordPolicy.temporaryPasswordValidityDays": api(
            "cognito-idp", USER_POOL, "Policies.PasswordPolicy.TemporaryPasswordValidityDays"
        ),
        "accountRecoverySetting.recoveryMechanisms[].name": api(
            "cognito-idp", USER_POOL, "AccountRecoverySetting.RecoveryMechanisms[].Name"
        ),
        "accountRecoverySetting.recoveryMechanisms[].priority": api(
            "cognito-idp", USER_POOL, "AccountRecoverySetting.RecoveryMechanisms[].Priority"
        ),
        "verificationMessageTemplate.defaultEmailOption": api(
            "cognito-idp", USER_POOL, "VerificationMessageTemplate.DefaultEmailOption"
        ),
    },
    "aws:cognito/userPoolDomain:UserPoolDomain": {
        "domain": api("cognito-idp", "CreateUserPoolDomain", "Domain"),
        "managedLoginVersion": api("cognito-idp", "CreateUserPoolDomain", "ManagedLoginVersion"),
    },
    USER_POOL_CLIENT_TYPE: {
        "name": api("cognito-idp", "CreateUserPoolClient", "ClientName"),
        "callbackUrls[]": api("cognito-idp", "CreateUserPoolClient", "CallbackURLs[]"),
        "logoutUrls[]": api("cognito-idp", "CreateUserPoolClient", "LogoutURLs[]"),
        "allowedOauthFlows[]": api("cognito-idp", "CreateUserPoolClient", "AllowedOAuthFlows[]"),
        "allowedOauthScopes[]": api("cognito-idp", "CreateUserPoolClient", "AllowedOAuthScopes[]"),
        "supportedIdentityProviders[]": api(
            "cognito-idp", "CreateUserPoolClient", "SupportedIdentityProviders[]"
        ),
        "explicitAuthFlows[]": api("cognito-idp", "CreateUserPoolClient", "ExplicitAuthFlows[]"),
        "preventUserExistenceErrors": api(
            "cognito-idp", "CreateUserPoolClient", "PreventUserExistenceErrors"
        ),
        "authSessionValidity": api("cognito-idp", "CreateUserPoolClient", "AuthSessionValidity"),
        **{
            f"tokenValidityUnits.{unit}": api(
                "cognito-idp",
                "CreateUserPoolClient",
                f"TokenValidityUnits.{unit[0].upper()}{unit[1:]}",
            )
            for unit in ("accessToken", "idToken", "refreshToken")
        },
        # accessTokenValidity, idTokenValidity, refreshTokenValidity: in the units above,
        # checked in seconds against the API's range (token_validity_findings).
    },
}

# Resources Pulumi names itself when `name` is not set (the types above with a `name`
# property that AWS requires); the bool says the provider lowercases the name.
AUTONAMED: dict[str, tuple[str, bool]] = {
    "aws:ec2/securityGroup:SecurityGroup": ("name", False),
    "aws:lb/loadBalancer:LoadBalancer": ("name", False),
    "aws:alb/loadBalancer:LoadBalancer": ("name", False),
    "aws:lb/targetGroup:TargetGroup": ("name", False),
    "aws:alb/targetGroup:TargetGroup": ("name", False),
    "aws:cloudwatch/logGroup:LogGroup": ("name", False),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name", False),
    "aws:rds/parameterGroup:ParameterGroup": ("name", True),
    "aws:rds/subnetGroup:SubnetGroup": ("name", True),
    "aws:iam/role:Role": ("name", False),
    "aws:iam/rolePolicy:RolePolicy": ("name", False),
    "aws:sns/topic:Topic": ("name", False),
    "aws:kms/alias:Alias": ("name", False),
    "aws:ecr/repository:Repository": ("name", False),
    "aws:wafv2/webAcl:WebAcl": ("name", False),
    "aws:s3/bucket:Bucket": ("bucket", True),
    "aws:s3/bucketV2:BucketV2": ("bucket", True),
    "aws:ecs/cluster:Cluster": ("name", False),
    "aws:ecs/service:Service": ("name", False),
    "aws:appautoscaling/policy:Policy": ("name", False),
    "aws:secretsmanager/secret:Secret": ("name", False),
}
# A user pool client's token lifetimes: the value counts the unit TokenValidityUnits names
# (the API's default when unset), while botocore gives the valid range in seconds.
TOKEN_VALIDITY: dict[str, tuple[str, str, str]] = {
    # property: (API parameter, its unit in TokenValidityUnits, default unit)
    "accessTokenValidity": ("AccessTokenValidity", "accessToken", "hours"),
    "idTokenValidity": ("IdTokenValidity", "idToken", "hours"),
    "refreshTokenValidity": ("RefreshTokenValidity", "refreshToken", "days"),
}
SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
VALIDITY_RANGE_QUOTE = "is displayed below in seconds"
PREFIXES = ("namePrefix", "bucketPrefix")


def tag_apis(service: str, operation: str, key: str, value: str) -> tuple[Api, Api]:
    return Api(service, operation, key), Api(service, operation, value)


# The tag shapes of each service, by the Pulumi module (or type) that creates the resource.
TAGS: dict[str, tuple[Api, Api]] = {
    "ec2": tag_apis("ec2", "CreateTags", "Tags[].Key", "Tags[].Value"),
    "vpc": tag_apis("ec2", "CreateTags", "Tags[].Key", "Tags[].Value"),
    "lb": tag_apis("elbv2", "AddTags", "Tags[].Key", "Tags[].Value"),
    "alb": tag_apis("elbv2", "AddTags", "Tags[].Key", "Tags[].Value"),
    "aws:cloudwatch/logGroup:LogGroup": tag_apis(
        "logs", "TagResource", "tags.{key}", "tags.{value}"
    ),
    "cloudwatch": tag_apis("cloudwatch", "TagResource", "Tags[].Key", "Tags[].Value"),
    "rds": tag_apis("rds", "AddTagsToResource", "Tags[].Key", "Tags[].Value"),
    "iam": tag_apis("iam", "TagRole", "Tags[].Key", "Tags[].Value"),
    "kms": tag_apis("kms", "TagResource", "Tags[].TagKey", "Tags[].TagValue"),
    "sns": tag_apis("sns", "TagResource", "Tags[].Key", "Tags[].Value"),
    "ecs": tag_apis("ecs", "TagResource", "tags[].key", "tags[].value"),
    "ecr": tag_apis("ecr", "TagResource", "tags[].Key", "tags[].Value"),
    "wafv2": tag_apis("wafv2", "TagResource", "Tags[].Key", "Tags[].Value"),
    "cloudfront": tag_apis("cloudfront", "TagResource", "Tags.Items[].Key", "Tags.Items[].Value"),
    "acm": tag_apis("acm", "AddTagsToCertificate", "Tags[].Key", "Tags[].Value"),
    "secretsmanager": tag_apis("secretsmanager", "TagResource", "Tags[].Key", "Tags[].Value"),
    "s3": tag_apis("s3", "PutBucketTagging", "Tagging.TagSet[].Key", "Tagging.TagSet[].Value"),
    "appautoscaling": tag_apis(
        "application-autoscaling", "TagResource", "Tags.{key}", "Tags.{value}"
    ),
    "cognito": tag_apis("cognito-idp", "TagResource", "Tags.{key}", "Tags.{value}"),
    "budgets": tag_apis("budgets", "CreateBudget", "ResourceTags[].Key", "ResourceTags[].Value"),
    "fis": tag_apis("fis", "TagResource", "tags.{key}", "tags.{value}"),
}
CONTAINER_DEFINITIONS = Api("ecs", "RegisterTaskDefinition", "containerDefinitions")
CONTAINER_NAME = Api("ecs", "RegisterTaskDefinition", "containerDefinitions[].name")
# ECS rejects a container without these ("Container.name should not be null or empty"),
# though botocore's shape marks no member of a container definition required.
CONTAINER_REQUIRED = ("name", "image")
CHECKED_TYPES = frozenset(MAPPING) | {PROVIDER}


@dataclass(frozen=True)
class Finding:
    """One value AWS would reject: the property (its concrete path), the value, the
    constraint it breaks and the API parameter the constraint belongs to."""

    property: str
    value: Any
    constraint: str
    api: Api

    def __str__(self) -> str:
        return f"{self.property} {shown(self.value)} {self.constraint} ({self.api})"


def shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else None
    if text is None:
        text = '"' + value.replace('"', '\\"') + '"'
    return text if len(text) <= 200 else text[:197] + "..."


# --- botocore --------------------------------------------------------------------------
@functools.cache
def _botocore() -> botocore.session.Session:
    """One botocore session (each new one reads its data files again)."""
    return botocore.session.get_session()


@functools.cache
def service_model(service: str):
    return _botocore().get_service_model(service)


def service_label(service: str) -> str:
    return service_model(service).metadata.get("serviceId", service)


@functools.cache
def shape_at(target: Api):
    """The botocore shape of an operation's input parameter (KeyError if botocore has no
    such parameter: the mapping is checked against botocore by the tests)."""
    shape = service_model(target.service).operation_model(target.operation).input_shape
    for part in re.findall(r"\[\]|\{key\}|\{value\}|[^.\[{]+", target.parameter):
        if part == "[]":
            shape = shape.member
        elif part == "{key}":
            shape = shape.key
        elif part == "{value}":
            shape = shape.value
        else:
            shape = shape.members[part]
    return shape


# Java's Unicode classes, which Python's re lacks. Non-ASCII is let through (lenient):
# the values here are ASCII, and a false alarm would block a deploy AWS accepts.
NON_ASCII = "\u0080-\U0010ffff"
JAVA_CLASSES = {
    "L": f"a-zA-Z{NON_ASCII}",
    "N": f"0-9{NON_ASCII}",
    "Z": f" {NON_ASCII}",
    "M": NON_ASCII,  # marks (accents) are all outside ASCII
    "S": "\\$+<=>\\^`|~" + NON_ASCII,  # symbols
    "P": "!\"#%&'()*,\\-./:;?@\\[\\\\\\]_{}" + NON_ASCII,  # punctuation
    "Print": "\\x20-\\x7e",
}


@functools.cache
def compiled(pattern: str) -> re.Pattern:
    """A botocore (Java) pattern as a Python regular expression."""
    pattern = pattern.replace("\\uD800\\uDC00-\\uDBFF\\uDFFF", "\\U00010000-\\U0010FFFF")
    # Java lets (?i) start case-insensitive matching mid-pattern (Budgets' BudgetName);
    # Python only at the start, where it applies to all of it: lenient, never stricter.
    if "(?i)" in pattern:
        pattern = "(?i)" + pattern.replace("(?i)", "")
    out, in_class, i = [], False, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            match = re.match(r"\\p\{(\w+)\}", pattern[i:])
            if match:
                ranges = JAVA_CLASSES[match.group(1)]
                out.append(ranges if in_class else f"[{ranges}]")
                i += match.end()
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return re.compile("".join(out), re.DOTALL)


def documentation_text(target: Api) -> str:
    """The parameter's documentation in botocore, as plain text."""
    text = re.sub(r"<[^>]+>", " ", shape_at(target).documentation or "")
    return re.sub(r"\s+", " ", html.unescape(text))


# --- checking values against shapes ----------------------------------------------------
def known(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and value in SKIPPED)


def integral(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def leaf_problems(value: Any, shape, rule: Documented | None = None) -> Iterator[str]:
    """What AWS would say about one value for a parameter of this shape."""
    meta = shape.metadata
    low = rule.min if rule and rule.min is not None else meta.get("min")
    high = rule.max if rule and rule.max is not None else meta.get("max")
    enum = (rule.enum if rule else ()) or tuple(getattr(shape, "enum", None) or ())
    patterns = [p for p in (meta.get("pattern"), rule.pattern if rule else None) if p]
    kind = shape.type_name
    if kind == "string":
        if not isinstance(value, str):
            yield f"is not a string ({type(value).__name__})"
            return
        if low is not None and len(value) < low:
            yield f"is shorter than {low} characters"
        if high is not None and len(value) > high:
            yield f"is longer than {high} characters ({len(value)})"
    elif kind in ("integer", "long", "double", "float"):
        value = integral(value)
        wanted = int if kind in ("integer", "long") else (int, float)
        if isinstance(value, bool) or not isinstance(value, wanted):
            yield f"is not {'an integer' if wanted is int else 'a number'}"
            return
        if low is not None and value < low:
            yield f"is less than {low}"
        if high is not None and value > high:
            yield f"is more than {high}"
    elif kind == "boolean":
        if not isinstance(value, bool):
            yield "is not a boolean"
        return
    elif kind == "list":
        if not isinstance(value, list | tuple):
            yield "is not a list"
            return
        if low is not None and len(value) < low:
            yield f"has fewer than {low} items"
        if high is not None and len(value) > high:
            yield f"has more than {high} items"
        return
    if enum and value not in enum:
        yield f"is not one of {', '.join(map(str, enum))}"
    for pattern in patterns:
        if isinstance(value, str) and not compiled(pattern).fullmatch(value):
            yield f"does not match {pattern}"


def shape_problems(value: Any, shape, path: str) -> Iterator[tuple[str, Any, str]]:
    """Length, range, enum and pattern problems anywhere in a nested value (what botocore's
    ParamValidator leaves out); types, required and unknown members are its part."""
    if not known(value):
        return
    if shape.type_name == "structure" and isinstance(value, Mapping):
        for key, item in value.items():
            if key in shape.members:
                yield from shape_problems(item, shape.members[key], f"{path}.{key}")
        return
    if shape.type_name == "list" and isinstance(value, list | tuple):
        for message in leaf_problems(value, shape):
            yield path, value, message
        for index, item in enumerate(value):
            yield from shape_problems(item, shape.member, f"{path}[{index}]")
        return
    if shape.type_name == "map" and isinstance(value, Mapping):
        for key, item in value.items():
            yield from shape_problems(key, shape.key, path + MAP_KEY)
            yield from shape_problems(item, shape.value, f"{path}[{json.dumps(key)}]")
        return
    if shape.type_name in ("structure", "list", "map"):
        return  # a wrong type: ParamValidator reports it
    for message in leaf_problems(value, shape):
        yield path, value, message


def values_at(props: Mapping[str, Any], path: str) -> Iterator[tuple[str, Any]]:
    """(concrete path, value) for each value a property path names in `props`."""
    found: list[tuple[str, Any]] = [("", props)]
    for part in path.split("."):
        many = part.endswith("[]")
        name = part.removesuffix("[]")
        step: list[tuple[str, Any]] = []
        for where, value in found:
            if name in ("{key}", "{value}"):
                if isinstance(value, Mapping):
                    for key, item in value.items():
                        step.append(
                            (where + MAP_KEY, key)
                            if name == "{key}"
                            else (f"{where}[{json.dumps(key)}]", item)
                        )
                continue
            if not isinstance(value, Mapping) or not known(value.get(name)):
                continue
            item, here = value.get(name), f"{where}.{name}" if where else name
            if many and isinstance(item, list | tuple):
                step += [(f"{here}[{i}]", x) for i, x in enumerate(item)]
            elif not many:
                step.append((here, item))
        found = step
    return iter([(where, value) for where, value in found if known(value)])


def value_findings(prop: str, value: Any, target: Api) -> Iterator[Finding]:
    for message in leaf_problems(integral(value), shape_at(target), DOCUMENTED.get(target)):
        yield Finding(prop, value, message, target)


def tag_findings(prop: str, tags: Any, apis: tuple[Api, Api]) -> Iterator[Finding]:
    if isinstance(tags, str):  # providers receive nested settings as JSON text
        tags = json.loads(tags)
    if not isinstance(tags, Mapping):
        return
    key_api, value_api = apis
    for key, value in tags.items():
        yield from value_findings(prop + MAP_KEY, key, key_api)
        if known(value):
            yield from value_findings(f"{prop}[{json.dumps(key)}]", value, value_api)


def tag_apis_of(type_: str) -> tuple[Api, Api] | None:
    module = type_.split(":")[1].split("/")[0] if type_.count(":") == 2 else ""
    return TAGS.get(type_) or TAGS.get(module)


def container_definition_problems(text: Any) -> Iterator[Finding]:
    """The task definition's containerDefinitions (JSON text, with the API's own names)
    against RegisterTaskDefinition's input shape."""
    prop = "containerDefinitions"
    if not isinstance(text, str) or not known(text):
        return
    try:
        definitions = json.loads(text)
    except json.JSONDecodeError as error:
        yield Finding(prop, text, f"is not JSON ({error})", CONTAINER_DEFINITIONS)
        return
    shape = shape_at(CONTAINER_DEFINITIONS)
    report = ParamValidator().validate(definitions, shape)
    for line in report.generate_report().splitlines():
        yield Finding(prop, definitions, line.rstrip(), CONTAINER_DEFINITIONS)
    for where, value, message in shape_problems(definitions, shape, prop):
        yield Finding(where, value, message, CONTAINER_DEFINITIONS)
    for index, container in enumerate(definitions if isinstance(definitions, list) else []):
        if not isinstance(container, Mapping):
            continue
        where = f"{prop}[{index}]"
        for field in CONTAINER_REQUIRED:
            if not container.get(field):
                yield Finding(where, container, f"has no {field}", CONTAINER_DEFINITIONS)
        if isinstance(container.get("name"), str):
            yield from value_findings(f"{where}.name", container["name"], CONTAINER_NAME)


def autoname(type_: str, logical_name: str, props: Mapping[str, Any]) -> dict[str, str]:
    """The name Pulumi gives a resource whose name is not set (its default autonaming)."""
    if type_ not in AUTONAMED:
        return {}
    prop, lowercase = AUTONAMED[type_]
    if known(props.get(prop)) or any(known(props.get(p)) for p in PREFIXES):
        return {}
    name = logical_name + AUTONAME_SUFFIX
    return {prop: name.lower() if lowercase else name}


def resource_findings(
    type_: str, props: Mapping[str, Any], logical_name: str | None = None
) -> list[Finding]:
    """Every value of one resource AWS would reject. With `logical_name`, a name Pulumi
    would generate (not yet in the props offline) is checked too."""
    if type_ == PROVIDER:
        tags = props.get("defaultTags")
        if isinstance(tags, str):
            tags = json.loads(tags)
        own = (tags or {}).get("tags") if isinstance(tags, Mapping) else None
        return [
            finding
            for apis in dict.fromkeys(TAGS.values())
            for finding in tag_findings("defaultTags.tags", own, apis)
        ]
    findings: list[Finding] = []
    extra = autoname(type_, logical_name, props) if logical_name else {}
    for path, target in MAPPING.get(type_, {}).items():
        for where, value in values_at({**props, **extra}, path):
            if path in PREFIXES:
                value = value + PREFIX_SUFFIX
            label = f"{where} (autoname)" if where in extra else where
            findings += value_findings(label, value, target)
    if type_ == TASK_DEFINITION:
        findings += container_definition_problems(props.get("containerDefinitions"))
    if type_ == USER_POOL_CLIENT_TYPE:
        findings += token_validity_findings(props)
    apis = tag_apis_of(type_)
    if apis and known(props.get("tags")):
        findings += tag_findings("tags", props["tags"], apis)
    return list({str(f): f for f in findings}.values())  # a value reported once per reason


def token_validity_findings(props: Mapping[str, Any]) -> Iterator[Finding]:
    """Each token lifetime, converted to seconds by its unit, against the API's range."""
    units = props.get("tokenValidityUnits")
    units = units if isinstance(units, Mapping) else {}
    for prop, (parameter, unit_key, default_unit) in TOKEN_VALIDITY.items():
        value, unit = integral(props.get(prop)), units.get(unit_key) or default_unit
        if isinstance(value, bool) or not isinstance(value, int | float) or unit not in SECONDS:
            continue  # unset, unknown, or a unit the enum check reports
        target = Api("cognito-idp", "CreateUserPoolClient", parameter)
        for message in leaf_problems(value * SECONDS[unit], shape_at(target)):
            yield Finding(prop, value, f"({unit}) {message} seconds", target)


def short_type(type_: str) -> str:
    """aws:ec2/securityGroup:SecurityGroup -> aws:ec2/securityGroup"""
    return type_.rsplit(":", 1)[0] if type_.count(":") == 2 else type_


def check_model(model: Mapping[str, Any]) -> list[str]:
    """Every value in a synthesized model (synth.synthesize) AWS would reject, as
    "<stack>: <type> <name> <property> <value> <constraint> (<API parameter>)"."""
    stack = model.get("stack", "?")
    return [
        f"{stack}: {short_type(r['type'])} {r['name']} {finding}"
        for r in model["resources"]
        for finding in resource_findings(r["type"], r["inputs"], r["name"])
    ]
