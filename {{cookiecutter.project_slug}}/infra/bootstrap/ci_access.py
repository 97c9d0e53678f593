"""Keyless CI access: the pipeline proves who it is with a short-lived OIDC token from
GitHub or GitLab, and AWS swaps it for one-hour credentials of a deploy role. No access
keys exist to leak or rotate.

Each environment has its own role, trusted only by this repository and, as closely as the
CI provider's token allows, by that environment. The trust rules are pure functions, so
the tests check them without AWS.
"""

from __future__ import annotations

ENVIRONMENTS = ("dev", "staging", "prod")
PROVIDERS = {
    # issuer host (the prefix of the token's claims in IAM conditions), audience it carries
    "github": ("token.actions.githubusercontent.com", "sts.amazonaws.com"),
    "gitlab": ("gitlab.com", "https://gitlab.com"),
}
# The branch that deploys each environment, per branching strategy (GitLab only: its
# tokens name the branch, not the environment).
BRANCHES = {
    "trunk": {"dev": "main", "staging": "main", "prod": "main"},
    "gitflow": {"dev": "develop", "staging": "release/*", "prod": "main"},
}


def deploy_subject(provider: str, repository: str, environment: str, strategy: str) -> str:
    """The token subject that may assume an environment's deploy role.

    GitHub names the job's deployment environment in the subject, so each role trusts
    exactly one environment, and that environment's protection rules (required reviewers
    on prod) stand between a merge and the role.

    GitLab's subject names the project and the branch, and IAM can only match the subject
    (GitLab's `environment` claim is not available to IAM conditions). So each role trusts
    the branch that deploys its environment. With trunk-based development all three come
    from main: what keeps a main pipeline from deploying prod unreviewed is GitLab's
    protected environment with required approvals on the prod job, and main being a
    protected branch (only maintainers merge)."""
    if provider == "github":
        return f"repo:{repository}:environment:{environment}"
    branch = BRANCHES[strategy][environment]
    return f"project_path:{repository}:ref_type:branch:ref:{branch}"


def preview_subject(provider: str, repository: str) -> str:
    """Pull/merge requests run `pulumi preview` with a read-only role. GitLab runs merge
    request pipelines on the source branch, which can have any name."""
    if provider == "github":
        return f"repo:{repository}:pull_request"
    return f"project_path:{repository}:ref_type:branch:ref:*"


def trust_policy(provider: str, provider_arn: str, subject: str) -> dict:
    """Allow AssumeRoleWithWebIdentity from this OIDC provider, for this audience and this
    subject only. StringLike only where the subject has a wildcard (gitflow's release/*):
    an exact match cannot be widened by a stray `*`."""
    issuer, audience = PROVIDERS[provider]
    conditions: dict[str, dict[str, str]] = {"StringEquals": {f"{issuer}:aud": audience}}
    operator = "StringLike" if "*" in subject else "StringEquals"
    conditions.setdefault(operator, {})[f"{issuer}:sub"] = subject
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


# The services the stacks deploy. Least privilege would list every action each resource
# needs; that list breaks with each new resource argument or provider release and invites
# `*` as the fix. Service-wide actions on these services only are the trade-off: the role
# cannot touch anything else in the account, and IAM, the service that could escalate
# privileges, is limited to the project's own role path.
DEPLOY_SERVICES = (
    "acm", "application-autoscaling", "cloudfront", "cloudwatch", "ec2", "ecr", "ecs",
    "elasticloadbalancing", "kms", "logs", "rds", "s3", "secretsmanager", "sns", "wafv2",
)  # fmt: skip


SERVICE_LINKED_ROLES = [
    "ecs.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "rds.amazonaws.com",
    "ecs.application-autoscaling.amazonaws.com",
]


def deploy_policy(account_id: str, project: str) -> dict:
    roles = f"arn:aws:iam::{account_id}:role/{project}/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "StackServices",
                "Effect": "Allow",
                "Action": [f"{service}:*" for service in DEPLOY_SERVICES],
                "Resource": "*",
            },
            {
                "Sid": "ProjectRolesOnly",
                "Effect": "Allow",
                "Action": [
                    "iam:CreateRole",
                    "iam:DeleteRole",
                    "iam:GetRole",
                    "iam:UpdateRole",
                    "iam:TagRole",
                    "iam:UntagRole",
                    "iam:ListRolePolicies",
                    "iam:ListAttachedRolePolicies",
                    "iam:PutRolePolicy",
                    "iam:GetRolePolicy",
                    "iam:DeleteRolePolicy",
                    "iam:AttachRolePolicy",
                    "iam:DetachRolePolicy",
                    "iam:UpdateAssumeRolePolicy",
                    "iam:ListInstanceProfilesForRole",
                ],
                "Resource": roles,
            },
            {
                "Sid": "PassProjectRolesToTheirServices",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": roles,
                "Condition": {
                    "StringEquals": {
                        "iam:PassedToService": [
                            "ecs-tasks.amazonaws.com",
                            "monitoring.rds.amazonaws.com",
                            "vpc-flow-logs.amazonaws.com",
                        ]
                    }
                },
            },
            {
                # AWS creates these once per account, the first time a service is used.
                "Sid": "ServiceLinkedRolesOnFirstUse",
                "Effect": "Allow",
                "Action": "iam:CreateServiceLinkedRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:AWSServiceName": SERVICE_LINKED_ROLES}},
            },
        ],
    }
