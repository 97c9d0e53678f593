"""Keyless CI access: the pipeline proves who it is with a short-lived OIDC token from
GitHub or GitLab, and AWS swaps it for one-hour credentials of a role. No access keys
exist to leak or rotate.

Each environment has its own deploy role, trusted only by this repository and, as closely
as the CI provider's token allows, by that environment. Build jobs push images with a
publish role, previews and drift checks read with a preview role. The trust rules are
pure functions, so the tests check them without AWS.
"""

from __future__ import annotations

ENVIRONMENTS = ("dev", "staging", "prod")
PROVIDERS = {
    # issuer host (the prefix of the token's claims in IAM conditions), audience it carries
    "github": ("token.actions.githubusercontent.com", "sts.amazonaws.com"),
    "gitlab": ("gitlab.com", "https://gitlab.com"),
}
# The branches that deploy each environment, per branching strategy (GitLab only: its
# tokens name the branch, not the environment). Gitflow's hotfix branches go through
# staging like release branches do.
BRANCHES = {
    "trunk": {"dev": ("main",), "staging": ("main",), "prod": ("main",)},
    "gitflow": {"dev": ("develop",), "staging": ("release/*", "hotfix/*"), "prod": ("main",)},
}
# The branches whose pipelines may build and push an image (the publish role). Other
# branches' pipelines still build and test an image, but cannot push it.
BUILD_BRANCHES = {
    "trunk": ("main",),
    # Not main: in gitflow main promotes the image staging ran, it never builds.
    "gitflow": ("develop", "release/*", "hotfix/*"),
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
    return [branch_subject(provider, repository, b) for b in BRANCHES[strategy][environment]]


def publish_subjects(provider: str, repository: str, strategy: str) -> list[str]:
    """Build jobs push images from the branches that build (see BUILD_BRANCHES). They run
    outside any deployment environment, so GitHub's subject names the branch too."""
    return [branch_subject(provider, repository, b) for b in BUILD_BRANCHES[strategy]]


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


# The services the stacks deploy. Least privilege would list every action each resource
# needs; that list breaks with each new resource argument or provider release and invites
# `*` as the fix. Service-wide actions on these services only are the trade-off: the role
# cannot touch anything else in the account, and IAM, the service that could escalate
# privileges, is limited to the project's own role path.
# The image registry is not among them: the bootstrap owns it (LookUpTheImageRepository).
DEPLOY_SERVICES = (
    "acm", "application-autoscaling", "cloudfront", "cloudwatch", "ec2", "ecs",
    "elasticloadbalancing", "kms", "logs", "rds", "s3", "secretsmanager", "sns", "wafv2",
)  # fmt: skip


SERVICE_LINKED_ROLES = [
    "ecs.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "rds.amazonaws.com",
    "ecs.application-autoscaling.amazonaws.com",
]


def deploy_policy(account_id: str, project: str, repository_arn: str, environment: str) -> dict:
    roles = f"arn:aws:iam::{account_id}:role/{project}/*"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "StackServices",
                "Effect": "Allow",
                "Action": [f"{service}:*" for service in DEPLOY_SERVICES],
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
    if environment == "prod":
        # After a successful prod deploy the pipeline tags the image `prod-<time>` (the
        # same manifest put again under a new tag; tags stay immutable): the registry's
        # lifecycle then keeps it, however many builds follow.
        policy["Statement"].append(
            {
                "Sid": "TagWhatProdRuns",
                "Effect": "Allow",
                "Action": ["ecr:BatchGetImage", "ecr:PutImage"],
                "Resource": repository_arn,
            }
        )
    return policy


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
