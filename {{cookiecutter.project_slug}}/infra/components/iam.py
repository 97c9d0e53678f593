"""IAM conventions shared by the components."""

import pulumi
import pulumi_aws as aws


def iam_path() -> str:
    """Every role of this project lives under /<project>/: the CI deploy role (see
    bootstrap/) may create and pass roles under that path and nowhere else."""
    return f"/{pulumi.get_project()}/"


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
