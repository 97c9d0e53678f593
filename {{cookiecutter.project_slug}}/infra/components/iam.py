"""IAM conventions shared by the components."""

import pulumi


def iam_path() -> str:
    """Every role of this project lives under /<project>/: the CI deploy role (see
    bootstrap/) may create and pass roles under that path and nowhere else."""
    return f"/{pulumi.get_project()}/"
