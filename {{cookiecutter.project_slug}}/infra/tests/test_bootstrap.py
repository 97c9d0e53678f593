"""The bootstrap stack: who may deploy what, and where Pulumi keeps its state."""

from __future__ import annotations

import contextvars
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.runtime import rpc

from components.iam import deny_insecure_transport

BOOTSTRAP = Path(__file__).resolve().parents[1] / "bootstrap"
PROJECT = yaml.safe_load((BOOTSTRAP / "Pulumi.yaml").read_text())["name"]
STACK_CONFIG = yaml.safe_load((BOOTSTRAP / "Pulumi.shared.yaml").read_text())["config"]
ACCOUNT = "123456789012"  # AWS's documentation account
ESTIMATE = Path(__file__).with_name("cost-estimate.json")  # as `make cost` writes it
PROJECT_NAME = STACK_CONFIG[f"{PROJECT}:project"]  # the AWS names' prefix
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
REPOSITORY = "aws:ecr/repository:Repository"
ENVIRONMENTS = ("dev", "staging", "prod")
GITHUB_SUB = "token.actions.githubusercontent.com:sub"
# The deploy policies name the registry by the ARN AWS will give it (see program.py).
REPOSITORY_ARN = f"arn:aws:ecr:eu-west-2:{ACCOUNT}:repository/{PROJECT_NAME}"
GITHUB_AUD = {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
GITLAB_AUD = {"gitlab.com:aud": "https://gitlab.com"}


class FakeAws(pulumi.runtime.Mocks):
    """Records every resource the program declares; answers its two look-ups."""

    def __init__(self) -> None:
        self.resources: list[dict[str, Any]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        self.resources.append({"type": args.typ, "name": args.name, "inputs": args.inputs})
        arn = f"arn:aws:{args.typ.split(':')[1].split('/')[0]}::{ACCOUNT}:{args.name}"
        state = {**args.inputs, "arn": arn, "bucket": args.name}
        if args.typ == REPOSITORY:
            state["repositoryUrl"] = (
                f"{ACCOUNT}.dkr.ecr.eu-west-2.amazonaws.com/{args.inputs['name']}"
            )
        return f"{args.name}-id", state

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
    import budget
    import program

    # `make cost` writes the real estimate; the tests use a fixed one.
    monkeypatch.setattr(budget, "ESTIMATE", ESTIMATE)

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
        # The same config is the same program run: each is run once per test session.
        key = tuple(sorted(config.items()))
        if key not in _RUNS:
            # Pulumi keeps its runtime state in context variables: a fresh context per run.
            _RUNS[key] = contextvars.Context().run(run_once, config)
        return _RUNS[key]

    return run


_RUNS: dict[tuple, tuple[list[dict], dict]] = {}


def revealed(value: Any) -> Any:
    """An input's value; the mocks pass a secret (Output.secret) on inside Pulumi's mark."""
    if isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig:
        return value["value"]
    return value


def roles(resources: list[dict]) -> dict[str, dict]:
    return {
        r["name"]: json.loads(revealed(r["inputs"]["assumeRolePolicy"]))
        for r in resources
        if r["type"] == ROLE
    }


def only_statement(policy: dict) -> dict:
    [statement] = policy["Statement"]
    return statement


def always_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


MANAGED_POLICY = "aws:iam/policy:Policy"


def role_policy(resources: list[dict], name: str) -> dict[str, dict]:
    """The statements of a role's inline policy, or of the managed policies it is split
    into (deploy roles: "<name>-1", "<name>-2", ...), by Sid."""
    documents = [
        r["inputs"]["policy"]
        for r in resources
        if (r["type"] == ROLE_POLICY and r["name"] == name)
        or (r["type"] == MANAGED_POLICY and r["name"].rsplit("-", 1)[0] == name)
    ]
    assert documents, name
    return {s["Sid"]: s for doc in documents for s in json.loads(doc)["Statement"]}


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
            "StringEquals": GITHUB_AUD | {GITHUB_SUB: f"repo:alex/desk:environment:{env}"}
        }
    # Pull requests preview; the nightly drift job runs in the "drift" environment.
    assert only_statement(trust["preview"])["Condition"] == {
        "StringEquals": GITHUB_AUD
        | {GITHUB_SUB: ["repo:alex/desk:pull_request", "repo:alex/desk:environment:drift"]}
    }


@pytest.mark.parametrize(
    ("strategy", "branches"),
    [
        ("trunk", [["main"], ["main"], ["main"]]),
        ("gitflow", [["develop"], ["release/*", "hotfix/*"], ["main"]]),
    ],
)
def test_gitlab_roles_trust_the_branches_that_deploy_each_environment(
    bootstrap, strategy, branches
):
    resources, _ = bootstrap(
        ciProvider="gitlab", repository="acme/platform/desk", branchingStrategy=strategy
    )
    trust = roles(resources)
    for env, env_branches in zip(ENVIRONMENTS, branches, strict=True):
        condition = only_statement(trust[f"deploy-{env}"])["Condition"]
        subjects = [
            f"project_path:acme/platform/desk:ref_type:branch:ref:{b}" for b in env_branches
        ]
        # A wildcard needs StringLike; exact subjects stay exact.
        if any("*" in b for b in env_branches):
            expected = {"StringEquals": GITLAB_AUD, "StringLike": {"gitlab.com:sub": subjects}}
        else:
            expected = {"StringEquals": GITLAB_AUD | {"gitlab.com:sub": subjects[0]}}
        assert condition == expected
    # Merge request pipelines run on source branches of any name.
    assert only_statement(trust["preview"])["Condition"] == {
        "StringEquals": GITLAB_AUD,
        "StringLike": {"gitlab.com:sub": "project_path:acme/platform/desk:ref_type:branch:ref:*"},
    }


GITFLOW_BUILDS = ["develop", "release/*", "hotfix/*"]


@pytest.mark.parametrize(
    ("ci", "strategy", "expected"),
    [
        ("github", "trunk", {"StringEquals": GITHUB_AUD | {GITHUB_SUB: "repo:alex/desk:ref:refs/heads/main"}}),
        ("github", "gitflow", {"StringEquals": GITHUB_AUD, "StringLike": {
            GITHUB_SUB: [f"repo:alex/desk:ref:refs/heads/{b}" for b in GITFLOW_BUILDS]}}),
        ("gitlab", "trunk", {"StringEquals": GITLAB_AUD | {
            "gitlab.com:sub": "project_path:alex/desk:ref_type:branch:ref:main"}}),
        ("gitlab", "gitflow", {"StringEquals": GITLAB_AUD, "StringLike": {
            "gitlab.com:sub": [f"project_path:alex/desk:ref_type:branch:ref:{b}" for b in GITFLOW_BUILDS]}}),
    ],
    ids=["github-trunk", "github-gitflow", "gitlab-trunk", "gitlab-gitflow"],
)  # fmt: skip
def test_publish_role_trusts_only_the_branches_that_build(bootstrap, ci, strategy, expected):
    resources, outputs = bootstrap(
        ciProvider=ci, repository="alex/desk", branchingStrategy=strategy, stateBackend="s3"
    )
    [role] = [r["inputs"] for r in resources if r["type"] == ROLE and r["name"] == "publish"]
    assert role["name"] == f"{PROJECT_NAME}-publish"
    assert role["maxSessionDuration"] == 3600
    statement = only_statement(json.loads(role["assumeRolePolicy"]))
    assert statement["Principal"] == {"Federated": f"arn:aws:iam::123456789012:{ci}-oidc"}
    assert statement["Condition"] == expected
    # Building runs no Pulumi: no access to the state bucket or the secrets key.
    assert "publish-state" not in {r["name"] for r in resources if r["type"] == ROLE_POLICY}
    assert outputs["publish_role"] == f"arn:aws:iam::{ACCOUNT}:publish"


def test_publish_role_may_push_and_pull_the_shared_repository_only(bootstrap):
    resources, _ = bootstrap()
    statements = role_policy(resources, "publish")
    assert statements == {
        "LogInToTheRegistry": {
            "Sid": "LogInToTheRegistry",
            "Effect": "Allow",
            "Action": "ecr:GetAuthorizationToken",
            "Resource": "*",  # the login token has no narrower resource
        },
        "PushAndPullThisRepository": {
            "Sid": "PushAndPullThisRepository",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:InitiateLayerUpload",
                "ecr:UploadLayerPart",
                "ecr:CompleteLayerUpload",
                "ecr:PutImage",
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
                "ecr:DescribeImages",
                "ecr:DescribeImageScanFindings",
            ],
            "Resource": f"arn:aws:ecr::{ACCOUNT}:images",
        },
    }


def test_one_image_repository_shared_by_every_environment(bootstrap):
    resources, outputs = bootstrap()
    [repository] = [r["inputs"] for r in resources if r["type"] == REPOSITORY]
    assert repository["name"] == PROJECT_NAME  # the stacks look it up by this name
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository["encryptionConfigurations"] == [{"encryptionType": "KMS"}]
    assert repository["forceDelete"] is False
    assert repository["tags"] == {"project": PROJECT_NAME, "environment": "shared"}
    assert (
        outputs["image_repository"] == f"{ACCOUNT}.dkr.ecr.eu-west-2.amazonaws.com/{PROJECT_NAME}"
    )


def test_lifecycle_keeps_enough_images_to_roll_back(bootstrap):
    resources, _ = bootstrap()
    [lifecycle] = [
        r["inputs"] for r in resources if r["type"] == "aws:ecr/lifecyclePolicy:LifecyclePolicy"
    ]
    assert lifecycle["repository"] == PROJECT_NAME
    rules = json.loads(lifecycle["policy"])["rules"]
    by_status = {rule["selection"]["tagStatus"]: rule for rule in rules}
    assert set(by_status) == {"tagged", "untagged", "any"}
    # Images prod ran come first: no later rule (the build count) can expire them.
    prod = by_status["tagged"]
    assert prod["rulePriority"] == 1
    assert prod["selection"]["tagPrefixList"] == ["prod-"]
    assert prod["selection"]["countNumber"] >= 10
    # ECR requires the rule for any image to have the highest priority number.
    assert by_status["any"]["rulePriority"] == max(rule["rulePriority"] for rule in rules)
    assert by_status["any"]["selection"]["countType"] == "imageCountMoreThan"
    assert by_status["any"]["selection"]["countNumber"] >= 50
    untagged = by_status["untagged"]["selection"]
    assert (untagged["countType"], untagged["countUnit"]) == ("sinceImagePushed", "days")
    assert 1 <= untagged["countNumber"] <= 14
    assert {rule["action"]["type"] for rule in rules} == {"expire"}


def test_deploy_roles_only_look_the_registry_up(bootstrap):
    resources, _ = bootstrap()
    for env in ENVIRONMENTS:
        statements = role_policy(resources, f"deploy-{env}")
        stack_actions = [
            a
            for sid, st in statements.items()
            if sid != "LookUpTheImageRepository" and sid != "TagWhatProdRuns"
            for a in always_list(st["Action"])
        ]
        assert not [a for a in stack_actions if a.startswith("ecr:")]
        registry = statements["LookUpTheImageRepository"]
        assert registry["Action"] == [
            "ecr:DescribeRepositories",
            "ecr:DescribeImages",
            "ecr:ListTagsForResource",
        ]
        assert registry["Resource"] == REPOSITORY_ARN
        # Only prod's role may tag an image (as one prod ran); no role may push layers.
        tagging = statements.get("TagWhatProdRuns")
        if env == "prod":
            assert tagging["Action"] == ["ecr:BatchGetImage", "ecr:PutImage"]
            assert tagging["Resource"] == REPOSITORY_ARN
        else:
            assert tagging is None
        actions = {a for st in statements.values() for a in always_list(st["Action"])}
        assert not {"ecr:UploadLayerPart", "ecr:CompleteLayerUpload"} & actions


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_oidc_provider_matches_the_ci(bootstrap, ci):
    resources, outputs = bootstrap(ciProvider=ci)
    [oidc] = [r["inputs"] for r in resources if r["type"] == OIDC_PROVIDER]
    expected = {
        "github": ("https://token.actions.githubusercontent.com", "sts.amazonaws.com"),
        "gitlab": ("https://gitlab.com", "https://gitlab.com"),
    }[ci]
    assert (oidc["url"], oidc["clientIdLists"]) == (expected[0], [expected[1]])
    # The names the pipelines and the settings tool read.
    assert {"oidc_provider_arn", "preview_role", "publish_role", "image_repository"} | {
        f"deploy_role_{e}" for e in ENVIRONMENTS
    } <= set(outputs)


def test_no_role_may_do_everything_and_sessions_last_an_hour(bootstrap):
    resources, _ = bootstrap()
    for resource in resources:
        if resource["type"] == ROLE:
            assert resource["inputs"]["maxSessionDuration"] == 3600
        if resource["type"] in (ROLE_POLICY, MANAGED_POLICY):
            for statement in json.loads(resource["inputs"]["policy"])["Statement"]:
                actions = statement["Action"]
                actions = actions if isinstance(actions, list) else [actions]
                assert "*" not in actions, resource["name"]
                assert "iam:*" not in actions, resource["name"]
                # Nobody but an administrator deletes images or changes the registry.
                assert not [a for a in actions if a.startswith("ecr:") and "Delete" in a]
                assert "ecr:*" not in actions, resource["name"]


def test_iam_rights_stop_at_the_project_role_path(bootstrap):
    resources, _ = bootstrap()
    for env in ENVIRONMENTS:
        statements = role_policy(resources, f"deploy-{env}")
        # Each environment's roles live under its own path (components/iam.py).
        roles_path = f"arn:aws:iam::{ACCOUNT}:role/{PROJECT_NAME}/{env}/*"
        assert statements["ProjectRolesOnly"]["Resource"] == roles_path
        passing = statements["PassProjectRolesToTheirServices"]
        assert passing["Resource"] == roles_path
        assert passing["Condition"]["StringEquals"]["iam:PassedToService"] == [
            "ecs-tasks.amazonaws.com",
            "fis.amazonaws.com",
            "monitoring.rds.amazonaws.com",
            "vpc-flow-logs.amazonaws.com",
        ]
        attaching = statements["AttachTheStacksManagedPolicies"]
        assert attaching["Resource"] == roles_path
        assert "AdministratorAccess" not in json.dumps(attaching)


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


def test_state_and_access_log_buckets_refuse_plain_http_alike(bootstrap, prod):
    """One statement (components/iam.py) in both policies, each about its own bucket."""
    resources, _ = bootstrap(stateBackend="s3")
    policy = "aws:s3/bucketPolicy:BucketPolicy"
    [state] = [json.loads(r["inputs"]["policy"]) for r in resources if r["type"] == policy]
    access_logs = [json.loads(r["inputs"]["policy"]) for r in prod.of_type(policy)]
    assert access_logs  # the load balancer's and, behind CloudFront, CloudFront's
    for document in (state, *access_logs):
        deny = document["Statement"][0]
        bucket = deny["Resource"][0]
        assert deny == deny_insecure_transport(bucket)
    buckets = [document["Statement"][0]["Resource"][0] for document in (state, *access_logs)]
    assert len(set(buckets)) == len(buckets)


def test_the_bootstrap_loads_with_only_its_own_folder_on_the_path():
    """As Pulumi runs it: program.py finds components/ (one folder up) by itself."""
    load = f"import sys; sys.path.insert(0, {str(BOOTSTRAP)!r}); import program"
    subprocess.run([sys.executable, "-I", "-c", load], check=True)


def test_pulumi_cloud_backend_needs_no_state_bucket_or_key(bootstrap):
    resources, outputs = bootstrap(stateBackend="pulumi-cloud")
    types = {r["type"] for r in resources}
    assert not {t for t in types if t.startswith(("aws:s3/", "aws:kms/"))}
    assert "pulumi_login" not in outputs


def test_deploy_policies_fit_aws_size_limits_and_are_attached(bootstrap):
    """A managed policy holds 6,144 characters (whitespace not counted); a role takes at
    most 10 managed policies. Each deploy role gets all the parts of its policy."""
    resources, _ = bootstrap()
    for env in ENVIRONMENTS:
        parts = [
            r
            for r in resources
            if r["type"] == MANAGED_POLICY and r["name"].startswith(f"deploy-{env}-")
        ]
        assert 1 <= len(parts) <= 10
        for part in parts:
            assert part["inputs"]["name"] == f"{PROJECT_NAME}-{part['name']}"
            compact = json.dumps(json.loads(part["inputs"]["policy"]), separators=(",", ":"))
            assert len(compact) <= 6144, part["name"]
        attached = {
            r["name"]
            for r in resources
            if r["type"] == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
            and r["inputs"]["role"] == f"{PROJECT_NAME}-deploy-{env}"
        }
        assert attached == {p["name"] for p in parts}
    # The only inline policy a deploy role keeps is the state access (small).
    assert not [
        r
        for r in resources
        if r["type"] == ROLE_POLICY and r["name"] in {f"deploy-{env}" for env in ENVIRONMENTS}
    ]
