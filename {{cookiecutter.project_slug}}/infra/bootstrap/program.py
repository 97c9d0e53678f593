"""The bootstrap stack: state store and secrets key (s3 backend), the image registry shared
by every environment, OIDC provider, CI roles, the monthly budget, and the assessor's
read-only role when the config names the assessor."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pulumi
import pulumi_aws as aws
from assessor_access import assessor, assessor_role

# Pulumi puts only this folder on the path: add infra/, whose components/ hold conventions
# the bootstrap shares with the environments (the state bucket's policy, for one).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from budget import monthly_budget
from budget import settings as budget_settings
from ci_access import (
    ENVIRONMENTS,
    MANAGED_POLICIES_PER_ROLE,
    PROVIDERS,
    deploy_policy,
    deploy_subjects,
    policy_parts,
    preview_subjects,
    publish_policy,
    publish_subjects,
    trust_policy,
)

from components.iam import bucket_policy

OIDC_URLS = {
    "github": "https://token.actions.githubusercontent.com",
    "gitlab": "https://gitlab.com",
}


def build(config: pulumi.Config) -> dict[str, pulumi.Input]:
    """Declare the bootstrap's resources; return the stack outputs."""
    project = config.require("project")
    ci = config.require("ciProvider")
    source = config.require("repository")  # the git repository whose pipelines may act
    strategy = config.require("branchingStrategy")
    # Checked before anything is declared.
    assessor_settings = assessor(config)
    budget_amount, alert_email = budget_settings(config)
    # Only to tear the project down (README: "When the EPA is over"): `pulumi destroy`
    # then deletes the registry's images and every version of the state bucket's objects.
    empty_on_destroy = config.get_bool("emptyOnDestroy") or False
    account_id = aws.get_caller_identity().account_id
    outputs: dict[str, pulumi.Input] = {}

    # What every CI role needs for Pulumi itself when the state lives in this account.
    state_access: pulumi.Output[str] | None = None
    if config.require("stateBackend") == "s3":
        key, alias = secrets_key(project)
        bucket = state_store(project, key, empty_on_destroy)
        region = aws.get_region().region
        outputs["state_bucket"] = bucket.bucket
        outputs["pulumi_login"] = pulumi.Output.concat("s3://", bucket.bucket)
        outputs["secrets_provider"] = pulumi.Output.concat(
            "awskms://", alias.name, "?region=", region
        )
        state_access = pulumi.Output.all(key.arn, bucket.arn).apply(
            lambda arns: json.dumps(pulumi_state_policy(*arns))
        )

    repository = image_repository(project, empty_on_destroy)
    outputs["image_repository"] = repository.repository_url
    outputs["budget"] = monthly_budget(project, budget_amount, alert_email).name

    # AWS no longer checks thumbprints for GitHub's and GitLab's issuers, and pulumi_aws 7
    # no longer requires them: the URL and the audience are enough.
    _, audience = PROVIDERS[ci]
    oidc = aws.iam.OpenIdConnectProvider(
        f"{ci}-oidc", url=OIDC_URLS[ci], client_id_lists=[audience]
    )
    outputs["oidc_provider_arn"] = oidc.arn

    def trusting(subjects: list[str]) -> pulumi.Output[str]:
        return oidc.arn.apply(lambda arn: json.dumps(trust_policy(ci, arn, subjects)))

    # The registry's ARN, known before it exists: each deploy policy is split to fit AWS's
    # size limit, and how many parts it takes must be known when the program runs.
    repository_arn = f"arn:aws:ecr:{aws.get_region().region}:{account_id}:repository/{project}"
    for environment in ENVIRONMENTS:
        role = ci_role(
            f"deploy-{environment}",
            f"{project}-deploy-{environment}",
            f"CI deploys {environment} of {source}",
            trusting(deploy_subjects(ci, source, environment, strategy)),
            state_access,
        )
        parts = policy_parts(deploy_policy(account_id, project, repository_arn, environment))
        if len(parts) > MANAGED_POLICIES_PER_ROLE:
            raise ValueError(f"deploy-{environment}: {len(parts)} policies, AWS allows a role 10")
        for number, part in enumerate(parts, start=1):
            managed = aws.iam.Policy(
                f"deploy-{environment}-{number}",
                name=f"{project}-deploy-{environment}-{number}",
                description=f"CI deploys {environment} (part {number}; see infra/bootstrap)",
                policy=json.dumps(part),
                opts=pulumi.ResourceOptions(depends_on=[repository]),
            )
            aws.iam.RolePolicyAttachment(
                f"deploy-{environment}-{number}", role=role.name, policy_arn=managed.arn
            )
        outputs[f"deploy_role_{environment}"] = role.arn

    # Build jobs push images and run no Pulumi: no state access.
    publish = ci_role(
        "publish",
        f"{project}-publish",
        f"CI builds and pushes the images of {source}",
        trusting(publish_subjects(ci, source, strategy)),
        None,
    )
    aws.iam.RolePolicy(
        "publish",
        role=publish.id,
        policy=repository.arn.apply(lambda arn: json.dumps(publish_policy(arn))),
    )
    outputs["publish_role"] = publish.arn

    preview = ci_role(
        "preview",
        f"{project}-preview",
        f"CI previews changes and detects drift of {source} (read only)",
        trusting(preview_subjects(ci, source)),
        state_access,
    )
    aws.iam.RolePolicyAttachment(
        "preview-read-only", role=preview.name, policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess"
    )
    outputs["preview_role"] = preview.arn

    if assessor_settings is not None:
        outputs["assessor_role"] = assessor_role(project, assessor_settings).arn
    return outputs


def ci_role(
    name: str,
    role_name: str,
    description: str,
    trust: pulumi.Input[str],
    state_access: pulumi.Input[str] | None,
) -> aws.iam.Role:
    role = aws.iam.Role(
        name,
        name=role_name,
        description=description,
        max_session_duration=3600,  # the shortest AWS allows: a leaked session expires soon
        assume_role_policy=trust,
    )
    if state_access is not None:
        aws.iam.RolePolicy(f"{name}-state", role=role.id, policy=state_access)
    return role


def image_repository(project: str, empty_on_destroy: bool) -> aws.ecr.Repository:
    """The one registry of the project's images. Every environment runs images from it, so
    an image is built once and promoted by its digest: what staging tested is, byte for
    byte, what prod runs. It exists before any pipeline runs, so the first build has
    somewhere to push, and no environment's `pulumi destroy` can take it away."""
    repository = aws.ecr.Repository(
        "images",
        name=project,
        image_tag_mutability="IMMUTABLE",  # a tag always means the same image
        image_scanning_configuration={"scan_on_push": True},
        # AWS's managed key for ECR: encrypted at rest, and nobody needs a KMS permission
        # to push or pull (a key of our own would need grants for every role).
        encryption_configurations=[{"encryption_type": "KMS"}],
        # Deleting the registry fails while it holds images (the environments may run
        # them), unless the config says the whole project is being torn down.
        force_delete=empty_on_destroy,
        # The project's, but no one environment's: cost reports show it apart, and an
        # environment's inspection finds it by following the task definitions' images.
        tags={"project": project, "environment": "shared"},
    )
    aws.ecr.LifecyclePolicy(
        "images", repository=repository.name, policy=json.dumps(IMAGE_LIFECYCLE)
    )
    return repository


# Old images go, but enough stay to roll any environment back. Rules apply in priority
# order; an image a rule selects is never expired by a later one, and the rule for any
# image must come last. Every image prod has run carries a `prod-` tag (ci/deploy.sh adds
# it): they are kept apart from the build count, so however many builds follow a release,
# prod can still start new tasks and roll back.
KEEP_PROD_IMAGES = 20
KEEP_IMAGES = 100
UNTAGGED_DAYS = 7
PROD_TAG_PREFIX = "prod-"
IMAGE_LIFECYCLE = {
    "rules": [
        {
            "rulePriority": 1,
            "description": f"Keep the last {KEEP_PROD_IMAGES} images prod ran",
            "selection": {
                "tagStatus": "tagged",
                "tagPrefixList": [PROD_TAG_PREFIX],
                "countType": "imageCountMoreThan",
                "countNumber": KEEP_PROD_IMAGES,
            },
            "action": {"type": "expire"},
        },
        {
            # Pipelines push single-platform images by tag (the commit), so untagged
            # images are leftovers of failed pushes.
            "rulePriority": 2,
            "description": f"Expire untagged images after {UNTAGGED_DAYS} days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": UNTAGGED_DAYS,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 3,
            "description": f"Keep the last {KEEP_IMAGES} images (enough to roll back)",
            "selection": {
                "tagStatus": "any",
                "countType": "imageCountMoreThan",
                "countNumber": KEEP_IMAGES,
            },
            "action": {"type": "expire"},
        },
    ]
}


def secrets_key(project: str) -> tuple[aws.kms.Key, aws.kms.Alias]:
    """Pulumi encrypts the stacks' secrets with this key (`--secrets-provider awskms://...`)
    and the state bucket its objects."""
    key = aws.kms.Key(
        "pulumi-secrets",
        description=f"{project}: Pulumi state and stack secrets",
        enable_key_rotation=True,
        deletion_window_in_days=30,
    )
    alias = aws.kms.Alias(
        "pulumi-secrets", name=f"alias/{project}-pulumi-secrets", target_key_id=key.key_id
    )
    return key, alias


def pulumi_state_policy(key_arn: str, bucket_arn: str) -> dict:
    """Read and write the state (previews too: they take a lock file) and use the key."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                "Resource": key_arn,
            },
            {
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
            },
        ],
    }


def state_store(project: str, key: aws.kms.Key, empty_on_destroy: bool) -> aws.s3.Bucket:
    """Pulumi's state: versioned (every update can be recovered), encrypted, private.
    Deleting it fails while it holds any object or version, unless the config says the
    whole project is being torn down."""
    bucket = aws.s3.Bucket(
        "pulumi-state", bucket_prefix=f"{project}-pulumi-state-", force_destroy=empty_on_destroy
    )
    aws.s3.BucketVersioning(
        "pulumi-state", bucket=bucket.id, versioning_configuration={"status": "Enabled"}
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        "pulumi-state",
        bucket=bucket.id,
        rules=[
            {
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": key.arn,
                },
                "bucket_key_enabled": True,  # fewer KMS calls: cheaper
            }
        ],
    )
    aws.s3.BucketPublicAccessBlock(
        "pulumi-state",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    aws.s3.BucketOwnershipControls(
        "pulumi-state", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}
    )
    aws.s3.BucketLifecycleConfiguration(
        "pulumi-state",
        bucket=bucket.id,
        rules=[
            {
                "id": "old-versions",
                "status": "Enabled",
                "filter": {},
                "noncurrent_version_expiration": {"noncurrent_days": 90},
            }
        ],
    )
    aws.s3.BucketPolicy(
        "pulumi-state",
        bucket=bucket.id,
        policy=bucket.arn.apply(bucket_policy),  # TLS only
    )
    return bucket
