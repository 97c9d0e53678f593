"""IAM conventions shared by the components."""

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
