"""The IAM permissions the inspection needs: exactly the calls collect.py makes, as IAM
actions. An assessor's role (the generated project's infra/bootstrap) gets this policy and
nothing else; `epa inspect --print-policy` prints it.

tests/test_inspection_access.py runs the collector against fake environments covering each
of its branches, maps every API call it makes to its IAM action (through AWS's IAM
reference) and fails on a call missing here or an action here that no call needs. A new
call in collect.py is one new line below.
"""

from __future__ import annotations

# One IAM action per line, grouped by service, in the order collect.py reads them.
ACTIONS = (
    # The environment's resources, found by their project and environment tags.
    "tag:GetResources",
    # Network.
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeRouteTables",
    "ec2:DescribeNatGateways",
    "ec2:DescribeFlowLogs",
    "ec2:DescribeSecurityGroups",
    # Load balancers.
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    # ECS services, their tasks and autoscaling.
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:DescribeScalingPolicies",
    "ecs:DescribeClusters",
    "ecs:ListTasks",
    "ecs:DescribeTasks",
    "ecs:DescribeServices",
    # Databases.
    "rds:DescribeDBInstances",
    "rds:DescribeDBParameters",  # rds.force_ssl
    # Alarms.
    "cloudwatch:DescribeAlarms",
    # What the tasks run: task definitions, image repositories, log groups.
    "ecs:DescribeTaskDefinition",
    "ecr:DescribeRepositories",
    "logs:DescribeLogGroups",
    # Web ACLs in front of the load balancers.
    "wafv2:GetWebACLForResource",
    # AWS checks these two as well when GetWebACLForResource asks about a load balancer
    # (the call's documentation; its dependent actions in AWS's IAM reference).
    "wafv2:GetWebACL",
    "elasticloadbalancing:GetLoadBalancerWebACL",
    "wafv2:GetLoggingConfiguration",
    # Buckets: S3's IAM actions are not named like its API operations (GetPublicAccessBlock,
    # GetBucketEncryption, GetBucketPolicy).
    "s3:GetBucketPublicAccessBlock",
    "s3:GetEncryptionConfiguration",
    "s3:GetBucketPolicy",
    # Keys and secrets: their settings only, never a secret's value.
    "kms:GetKeyRotationStatus",
    "secretsmanager:DescribeSecret",
    # The roles the environment uses: who may assume them, what their policies allow.
    "iam:GetRole",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    # CloudFront (global): distributions, matched by their own tags.
    "cloudfront:ListDistributions",
    "cloudfront:ListTagsForResource",
    "cloudfront:GetDistributionConfig",  # logging is only in the full configuration
)

# Calls made without any permission, so left out of the policy: AWS answers
# GetCallerIdentity (who is looking, for the report) even when a policy denies it.
NEEDS_NO_PERMISSION = ("sts:GetCallerIdentity",)


def policy() -> dict:
    """The identity policy of an inspection: read-only, the collector's calls only.

    Resource is "*". Many of these actions have no resource-level permissions at all (EC2's,
    load balancing's and Application Auto Scaling's Describe calls, tag:GetResources, ...).
    The others could name ARNs, but the inspection learns which resources are the
    environment's only when it runs (by their tags), and the stacks name most of them with
    random suffixes. What bounds the role is its actions: these reads and nothing else.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InspectTheEnvironmentReadOnly",
                "Effect": "Allow",
                "Action": sorted(ACTIONS),
                "Resource": "*",
            }
        ],
    }
