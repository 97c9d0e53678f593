"""Keyless CI access: the pipeline proves who it is with a short-lived OIDC token from
GitHub or GitLab, and AWS swaps it for one-hour credentials of a role. No access keys
exist to leak or rotate.

Each environment has its own deploy role, trusted only by this repository and, as closely
as the CI provider's token allows, by that environment. Build jobs push images with a
publish role, previews and drift checks read with a preview role. The trust rules are
pure functions, so the tests check them without AWS.
"""

from __future__ import annotations

import json

from project_facts import load as load_facts

# The environments, and the branches that build images and deploy each environment per
# branching strategy: project.yaml (project_facts). Branches matter for GitLab, whose
# tokens name the branch, not the environment; gitflow's hotfix branches go through
# staging like release branches do.
FACTS = load_facts()
ENVIRONMENTS = FACTS.names
PROVIDERS = {
    # issuer host (the prefix of the token's claims in IAM conditions), audience it carries
    "github": ("token.actions.githubusercontent.com", "sts.amazonaws.com"),
    "gitlab": ("gitlab.com", "https://gitlab.com"),
}


def deploy_subjects(provider: str, repository: str, environment: str, strategy: str) -> list[str]:
    """The token subjects that may assume an environment's deploy role.

    GitHub names the job's deployment environment in the subject, so each role trusts
    exactly one environment, and that environment's protection rules (required reviewers
    on prod) stand between a merge and the role.

    GitLab's subject names the project and the branch, and IAM can only match the subject
    (GitLab's `environment` claim is not available to IAM conditions). So each role trusts
    the branches that deploy its environment. With trunk-based development all three come
    from main: what keeps a main pipeline from deploying prod unreviewed is GitLab's
    protected environment with required approvals on the prod job, and main being a
    protected branch (only maintainers merge)."""
    if provider == "github":
        return [f"repo:{repository}:environment:{environment}"]
    return [
        branch_subject(provider, repository, b)
        for b in FACTS.deploy_branches(strategy)[environment]
    ]


def publish_subjects(provider: str, repository: str, strategy: str) -> list[str]:
    """Build jobs push images from the branches that build (project.yaml, `build`). They
    run outside any deployment environment, so GitHub's subject names the branch too."""
    return [branch_subject(provider, repository, b) for b in FACTS.strategy(strategy).build]


def preview_subjects(provider: str, repository: str) -> list[str]:
    """`pulumi preview` with a read-only role: on pull requests, and (GitHub) in the
    nightly drift job, which runs in a GitHub environment named "drift" so that its
    subject is one no other job has. GitLab runs merge request pipelines and schedules on
    branches, which can have any name."""
    if provider == "github":
        return [f"repo:{repository}:pull_request", f"repo:{repository}:environment:drift"]
    return [branch_subject(provider, repository, "*")]


def branch_subject(provider: str, repository: str, branch: str) -> str:
    """A job's token subject on a branch (a pattern such as release/* matches many)."""
    if provider == "github":
        return f"repo:{repository}:ref:refs/heads/{branch}"
    return f"project_path:{repository}:ref_type:branch:ref:{branch}"


def trust_policy(provider: str, provider_arn: str, subjects: list[str]) -> dict:
    """Allow AssumeRoleWithWebIdentity from this OIDC provider, for this audience and these
    subjects only. StringLike only where a subject has a wildcard (gitflow's release/*):
    an exact match cannot be widened by a stray `*`. All subjects sit under one operator:
    IAM ANDs the operators of a condition, so splitting them would match nothing."""
    issuer, audience = PROVIDERS[provider]
    conditions: dict[str, dict[str, str | list[str]]] = {
        "StringEquals": {f"{issuer}:aud": audience}
    }
    operator = "StringLike" if any("*" in s for s in subjects) else "StringEquals"
    conditions.setdefault(operator, {})[f"{issuer}:sub"] = (
        subjects[0] if len(subjects) == 1 else list(subjects)
    )
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": conditions,
            }
        ],
    }


# What each environment's deploy role may do. The stacks' own resources carry the tags the
# provider adds to everything (stack.required_tags), `environment` among them, and the
# role works through them: it may create a resource only when the request tags it with its
# own environment (aws:RequestTag), and change, tag or delete one only when it already
# carries that tag (aws:ResourceTag). So dev's role cannot touch what prod runs, although
# Pulumi's auto-names (`edge-alb-1a2b3c4`) say nothing about the environment. IAM roles
# are told apart by their path (/<project>/<environment>/, components/iam.py), the
# database and its dashboard by their names. What neither a tag nor a name ties to one
# environment (the access-log buckets, RDS's master secrets, key aliases, target-tracking
# alarms, calls AWS authorizes on `*` only) every deploy role may manage, each with its
# reason in infra/policy/iam-allowlist.yaml. A role may also tag an untagged resource of
# these kinds with its own environment: that is how AWS authorizes tags on a resource
# being created, and how a new VPC's default security group is taken over.
# Reading (Describe/List/Get of settings, never of data) is allowed on everything: many
# read calls have no resource-level permissions, and Pulumi reads before it changes.
TAG_KEY = "environment"
# IAM policy ARNs AWS manages, which the stacks attach to their roles (and nothing else).
MANAGED_POLICIES = (
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
)
# The services that receive the stacks' roles (iam:PassRole).
ROLE_SERVICES = (
    "ecs-tasks.amazonaws.com",
    "fis.amazonaws.com",
    "monitoring.rds.amazonaws.com",
    "vpc-flow-logs.amazonaws.com",
)
# AWS creates these once per account, the first time a service is used.
SERVICE_LINKED_ROLES = [
    "ecs.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "rds.amazonaws.com",
    "ecs.application-autoscaling.amazonaws.com",
    "vpcorigin.cloudfront.amazonaws.com",
]
# Auto-named S3 buckets cannot be scoped by tag (S3 only checks bucket tags with ABAC
# switched on per bucket): they are scoped by their logical names, the start of the name
# Pulumi gives them. tests/test_iam_policies.py checks every bucket of every stack matches.
# The load balancer's access logs, and CloudFront's (components/edge.py).
BUCKET_NAMES = ("edge-access-logs-*", "edge-cdn-logs-*")
# The stacks' own secrets (the app's session key), by the start of their auto-names, and
# tagged: a role may read back (GetSecretValue, as the provider does after writing) only
# its own environment's, and never a database master secret (rds!..., RDS's own).
SECRET_NAMES = ("identity-session-*",)

# Settings reads, on every resource. Not Get* where it would read data: no
# secretsmanager:GetSecretValue, s3:GetObject or logs:GetLogEvents.
READ = [
    "acm:DescribeCertificate", "acm:GetCertificate", "acm:ListCertificates",
    "acm:ListTagsForCertificate",
    "application-autoscaling:Describe*", "application-autoscaling:ListTagsForResource",
    "cloudfront:Get*", "cloudfront:List*",
    "cognito-idp:DescribeManagedLoginBranding", "cognito-idp:DescribeManagedLoginBrandingByClient",
    "cognito-idp:DescribeUserPool", "cognito-idp:DescribeUserPoolClient",
    "cognito-idp:DescribeUserPoolDomain", "cognito-idp:GetUserPoolMfaConfig",
    "cloudwatch:Describe*", "cloudwatch:GetDashboard", "cloudwatch:List*",
    "ec2:Describe*", "ec2:GetManagedPrefixListEntries",
    "ecs:Describe*", "ecs:List*",
    "elasticloadbalancing:Describe*",
    "fis:GetExperimentTemplate", "fis:ListExperimentTemplates", "fis:ListTagsForResource",
    "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases",
    "kms:ListResourceTags",
    "logs:DescribeLogGroups", "logs:DescribeResourcePolicies", "logs:GetLogDelivery",
    "logs:ListLogDeliveries", "logs:ListTagsForResource", "logs:ListTagsLogGroup",
    "rds:Describe*", "rds:ListTagsForResource",
    "secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy",
    "sns:GetSubscriptionAttributes", "sns:GetTopicAttributes", "sns:List*",
    "wafv2:Describe*", "wafv2:Get*", "wafv2:List*", "wafv2:CheckCapacity",
]  # fmt: skip


def arns(account_id: str) -> dict[str, list[str]]:
    """The ARN patterns of the resource types the stacks declare, per service. Any region:
    each stack picks its own (Pulumi.<stack>.yaml), the bootstrap does not know it."""
    ec2 = (
        "vpc", "subnet", "route-table", "internet-gateway", "security-group",
        "security-group-rule", "elastic-ip", "natgateway", "vpc-endpoint", "vpc-flow-log",
    )  # fmt: skip
    return {
        "acm": [f"arn:aws:acm:*:{account_id}:certificate/*"],
        "application-autoscaling": [
            f"arn:aws:application-autoscaling:*:{account_id}:scalable-target/*"
        ],
        "cloudfront": [
            f"arn:aws:cloudfront::{account_id}:distribution/*",
            f"arn:aws:cloudfront::{account_id}:vpcorigin/*",
        ],
        "cloudwatch": [f"arn:aws:cloudwatch:*:{account_id}:alarm:*"],
        "cognito-idp": [f"arn:aws:cognito-idp:*:{account_id}:userpool/*"],
        "ec2": [f"arn:aws:ec2:*:{account_id}:{kind}/*" for kind in ec2],
        "ecs": [
            f"arn:aws:ecs:*:{account_id}:cluster/*",
            f"arn:aws:ecs:*:{account_id}:service/*",
            f"arn:aws:ecs:*:{account_id}:task-definition/*",
        ],
        "fis": [f"arn:aws:fis:*:{account_id}:experiment-template/*"],
        "elasticloadbalancing": [
            f"arn:aws:elasticloadbalancing:*:{account_id}:loadbalancer/app/*",
            f"arn:aws:elasticloadbalancing:*:{account_id}:targetgroup/*",
            f"arn:aws:elasticloadbalancing:*:{account_id}:listener/app/*",
            f"arn:aws:elasticloadbalancing:*:{account_id}:listener-rule/app/*",
        ],
        "kms": [f"arn:aws:kms:*:{account_id}:key/*"],
        "logs": [f"arn:aws:logs:*:{account_id}:log-group:*"],
        "rds": [
            f"arn:aws:rds:*:{account_id}:db:*",
            f"arn:aws:rds:*:{account_id}:pg:*",
            f"arn:aws:rds:*:{account_id}:subgrp:*",
        ],
        "secretsmanager": [
            f"arn:aws:secretsmanager:*:{account_id}:secret:{name}" for name in SECRET_NAMES
        ],
        "sns": [f"arn:aws:sns:*:{account_id}:*"],
        "wafv2": [f"arn:aws:wafv2:*:{account_id}:*/webacl/*/*"],
    }


# Per service: the calls that create a resource (allowed only when the request tags it
# with the role's environment), and the calls that change or delete one (only on a
# resource already tagged with it). A create call also names existing resources (a
# subnet's VPC, a listener's load balancer): those must carry the tag too, so the create
# calls are listed under change as well.
CREATE = {
    "acm": ["acm:RequestCertificate"],
    "application-autoscaling": ["application-autoscaling:RegisterScalableTarget"],
    "cloudfront": ["cloudfront:CreateDistribution", "cloudfront:CreateVpcOrigin"],
    "cloudwatch": ["cloudwatch:PutMetricAlarm"],
    "cognito-idp": ["cognito-idp:CreateUserPool"],
    "ec2": [
        "ec2:AllocateAddress", "ec2:AuthorizeSecurityGroupEgress",
        "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateFlowLogs", "ec2:CreateInternetGateway",
        "ec2:CreateNatGateway", "ec2:CreateRouteTable", "ec2:CreateSecurityGroup",
        "ec2:CreateSubnet", "ec2:CreateVpc", "ec2:CreateVpcEndpoint",
    ],
    "ecs": ["ecs:CreateCluster", "ecs:CreateService", "ecs:RegisterTaskDefinition"],
    "elasticloadbalancing": [
        "elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:CreateRule", "elasticloadbalancing:CreateTargetGroup",
    ],
    "fis": ["fis:CreateExperimentTemplate"],
    "kms": ["kms:CreateKey", "kms:TagResource"],
    "logs": ["logs:CreateLogGroup"],
    "rds": ["rds:CreateDBInstance", "rds:CreateDBParameterGroup", "rds:CreateDBSubnetGroup"],
    "secretsmanager": ["secretsmanager:CreateSecret"],
    "sns": ["sns:CreateTopic"],
    "wafv2": ["wafv2:CreateWebACL"],
}  # fmt: skip
# Services whose create calls AWS authorizes on `*` (the resource has no ARN yet).
WILDCARD_CREATE = {"acm", "application-autoscaling", "cloudfront", "cognito-idp", "fis", "kms"}
CHANGE = {
    "acm": [
        "acm:DeleteCertificate", "acm:RemoveTagsFromCertificate", "acm:UpdateCertificateOptions",
    ],
    "application-autoscaling": [
        "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:UntagResource",
    ],
    "cloudfront": [
        "cloudfront:DeleteDistribution", "cloudfront:DeleteVpcOrigin",
        "cloudfront:UntagResource", "cloudfront:UpdateDistribution", "cloudfront:UpdateVpcOrigin",
    ],
    "cloudwatch": [
        "cloudwatch:DeleteAlarms", "cloudwatch:DisableAlarmActions",
        "cloudwatch:EnableAlarmActions", "cloudwatch:PutMetricAlarm", "cloudwatch:UntagResource",
    ],
    # The pool's clients, domain and login branding are authorized on the pool (its tag).
    "cognito-idp": [
        "cognito-idp:CreateManagedLoginBranding", "cognito-idp:CreateUserPoolClient",
        "cognito-idp:CreateUserPoolDomain", "cognito-idp:DeleteManagedLoginBranding",
        "cognito-idp:DeleteUserPool", "cognito-idp:DeleteUserPoolClient",
        "cognito-idp:DeleteUserPoolDomain", "cognito-idp:SetUserPoolMfaConfig",
        "cognito-idp:UntagResource", "cognito-idp:UpdateManagedLoginBranding",
        "cognito-idp:UpdateUserPool", "cognito-idp:UpdateUserPoolClient",
        "cognito-idp:UpdateUserPoolDomain",
    ],
    "ec2": [
        *CREATE["ec2"],
        "ec2:AssociateRouteTable", "ec2:AttachInternetGateway", "ec2:CreateRoute",
        "ec2:DeleteFlowLogs", "ec2:DeleteInternetGateway", "ec2:DeleteNatGateway",
        "ec2:DeleteRoute", "ec2:DeleteRouteTable", "ec2:DeleteSecurityGroup",
        "ec2:DeleteSubnet", "ec2:DeleteTags", "ec2:DeleteVpc", "ec2:DeleteVpcEndpoints",
        "ec2:DetachInternetGateway", "ec2:DisassociateAddress", "ec2:DisassociateRouteTable",
        "ec2:ModifySecurityGroupRules", "ec2:ModifySubnetAttribute", "ec2:ModifyVpcAttribute",
        "ec2:ModifyVpcEndpoint", "ec2:ReleaseAddress", "ec2:ReplaceRoute",
        "ec2:ReplaceRouteTableAssociation", "ec2:RevokeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupIngress", "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
        "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
    ],
    "ecs": [
        *CREATE["ecs"],
        "ecs:DeleteCluster", "ecs:DeleteService", "ecs:DeleteTaskDefinitions",
        "ecs:PutClusterCapacityProviders", "ecs:UntagResource", "ecs:UpdateCluster",
        "ecs:UpdateClusterSettings", "ecs:UpdateService",
    ],
    "elasticloadbalancing": [
        *CREATE["elasticloadbalancing"],
        "elasticloadbalancing:DeleteListener", "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:DeleteRule", "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyListenerAttributes",
        "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:ModifyRule",
        "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
        "elasticloadbalancing:RemoveTags", "elasticloadbalancing:SetIpAddressType",
        "elasticloadbalancing:SetRulePriorities", "elasticloadbalancing:SetSecurityGroups",
        "elasticloadbalancing:SetSubnets",
    ],
    "fis": [
        "fis:DeleteExperimentTemplate", "fis:UntagResource", "fis:UpdateExperimentTemplate",
    ],
    "kms": [
        # RDS encrypts the database, its secret and Performance Insights with the key:
        # it asks for grants, and the caller must hold the key rights it passes on.
        "kms:CreateGrant", "kms:Decrypt", "kms:DisableKeyRotation", "kms:EnableKeyRotation",
        "kms:GenerateDataKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion",
        "kms:UntagResource", "kms:UpdateKeyDescription",
    ],
    "logs": [
        # AssociateKmsKey, DisassociateKmsKey: a log group's key (components/log_key.py)
        # set or removed after the group exists.
        "logs:AssociateKmsKey", "logs:DeleteLogGroup", "logs:DeleteRetentionPolicy",
        "logs:DisassociateKmsKey", "logs:PutRetentionPolicy", "logs:UntagLogGroup",
        "logs:UntagResource",
    ],
    "rds": [
        *CREATE["rds"],
        "rds:DeleteDBInstance", "rds:DeleteDBParameterGroup", "rds:DeleteDBSubnetGroup",
        "rds:ModifyDBInstance", "rds:ModifyDBParameterGroup", "rds:ModifyDBSubnetGroup",
        "rds:RebootDBInstance", "rds:RemoveTagsFromResource", "rds:ResetDBParameterGroup",
    ],
    "secretsmanager": [
        # GetSecretValue: the provider reads a secret's value back after writing it.
        "secretsmanager:DeleteSecret", "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue", "secretsmanager:UntagResource",
        "secretsmanager:UpdateSecret",
    ],
    "sns": [
        "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:UntagResource",
    ],
    "wafv2": [
        "wafv2:AssociateWebACL", "wafv2:DeleteLoggingConfiguration", "wafv2:DeleteWebACL",
        "wafv2:DisassociateWebACL", "wafv2:PutLoggingConfiguration", "wafv2:UntagResource",
        "wafv2:UpdateWebACL",
    ],
}  # fmt: skip
# Adding or changing tags: on a new resource (tag-on-create) or on one of the role's own;
# the environment tag, when the request sets it, must be the role's own.
TAG = {
    "acm": ["acm:AddTagsToCertificate"],
    "application-autoscaling": ["application-autoscaling:TagResource"],
    "cloudfront": ["cloudfront:TagResource"],
    "cloudwatch": ["cloudwatch:TagResource"],
    "cognito-idp": ["cognito-idp:TagResource"],
    "ecs": ["ecs:TagResource"],
    "elasticloadbalancing": ["elasticloadbalancing:AddTags"],
    "fis": ["fis:TagResource"],
    "kms": ["kms:TagResource"],
    "logs": ["logs:TagLogGroup", "logs:TagResource"],
    "rds": ["rds:AddTagsToResource"],
    "secretsmanager": ["secretsmanager:TagResource"],
    "sns": ["sns:TagResource"],
    "wafv2": ["wafv2:TagResource"],
}
# Calls that AWS authorizes on `*` only (no resource-level permissions): the allow-list
# names each with its reason.
NO_RESOURCE_LEVEL = [
    "ecs:DeregisterTaskDefinition",  # retires a revision on every task definition change
    "elasticloadbalancing:SetWebAcl",  # WAF asks for it when a web ACL joins a load balancer
    "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:UpdateLogDelivery",  # WAF logs
    "logs:PutResourcePolicy", "logs:DeleteResourcePolicy",  # lets WAF write its log groups
    "sns:Unsubscribe", "sns:SetSubscriptionAttributes",  # the alert e-mail subscription
]  # fmt: skip


def deploy_policy(account_id: str, project: str, repository_arn: str, environment: str) -> dict:
    """Deploy, update and destroy one environment's stack, and nothing of the others."""
    roles = f"arn:aws:iam::{account_id}:role/{project}/{environment}/*"
    resources = arns(account_id)
    own = {f"aws:ResourceTag/{TAG_KEY}": environment}
    tagged_on_create = {"StringEquals": {f"aws:RequestTag/{TAG_KEY}": environment}}
    statements: list[dict] = [
        {"Sid": "ReadSettings", "Effect": "Allow", "Action": READ, "Resource": "*"},
    ]
    for service in sorted(CREATE):
        name = "".join(part.title() for part in service.split("-"))
        # Some creates (a key, a certificate, a distribution) have no ARN until AWS makes
        # it: AWS authorizes them on `*`, still only with the environment's tag.
        statements.append(
            {
                "Sid": f"Create{name}TaggedForThisEnvironment",
                "Effect": "Allow",
                "Action": CREATE[service],
                "Resource": resources[service] + (["*"] if service in WILDCARD_CREATE else []),
                "Condition": tagged_on_create,
            }
        )
        statements.append(
            {
                "Sid": f"Change{name}OfThisEnvironment",
                "Effect": "Allow",
                "Action": CHANGE[service],
                "Resource": resources[service],
                "Condition": {"StringEquals": own},
            }
        )
        if service in TAG:
            statements.append(
                {
                    "Sid": f"Tag{name}OfThisEnvironment",
                    "Effect": "Allow",
                    "Action": TAG[service],
                    "Resource": resources[service] + (["*"] if service in WILDCARD_CREATE else []),
                    "Condition": {
                        "StringEqualsIfExists": own | {f"aws:RequestTag/{TAG_KEY}": environment}
                    },
                }
            )
    statements += ec2_tagging(resources["ec2"], environment)
    statements += [
        {
            # Dashboards have no tags: this one's name is the environment's.
            "Sid": "ThisEnvironmentsDashboard",
            "Effect": "Allow",
            "Action": ["cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"],
            "Resource": f"arn:aws:cloudwatch::{account_id}:dashboard/{project}-{environment}",
        },
        {
            # Target tracking scaling creates and deletes its own alarms, named by AWS and
            # untagged, with the caller's rights.
            "Sid": "TargetTrackingAlarms",
            "Effect": "Allow",
            "Action": [
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:DeleteAlarms",
            ],
            "Resource": f"arn:aws:cloudwatch:*:{account_id}:alarm:TargetTracking-*",
        },
        {
            # A new database uses the engine's default option group (AWS's, untagged).
            "Sid": "DefaultOptionGroup",
            "Effect": "Allow",
            "Action": "rds:CreateDBInstance",
            "Resource": f"arn:aws:rds:*:{account_id}:og:default:*",
        },
        {
            # RDS keeps the master password in a secret it creates and names (rds!db-...).
            # The role never reads its value (no GetSecretValue).
            "Sid": "DatabaseMasterSecret",
            "Effect": "Allow",
            "Action": [
                "secretsmanager:CreateSecret",
                "secretsmanager:DeleteSecret",
                "secretsmanager:DescribeSecret",
                "secretsmanager:RotateSecret",
                "secretsmanager:TagResource",
            ],
            "Resource": f"arn:aws:secretsmanager:*:{account_id}:secret:rds!*",
        },
        {
            # The database's aliases (alias/db-...); the key itself needs its tag (above).
            "Sid": "DatabaseKeyAliases",
            "Effect": "Allow",
            "Action": ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
            "Resource": f"arn:aws:kms:*:{account_id}:alias/db-*",
        },
        {
            "Sid": "AliasesNameKeysOfThisEnvironment",
            "Effect": "Allow",
            "Action": ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
            "Resource": resources["kms"],
            "Condition": {"StringEquals": own},
        },
        {
            # A drill's template names FIS's actions (AWS's own, which nobody can tag).
            "Sid": "FaultInjectionActions",
            "Effect": "Allow",
            "Action": ["fis:CreateExperimentTemplate", "fis:UpdateExperimentTemplate"],
            "Resource": "arn:aws:fis:*:*:action/*",
        },
        {
            # Web ACLs use AWS's managed rule groups, which nobody can tag.
            "Sid": "ManagedRuleGroups",
            "Effect": "Allow",
            "Action": ["wafv2:CreateWebACL", "wafv2:UpdateWebACL"],
            "Resource": f"arn:aws:wafv2:*:{account_id}:*/managedruleset/*/*",
        },
        {
            # WAF also checks the load balancer a web ACL joins or leaves; for WAF's
            # actions a load balancer is matched by its ARN only.
            "Sid": "WebAclsOnLoadBalancers",
            "Effect": "Allow",
            "Action": ["wafv2:AssociateWebACL", "wafv2:DisassociateWebACL"],
            "Resource": f"arn:aws:elasticloadbalancing:*:{account_id}:loadbalancer/app/*",
        },
        {
            "Sid": "AccessLogBuckets",
            "Effect": "Allow",
            "Action": [
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:DeleteBucketPolicy",
                "s3:GetAccelerateConfiguration",
                "s3:GetBucket*",
                "s3:GetEncryptionConfiguration",
                "s3:GetLifecycleConfiguration",
                "s3:GetReplicationConfiguration",
                "s3:ListBucket",
                "s3:ListBucketVersions",
                "s3:PutBucketAcl",  # CloudFront's logging grants its log delivery the ACL
                "s3:PutBucketOwnershipControls",
                "s3:PutBucketPolicy",
                "s3:PutBucketPublicAccessBlock",
                "s3:PutBucketTagging",
                "s3:PutEncryptionConfiguration",
                "s3:PutLifecycleConfiguration",
            ],
            "Resource": [f"arn:aws:s3:::{name}" for name in BUCKET_NAMES],
        },
        {
            # force_destroy: a bucket is emptied before it is deleted.
            "Sid": "EmptyAccessLogBuckets",
            "Effect": "Allow",
            "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
            "Resource": [f"arn:aws:s3:::{name}/*" for name in BUCKET_NAMES],
        },
        {
            # An interface endpoint with private DNS: AWS associates its hosted zone (AWS's
            # own) with the VPC, checking that the caller may.
            "Sid": "PrivateDnsOfEndpoints",
            "Effect": "Allow",
            "Action": [
                "route53:AssociateVPCWithHostedZone",
                "route53:DisassociateVPCFromHostedZone",
            ],
            "Resource": "arn:aws:route53:::hostedzone/*",
        },
        {
            "Sid": "NoResourceLevelPermissions",
            "Effect": "Allow",
            "Action": NO_RESOURCE_LEVEL,
            "Resource": "*",
        },
        {
            # Read only, and only the shared repository: a deploy reads an image's
            # tags to tell which commit it promotes, and a preview of a stack never
            # deployed looks the repository up (its details, newest tags and tags).
            # ECS pulls images with the task execution role, so neither `pulumi up`
            # nor `aws ecs run-task` needs to pull, and no deploy pushes.
            "Sid": "LookUpTheImageRepository",
            "Effect": "Allow",
            "Action": [
                "ecr:DescribeRepositories",
                "ecr:DescribeImages",
                "ecr:ListTagsForResource",
            ],
            "Resource": repository_arn,
        },
        {
            # The environment's own roles, under its own path (components/iam.py).
            "Sid": "ProjectRolesOnly",
            "Effect": "Allow",
            "Action": [
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:GetRole",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:PutRolePolicy",
                "iam:GetRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:UpdateAssumeRolePolicy",
                "iam:ListInstanceProfilesForRole",
            ],
            "Resource": roles,
        },
        {
            # Only the AWS managed policies the stacks use: never AdministratorAccess.
            "Sid": "AttachTheStacksManagedPolicies",
            "Effect": "Allow",
            "Action": ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
            "Resource": roles,
            "Condition": {"ArnEquals": {"iam:PolicyARN": list(MANAGED_POLICIES)}},
        },
        {
            "Sid": "PassProjectRolesToTheirServices",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": roles,
            "Condition": {"StringEquals": {"iam:PassedToService": list(ROLE_SERVICES)}},
        },
        {
            "Sid": "ServiceLinkedRolesOnFirstUse",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:AWSServiceName": SERVICE_LINKED_ROLES}},
        },
    ]
    if environment == "prod":
        # After a successful prod deploy the pipeline tags the image `prod-<time>` (the
        # same manifest put again under a new tag; tags stay immutable): the registry's
        # lifecycle then keeps it, however many builds follow.
        statements.append(
            {
                "Sid": "TagWhatProdRuns",
                "Effect": "Allow",
                "Action": ["ecr:BatchGetImage", "ecr:PutImage"],
                "Resource": repository_arn,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def ec2_tagging(ec2_arns: list[str], environment: str) -> list[dict]:
    """EC2 tags through one call, CreateTags, for new and existing resources alike."""
    return [
        {
            # Tags in the create call itself (tag-on-create): with the environment's tag.
            "Sid": "TagEc2OnCreate",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": ec2_arns,
            "Condition": {
                "StringEquals": {
                    "ec2:CreateAction": CREATE["ec2"],
                    f"aws:RequestTag/{TAG_KEY}": environment,
                }
            },
        },
        {
            # Tags changed later, on the environment's own resources; the default
            # security group of a new VPC starts untagged and is claimed once.
            "Sid": "TagEc2OfThisEnvironment",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": ec2_arns,
            "Condition": {
                "StringEqualsIfExists": {
                    f"aws:ResourceTag/{TAG_KEY}": environment,
                    f"aws:RequestTag/{TAG_KEY}": environment,
                }
            },
        },
    ]


# AWS's limits: a managed policy holds 6,144 characters (whitespace not counted), a role
# has at most 10 managed policies by default. A deploy policy is larger than one managed
# policy (and than the 10,240 characters all of a role's inline policies share).
MANAGED_POLICY_SIZE = 6144
MANAGED_POLICIES_PER_ROLE = 10  # the default quota (the state access stays inline)


def policy_size(policy: dict) -> int:
    return len(json.dumps(policy, separators=(",", ":")))


def policy_parts(policy: dict, limit: int = MANAGED_POLICY_SIZE) -> list[dict]:
    """The policy's statements, in order and whole, in as few documents under the size
    limit as that allows (each becomes one managed policy)."""
    parts: list[dict] = []
    for statement in policy["Statement"]:
        if (
            parts
            and policy_size({**parts[-1], "Statement": [*parts[-1]["Statement"], statement]})
            <= limit
        ):
            parts[-1]["Statement"].append(statement)
        else:
            parts.append({"Version": policy["Version"], "Statement": [statement]})
    return parts


# What a build job does with the registry: log in, push the image's layers and manifest,
# read images back (a build may reuse cached layers; later jobs inspect what was pushed)
# and read the scan result. No delete: old images go by the lifecycle policy only.
PUSH_AND_PULL = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:DescribeImages",
    "ecr:DescribeImageScanFindings",
]


def publish_policy(repository_arn: str) -> dict:
    """Push and pull this project's repository, nothing else. Immutable tags mean a
    publisher can add images but never replace one that an environment runs; it cannot
    delete images either."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                # The registry login token is account-wide: AWS has no narrower resource.
                "Sid": "LogInToTheRegistry",
                "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "*",
            },
            {
                "Sid": "PushAndPullThisRepository",
                "Effect": "Allow",
                "Action": PUSH_AND_PULL,
                "Resource": repository_arn,
            },
        ],
    }
