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
    # issuer host, audience the pipeline requests
    "github": ("token.actions.githubusercontent.com", "sts.amazonaws.com"),
    "gitlab": ("gitlab.com", "https://gitlab.com"),
}
# Which branch deploys which environment, per branching strategy (GitLab tokens name the
# branch, not the environment; see gitlab_subjects).
BRANCHES = {
    "trunk": {"dev": "main", "staging": "main", "prod": "main"},
    "gitflow": {"dev": "develop", "staging": "release/*", "prod": "main"},
}


def github_subjects(repository: str, environment: str) -> list[str]:
    """GitHub puts the deployment environment in the token's subject, so each role trusts
    exactly one environment; its protection rules (required reviewers on prod) apply."""
    return [f"repo:{repository}:environment:{environment}"]


def gitlab_subjects(repository: str, environment: str, strategy: str) -> list[str]:
    """GitLab's subject names the project and branch. IAM can only match the subject, so
    each role trusts the branch that deploys its environment; prod's approval comes from
    GitLab's protected environments and protected branches."""
    branch = BRANCHES[strategy][environment]
    return [f"project_path:{repository}:ref_type:branch:ref:{branch}"]


def preview_subjects(provider: str, repository: str) -> list[str]:
    """Pull/merge requests run `pulumi preview`: a read-only role."""
    if provider == "github":
        return [f"repo:{repository}:pull_request"]
    return [f"project_path:{repository}:ref_type:branch:ref:*"]


def subjects(provider: str, repository: str, environment: str, strategy: str) -> list[str]:
    if provider == "github":
        return github_subjects(repository, environment)
    return gitlab_subjects(repository, environment, strategy)


def trust_policy(provider: str, provider_arn: str, allowed_subjects: list[str]) -> dict:
    """Allow AssumeRoleWithWebIdentity from this OIDC provider, for this audience and
    these subjects only."""
    issuer, audience = PROVIDERS[provider]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{issuer}:aud": audience},
                    "StringLike": {f"{issuer}:sub": allowed_subjects},
                },
            }
        ],
    }


# The services the stacks deploy. Service-wide actions keep the role maintainable as the
# stacks evolve; IAM, the riskiest, is limited to the project's own role path.
DEPLOY_SERVICES = (
    "acm", "application-autoscaling", "cloudfront", "cloudwatch", "ec2", "ecr", "ecs",
    "elasticloadbalancing", "kms", "logs", "rds", "s3", "secretsmanager", "sns", "wafv2",
)  # fmt: skip


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
                "Sid": "ServiceLinkedRolesOnFirstUse",
                "Effect": "Allow",
                "Action": "iam:CreateServiceLinkedRole",
                "Resource": "*",
            },
        ],
    }
