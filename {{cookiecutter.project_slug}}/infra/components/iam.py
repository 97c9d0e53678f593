"""IAM conventions shared by the components (and, for buckets, by the bootstrap)."""

import json

import pulumi
import pulumi_aws as aws


def iam_path() -> str:
    """Every role of an environment lives under /<project>/<stack>/: each environment's CI
    deploy role (see bootstrap/) may create and pass roles under its own path and nowhere
    else, so dev's role cannot change the roles prod runs with."""
    return f"/{pulumi.get_project()}/{pulumi.get_stack()}/"


def trusted_by(service: str, source_arn: str | None = None) -> pulumi.Output[str]:
    """A role trust policy: only this AWS service (e.g. ecs-tasks.amazonaws.com) may assume
    the role, and only on this account's behalf (aws:SourceAccount), so another account
    cannot get the service to act with it (the "confused deputy"). `source_arn`, where the
    service documents the key it sends, narrows it to the resources it acts for
    (aws:SourceArn; "{region}" and "{account}" are filled in). A condition on a key the
    service does not send would lock the service out."""
    account = aws.get_caller_identity_output().account_id
    conditions: list[dict] = [
        {"test": "StringEquals", "variable": "aws:SourceAccount", "values": [account]}
    ]
    if source_arn:
        region = aws.get_region_output().region
        arn = pulumi.Output.all(region, account).apply(
            lambda values: source_arn.format(region=values[0], account=values[1])
        )
        conditions.append({"test": "ArnLike", "variable": "aws:SourceArn", "values": [arn]})
    return aws.iam.get_policy_document_output(
        statements=[
            {
                "actions": ["sts:AssumeRole"],
                "principals": [{"type": "Service", "identifiers": [service]}],
                "conditions": conditions,
            }
        ]
    ).json


def account_administers_key(account: pulumi.Input[str]) -> dict:
    """A key policy's first statement, as in AWS's default key policy: the account's IAM
    policies decide who manages and uses the key ("*" in a key policy means this key)."""
    return {
        "sid": "AccountAdministers",
        "actions": ["kms:*"],
        "resources": ["*"],
        "principals": [{"type": "AWS", "identifiers": [account]}],
    }


def deny_insecure_transport(bucket_arn: str) -> dict:
    """The statement every bucket policy starts with: S3 refuses any request over plain
    HTTP, to the bucket and to its objects, whoever makes it."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def bucket_policy(bucket_arn: str, *statements: dict) -> str:
    """A bucket policy (JSON): TLS only, then `statements`. The environments' access-log
    buckets and the bootstrap's state bucket use it, so they cannot drift apart."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [deny_insecure_transport(bucket_arn), *statements],
        }
    )
