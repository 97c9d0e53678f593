"""The bootstrap stack: who may deploy what, and where Pulumi keeps its state."""

from __future__ import annotations

import contextvars
import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

BOOTSTRAP = Path(__file__).resolve().parents[1] / "bootstrap"
PROJECT = yaml.safe_load((BOOTSTRAP / "Pulumi.yaml").read_text())["name"]
STACK_CONFIG = yaml.safe_load((BOOTSTRAP / "Pulumi.shared.yaml").read_text())["config"]
ACCOUNT = "123456789012"  # AWS's documentation account
ROLE = "aws:iam/role:Role"
OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
ENVIRONMENTS = ("dev", "staging", "prod")


class FakeAws(pulumi.runtime.Mocks):
    """Records every resource the program declares; answers its two look-ups."""

    def __init__(self) -> None:
        self.resources: list[dict[str, Any]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        self.resources.append({"type": args.typ, "name": args.name, "inputs": args.inputs})
        arn = f"arn:aws:{args.typ.split(':')[1].split('/')[0]}::{ACCOUNT}:{args.name}"
        return f"{args.name}-id", {**args.inputs, "arn": arn, "bucket": args.name}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/admin"}
        if args.token == "aws:index/getRegion:getRegion":
            return {"region": "eu-west-2", "name": "eu-west-2"}
        return {}


@pytest.fixture
def bootstrap(monkeypatch):
    """Run the bootstrap program under mocks with its stack config plus overrides; return
    the declared resources and the stack outputs."""
    monkeypatch.syspath_prepend(str(BOOTSTRAP))
    import program

    def run_once(config: dict[str, str]) -> tuple[list[dict], dict]:
        fake, outputs = FakeAws(), {}
        pulumi.runtime.set_mocks(fake, project=PROJECT, stack="shared", preview=False)
        pulumi.runtime.set_all_config(config)
        pulumi.runtime.test(
            lambda: pulumi.Output.from_input(program.build(pulumi.Config())).apply(outputs.update)
        )()
        return fake.resources, outputs

    def run(**overrides: str) -> tuple[list[dict], dict]:
        config = {
            k: json.dumps(v) if isinstance(v, dict) else str(v) for k, v in STACK_CONFIG.items()
        }
        config |= {f"{PROJECT}:{key}": value for key, value in overrides.items()}
        # Pulumi keeps its runtime state in context variables: a fresh context per run.
        return contextvars.Context().run(run_once, config)

    return run


def roles(resources: list[dict]) -> dict[str, dict]:
    return {
        r["name"]: json.loads(r["inputs"]["assumeRolePolicy"])
        for r in resources
        if r["type"] == ROLE
    }


def only_statement(policy: dict) -> dict:
    [statement] = policy["Statement"]
    return statement


@pytest.mark.parametrize("strategy", ["trunk", "gitflow"])
def test_github_roles_trust_one_repository_and_its_environment(bootstrap, strategy):
    resources, _ = bootstrap(
        ciProvider="github", repository="alex/desk", branchingStrategy=strategy
    )
    trust = roles(resources)
    for env in ENVIRONMENTS:
        statement = only_statement(trust[f"deploy-{env}"])
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Principal"] == {"Federated": "arn:aws:iam::123456789012:github-oidc"}
        assert statement["Condition"] == {
            "StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": f"repo:alex/desk:environment:{env}",
            }
        }
    assert (
        only_statement(trust["preview"])["Condition"]["StringEquals"][
            "token.actions.githubusercontent.com:sub"
        ]
        == "repo:alex/desk:pull_request"
    )


@pytest.mark.parametrize(
    ("strategy", "branches"),
    [("trunk", ["main", "main", "main"]), ("gitflow", ["develop", "release/*", "main"])],
)
def test_gitlab_roles_trust_the_branch_that_deploys_each_environment(bootstrap, strategy, branches):
    resources, _ = bootstrap(
        ciProvider="gitlab", repository="acme/platform/desk", branchingStrategy=strategy
    )
    trust = roles(resources)
    for env, branch in zip(ENVIRONMENTS, branches, strict=True):
        condition = only_statement(trust[f"deploy-{env}"])["Condition"]
        subject = f"project_path:acme/platform/desk:ref_type:branch:ref:{branch}"
        assert condition["StringEquals"]["gitlab.com:aud"] == "https://gitlab.com"
        # A wildcard needs StringLike; exact subjects stay exact.
        operator = "StringLike" if "*" in branch else "StringEquals"
        assert condition[operator]["gitlab.com:sub"] == subject


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_oidc_provider_matches_the_ci(bootstrap, ci):
    resources, outputs = bootstrap(ciProvider=ci)
    [oidc] = [r["inputs"] for r in resources if r["type"] == OIDC_PROVIDER]
    expected = {
        "github": ("https://token.actions.githubusercontent.com", "sts.amazonaws.com"),
        "gitlab": ("https://gitlab.com", "https://gitlab.com"),
    }[ci]
    assert (oidc["url"], oidc["clientIdLists"]) == (expected[0], [expected[1]])
    assert {"oidc_provider_arn", "preview_role"} | {
        f"deploy_role_{e}" for e in ENVIRONMENTS
    } <= set(outputs)


def test_no_role_may_do_everything_and_sessions_last_an_hour(bootstrap):
    resources, _ = bootstrap()
    for resource in resources:
        if resource["type"] == ROLE:
            assert resource["inputs"]["maxSessionDuration"] == 3600
        if resource["type"] == "aws:iam/rolePolicy:RolePolicy":
            for statement in json.loads(resource["inputs"]["policy"])["Statement"]:
                actions = statement["Action"]
                actions = actions if isinstance(actions, list) else [actions]
                assert "*" not in actions, resource["name"]
                assert "iam:*" not in actions, resource["name"]


def test_iam_rights_stop_at_the_project_role_path(bootstrap):
    resources, _ = bootstrap()
    [policy] = [
        r
        for r in resources
        if r["name"] == "deploy-prod" and r["type"].endswith("rolePolicy:RolePolicy")
    ]
    statements = {s["Sid"]: s for s in json.loads(policy["inputs"]["policy"])["Statement"]}
    project = STACK_CONFIG[f"{PROJECT}:project"]
    assert statements["ProjectRolesOnly"]["Resource"] == f"arn:aws:iam::{ACCOUNT}:role/{project}/*"
    passing = statements["PassProjectRolesToTheirServices"]
    assert passing["Resource"] == f"arn:aws:iam::{ACCOUNT}:role/{project}/*"
    assert "ecs-tasks.amazonaws.com" in passing["Condition"]["StringEquals"]["iam:PassedToService"]


def test_s3_state_bucket_is_versioned_encrypted_private_and_tls_only(bootstrap):
    resources, outputs = bootstrap(stateBackend="s3")
    state = {
        r["type"].split(":")[-1]: r["inputs"] for r in resources if r["name"] == "pulumi-state"
    }
    assert state["BucketVersioning"]["versioningConfiguration"] == {"status": "Enabled"}
    [sse] = state["BucketServerSideEncryptionConfiguration"]["rules"]
    assert sse["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": f"arn:aws:kms::{ACCOUNT}:pulumi-secrets",
    }
    assert all(
        state["BucketPublicAccessBlock"][setting]
        for setting in (
            "blockPublicAcls",
            "blockPublicPolicy",
            "ignorePublicAcls",
            "restrictPublicBuckets",
        )
    )
    assert state["BucketOwnershipControls"]["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    [deny] = json.loads(state["BucketPolicy"]["policy"])["Statement"]
    assert (deny["Effect"], deny["Action"]) == ("Deny", "s3:*")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    [key] = [r["inputs"] for r in resources if r["type"] == "aws:kms/key:Key"]
    assert key["enableKeyRotation"] is True
    assert outputs["pulumi_login"] == "s3://pulumi-state"
    assert outputs["secrets_provider"].startswith("awskms://alias/")


def test_pulumi_cloud_backend_needs_no_state_bucket_or_key(bootstrap):
    resources, outputs = bootstrap(stateBackend="pulumi-cloud")
    types = {r["type"] for r in resources}
    assert not {t for t in types if t.startswith(("aws:s3/", "aws:kms/"))}
    assert "pulumi_login" not in outputs
