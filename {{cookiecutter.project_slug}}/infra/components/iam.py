"""IAM conventions shared by the components (and, for buckets, by the bootstrap)."""

import json

import pulumi
import pulumi_aws as aws


def iam_path() -> str:
    """Every role of an environment lives under /<project>/<stack>/: each environment's CI
    deploy role (see bootstrap/) may create and pass roles under its own path and nowhere
    else, so dev's role cannot change the roles prod runs with."""
    return f"/{pulumi.get_project()}/{pulumi.get_stack()}/"


def trusted_by(service: str) -> pulumi.Output[str]:
    """A role trust policy: only this AWS service (e.g. ecs-tasks.amazonaws.com) may
    assume the role."""
    return aws.iam.get_policy_document_output(
        statements=[
            {
                "actions": ["sts:AssumeRole"],
                "principals": [{"type": "Service", "identifiers": [service]}],
            }
        ]
    ).json


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
