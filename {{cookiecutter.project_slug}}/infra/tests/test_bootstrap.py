"""The bootstrap stack: who may deploy what, and where Pulumi keeps its state."""

from __future__ import annotations

import contextvars
import json
from pathlib import Path

import pulumi
import pytest
import yaml

from synth import record

BOOTSTRAP = Path(__file__).resolve().parents[1] / "bootstrap"
ROLE = "aws:iam/role:Role"


@pytest.fixture
def bootstrap(monkeypatch):
    """Run the bootstrap program under mocks with its stack config plus overrides."""
    monkeypatch.syspath_prepend(str(BOOTSTRAP))
    import program

    project = yaml.safe_load((BOOTSTRAP / "Pulumi.yaml").read_text())["name"]
    config = yaml.safe_load((BOOTSTRAP / "Pulumi.shared.yaml").read_text())["config"]

    def run(**overrides: str) -> list[dict]:
        values = {k: json.dumps(v) if isinstance(v, dict) else str(v) for k, v in config.items()}
        values |= {f"{project}:{key}": value for key, value in overrides.items()}
        return contextvars.Context().run(
            record, project, "shared", values, lambda: program.build(pulumi.Config())
        )

    return run


def roles(resources: list[dict]) -> dict[str, dict]:
    return {r["name"]: r["inputs"] for r in resources if r["type"] == ROLE}


def test_github_roles_trust_one_repository_and_environment(bootstrap):
    found = roles(bootstrap(ciProvider="github", repository="alex/desk"))
    for env in ("dev", "staging", "prod"):
        statement = json.loads(found[f"deploy-{env}"]["assumeRolePolicy"])["Statement"][0]
        condition = statement["Condition"]
        assert condition["StringEquals"] == {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"
        }
        assert condition["StringLike"] == {
            "token.actions.githubusercontent.com:sub": [f"repo:alex/desk:environment:{env}"]
        }
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert found[f"deploy-{env}"]["maxSessionDuration"] == 3600
    preview = json.loads(found["preview"]["assumeRolePolicy"])["Statement"][0]
    assert preview["Condition"]["StringLike"] == {
        "token.actions.githubusercontent.com:sub": ["repo:alex/desk:pull_request"]
    }


@pytest.mark.parametrize(
    ("strategy", "branches"),
    [("trunk", ["main", "main", "main"]), ("gitflow", ["develop", "release/*", "main"])],
)
def test_gitlab_roles_trust_the_branch_that_deploys_each_environment(bootstrap, strategy, branches):
    found = roles(
        bootstrap(ciProvider="gitlab", repository="acme/platform/desk", branchingStrategy=strategy)
    )
    for env, branch in zip(("dev", "staging", "prod"), branches, strict=True):
        condition = json.loads(found[f"deploy-{env}"]["assumeRolePolicy"])["Statement"][0][
            "Condition"
        ]
        assert condition["StringEquals"] == {"gitlab.com:aud": "https://gitlab.com"}
        assert condition["StringLike"] == {
            "gitlab.com:sub": [f"project_path:acme/platform/desk:ref_type:branch:ref:{branch}"]
        }


def test_no_role_may_do_everything(bootstrap):
    for resource in bootstrap():
        if resource["type"] == "aws:iam/rolePolicy:RolePolicy":
            for statement in json.loads(resource["inputs"]["policy"])["Statement"]:
                actions = (
                    statement["Action"]
                    if isinstance(statement["Action"], list)
                    else [statement["Action"]]
                )
                assert "*" not in actions and "iam:*" not in actions, resource["name"]


def test_iam_is_limited_to_the_project_role_path(bootstrap):
    bootstrap_project = yaml.safe_load((BOOTSTRAP / "Pulumi.yaml").read_text())["name"]
    config = yaml.safe_load((BOOTSTRAP / "Pulumi.shared.yaml").read_text())["config"]
    project = config[f"{bootstrap_project}:project"]
    [policy] = [r for r in bootstrap() if r["name"] == "deploy-prod"
                and r["type"] == "aws:iam/rolePolicy:RolePolicy"]  # fmt: skip
    statements = {s["Sid"]: s for s in json.loads(policy["inputs"]["policy"])["Statement"]}
    assert statements["ProjectRolesOnly"]["Resource"].endswith(f":role/{project}/*")
    assert statements["PassProjectRolesToTheirServices"]["Condition"]["StringEquals"][
        "iam:PassedToService"
    ]


def test_s3_state_bucket_is_versioned_encrypted_private_and_tls_only(bootstrap):
    resources = bootstrap(stateBackend="s3")
    by_type = {
        r["type"].split(":")[-1]: r["inputs"] for r in resources if r["name"] == "pulumi-state"
    }
    assert by_type["BucketVersioning"]["versioningConfiguration"] == {"status": "Enabled"}
    sse = by_type["BucketServerSideEncryptionConfiguration"]["rules"][0]
    assert sse["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    block = by_type["BucketPublicAccessBlock"]
    assert all(
        block[k]
        for k in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    policy = json.loads(by_type["BucketPolicy"]["policy"])["Statement"][0]
    assert policy["Effect"] == "Deny" and policy["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    key = next(r for r in resources if r["type"] == "aws:kms/key:Key")
    assert key["inputs"]["enableKeyRotation"] is True


def test_pulumi_cloud_backend_has_no_state_bucket(bootstrap):
    resources = bootstrap(stateBackend="pulumi-cloud")
    assert not [r for r in resources if r["type"] == "aws:s3/bucket:Bucket"]
