"""The bootstrap stack: state store (s3 backend), secrets key, OIDC provider, CI roles."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
from ci_access import ENVIRONMENTS, deploy_policy, preview_subjects, subjects, trust_policy

OIDC_URLS = {
    "github": ("https://token.actions.githubusercontent.com", "sts.amazonaws.com"),
    "gitlab": ("https://gitlab.com", "https://gitlab.com"),
}


def build(config: pulumi.Config) -> dict[str, pulumi.Input]:
    project = config.require("project")
    ci = config.require("ciProvider")
    repository = config.require("repository")
    strategy = config.require("branchingStrategy")
    backend = config.require("stateBackend")
    account_id = aws.get_caller_identity().account_id
    outputs: dict[str, pulumi.Input] = {}

    # Pulumi encrypts stack secrets with this key (`--secrets-provider awskms://...`).
    secrets_key = aws.kms.Key(
        "pulumi-secrets",
        description=f"{project}: Pulumi stack secrets",
        enable_key_rotation=True,
        deletion_window_in_days=30,
    )
    secrets_alias = aws.kms.Alias(
        "pulumi-secrets", name=f"alias/{project}-pulumi-secrets", target_key_id=secrets_key.key_id
    )
    region = aws.get_region().region
    outputs["secrets_provider"] = pulumi.Output.concat(
        "awskms://", secrets_alias.name, "?region=", region
    )
    state_bucket = None
    if backend == "s3":
        state_bucket = state_store(project, secrets_key)
        outputs["pulumi_login"] = pulumi.Output.concat("s3://", state_bucket.bucket)

    url, audience = OIDC_URLS[ci]
    oidc = aws.iam.OpenIdConnectProvider(f"{ci}-oidc", url=url, client_id_lists=[audience])
    outputs["oidc_provider_arn"] = oidc.arn

    # What every CI role needs for Pulumi itself: the secrets key and the state.
    state_policy_json = pulumi.Output.all(
        secrets_key.arn, state_bucket.arn if state_bucket else None
    ).apply(lambda arns: json.dumps(pulumi_state_policy(*arns)))

    for environment in ENVIRONMENTS:
        role = aws.iam.Role(
            f"deploy-{environment}",
            name=f"{project}-deploy-{environment}",
            description=f"CI deploys {environment} of {repository}",
            max_session_duration=3600,
            assume_role_policy=oidc.arn.apply(
                lambda arn, env=environment: json.dumps(
                    trust_policy(ci, arn, subjects(ci, repository, env, strategy))
                )
            ),
        )
        aws.iam.RolePolicy(
            f"deploy-{environment}",
            role=role.id,
            policy=json.dumps(deploy_policy(account_id, project)),
        )
        aws.iam.RolePolicy(f"deploy-{environment}-state", role=role.id, policy=state_policy_json)
        outputs[f"deploy_role_{environment}"] = role.arn

    preview = aws.iam.Role(
        "preview",
        name=f"{project}-preview",
        description=f"CI previews changes of {repository} (read only)",
        max_session_duration=3600,
        assume_role_policy=oidc.arn.apply(
            lambda arn: json.dumps(trust_policy(ci, arn, preview_subjects(ci, repository)))
        ),
    )
    aws.iam.RolePolicyAttachment(
        "preview-read-only", role=preview.name, policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess"
    )
    aws.iam.RolePolicy("preview-state", role=preview.id, policy=state_policy_json)
    outputs["preview_role"] = preview.arn
    return outputs


def pulumi_state_policy(key_arn: str, bucket_arn: str | None) -> dict:
    statements = [
        {
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            "Resource": key_arn,
        }
    ]
    if bucket_arn:
        statements.append(
            {
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def state_store(project: str, key: aws.kms.Key) -> aws.s3.Bucket:
    """Pulumi's state: versioned (every update can be recovered), encrypted, private."""
    bucket = aws.s3.Bucket("pulumi-state", bucket_prefix=f"{project}-pulumi-state-")
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
        policy=bucket.arn.apply(
            lambda arn: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [arn, f"{arn}/*"],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                }
            )
        ),
    )
    return bucket
