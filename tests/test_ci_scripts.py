"""The pipeline scripts in ci/ (GitHub Actions and GitLab CI run the same ones), run for real
in a baked project with fake `pulumi`, `aws`, `docker`, `uv`, `make` and `curl` first on PATH.

Each fake appends one JSON line per call to calls.jsonl (its name and argv; for `pulumi up`
and `pulumi preview` also the text of the --config-file it was given, since a rollback
rewrites that file) and answers from world.json: stack outputs per stack name, the images
in the registry, exit codes. The world changes as AWS would: `pulumi up` gives the stack
its outputs with the deployed `image`, `docker push` adds the image to the registry.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import TEMPLATE, bake, run, tool_env

pytestmark = pytest.mark.xdist_group("ci_scripts")  # one bake for the whole module

PROJECT = "service-desk"  # the default answers' AWS name (and infra/Pulumi.yaml `name`)
REGION = "eu-west-2"
REPOSITORY = f"123456789012.dkr.ecr.{REGION}.amazonaws.com/{PROJECT}"
OLD = f"{REPOSITORY}@sha256:{'1' * 64}"
NEW = f"{REPOSITORY}@sha256:{'2' * 64}"
STAGED = f"{REPOSITORY}@sha256:{'3' * 64}"
COMMIT = "c0ffee" + "0" * 34
ENVIRONMENTS = ("dev", "staging", "prod")
# Variables the scripts read: never inherited from the machine running the tests.
CI_VARIABLES = (
    "AWS_REGION",
    "COMMIT",
    "COMMIT_SHA",
    "IMAGE",
    "IMAGE_REPOSITORY",
    "PULUMI_ORG",
    "RUN_ID",
    "TRIVY_IMAGE",
)
FAKES = ("pulumi", "aws", "docker", "uv", "make", "curl")

FAKE = r"""
import json
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOOL = Path(__file__).name
args = sys.argv[1:]
world = json.loads((HERE / "world.json").read_text())
exits = world["exit"]


def record(**extra):
    with (HERE / "calls.jsonl").open("a") as log:
        log.write(json.dumps({"tool": TOOL, "argv": args, **extra}) + "\n")


def save():
    (HERE / "world.json").write_text(json.dumps(world))


def option(name):
    return args[args.index(name) + 1] if name in args else None


def fail(message, code):
    print(f"fake {TOOL}: {message}", file=sys.stderr)
    return code


def pulumi():
    stack = option("--stack")
    outputs = world["outputs"]
    if args[:2] == ["stack", "output"]:
        record()
        if exits.get("output"):
            return fail("error: could not read the stack (no login?)", exits["output"])
        assert "--json" in args
        print(json.dumps(outputs.get(stack, {})))  # a never-deployed stack has none: {}
        return 0
    if args[:2] == ["config", "set"]:
        record()
        key, value = args[2], args[3]
        pulumi_yaml = (Path(option("--cwd")) / "Pulumi.yaml").read_text()
        project = re.search(r"^name: *(\S+)", pulumi_yaml, re.M)[1]
        path = Path(option("--config-file"))
        entry = f"  {project}:{key}:"
        lines = [line for line in path.read_text().splitlines() if not line.startswith(entry)]
        path.write_text("\n".join([*lines, f"{entry} {value}"]) + "\n")
        return exits.get("config", 0)
    if args[0] == "refresh":  # runs no program: no config file
        record()
        print("Refreshing (preview)")
        return exits.get("refresh", 0)
    config = Path(option("--config-file")).read_text()
    record(config=config)
    if args[0] == "up":
        if exits.get("up", 0) == 0:
            image = re.search(r"^  [\w-]+:image: *(\S+)", config, re.M)
            created = world["created"].get(stack, {})
            outputs[stack] = {**created, **outputs.get(stack, {}), "image": image and image[1]}
            save()
        return exits.get("up", 0)
    if args[0] == "preview":
        print(world["preview_json"] if "--json" in args else "Previewing update")
        return exits.get("preview", 0)
    return fail("unexpected call", 2)


def aws():
    record()
    if args[:2] == ["ecr", "get-login-password"]:
        print("fake-password")
        return 0
    if args[:2] not in (["ecr", "describe-images"], ["ecr", "batch-get-image"], ["ecr", "put-image"]):
        return fail("unexpected call", 2)
    if option("--repository-name") != world["repository_name"]:
        return fail("RepositoryNotFoundException", 254)
    if args[1] == "put-image":  # a new tag for an image already there (found by manifest)
        digest = json.loads(option("--image-manifest"))["digest"]
        image = next(i for i in world["images"] if i["digest"] == digest)
        image["tags"].append(option("--image-tag"))
        save()
        return 0
    kind, _, wanted = option("--image-ids").partition("=")
    for image in world["images"]:
        if wanted == image["digest"] if kind == "imageDigest" else wanted in image["tags"]:
            query = option("--query")
            if query == "imageDetails[0].imageDigest":
                print(image["digest"])
            elif query == "imageDetails[0].imageTags":
                print("\t".join(image["tags"]) or "None")
            elif query == "images[0].imageManifest":
                print(json.dumps({"mediaType": "manifest", "digest": image["digest"]}))
            else:
                return fail(f"unexpected query {query}", 2)
            return 0
    return fail("ImageNotFoundException", 254)


def docker():
    record(stdin=sys.stdin.read() if "--password-stdin" in args else None)
    if args[0] == "push":
        repository, _, tag = args[1].rpartition(":")
        if repository.split("/", 1)[-1] != world["repository_name"]:
            return fail(f"no repository {repository}", 1)
        world["images"].append({"digest": world["push_digest"], "tags": [tag]})
        save()
    return exits.get("scan" if args[0] == "run" else args[0], 0)


def uv():
    command = args[args.index("epa") + 1]  # facts, migrate, smoke
    if command == "facts":  # a lookup of the project's facts: the real answer
        import os
        import subprocess

        return subprocess.run([sys.executable, "-m", "project_facts", *args[args.index("epa") + 2:]],
                              cwd=os.environ["ROOT"], check=False).returncode  # fmt: skip
    record()
    code = exits.get(command, 0)
    if isinstance(code, list):  # one exit code per call, in order
        code = code.pop(0) if code else 0
        save()
    return code


def make():
    record()
    return exits.get("make", 0)


def curl():
    record()
    source = world["downloads"].get(args[-1])
    if source is None:
        return fail("(22) The requested URL returned error: 404", 22)
    shutil.copyfile(source, option("--output") or args[-1].rsplit("/", 1)[-1])
    return 0


sys.exit(globals()[TOOL]())
"""


@dataclass
class Baked:
    path: Path
    same_files: str  # a commit (another branch) with exactly the files of HEAD
    other_files: str  # a commit whose files differ from HEAD's


def git(project: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=CI", "-c", "user.email=ci@example.com", *args]
    return run(command, cwd=project).stdout.strip()


@pytest.fixture(scope="module")
def baked(tmp_path_factory) -> Baked:
    project = bake(tmp_path_factory.mktemp("ci"), ci_provider="github", branching_strategy="gitflow")
    git(project, "init", "--quiet", "--initial-branch", "main")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--message", "Generated")
    # release/1.0: a commit that changes nothing (what staging ran); feature/x changes a file.
    git(project, "switch", "--quiet", "--create", "release/1.0")
    git(project, "commit", "--quiet", "--allow-empty", "--message", "Release 1.0")
    same_files = git(project, "rev-parse", "HEAD")
    git(project, "switch", "--quiet", "--create", "feature/x", "main")
    (project / "README.md").write_text("changed\n")
    git(project, "commit", "--quiet", "--all", "--message", "Change")
    other_files = git(project, "rev-parse", "HEAD")
    git(project, "switch", "--quiet", "main")
    return Baked(project.resolve(), same_files, other_files)


def stack_name(env: str, org: str = "") -> str:
    return f"{org}/{PROJECT}/{env}" if org else env


def outputs(env: str, image: str | None = None) -> dict[str, str]:
    """The outputs of a deployed stack (infra/stack.py)."""
    values = {
        "url": f"https://{env}.d111.cloudfront.net",
        "cluster_name": f"{PROJECT}-{env}",
        "service_name": f"{PROJECT}-{env}-app",
    }
    return {**values, "image": image} if image else values


class CI:
    """A baked project and the fake world its scripts run in."""

    def __init__(self, project: Path, fakes: Path, org: str = ""):
        self.project = project
        self.fakes = fakes
        self.org = org
        self.world: dict = {
            "outputs": {},  # stack name -> outputs; no entry: never deployed
            "created": {stack_name(env, org): outputs(env) for env in ENVIRONMENTS},
            "repository_name": PROJECT,
            "images": [],  # {"digest": ..., "tags": [...]}
            "push_digest": "sha256:" + "9" * 64,
            "preview_json": json.dumps({"steps": [], "changeSummary": {"same": 42}}),
            "downloads": {},
            "exit": {},
        }
        fakes.mkdir(exist_ok=True)
        for tool in FAKES:
            fake = fakes / tool
            fake.write_text(f"#!{sys.executable} -S\n{FAKE}")
            fake.chmod(0o755)

    def deployed(self, env: str, image: str | None) -> None:
        self.world["outputs"][stack_name(env, self.org)] = outputs(env, image)

    def run(self, script: str, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
        (self.fakes / "world.json").write_text(json.dumps(self.world))
        env = {k: v for k, v in tool_env().items() if k not in CI_VARIABLES}
        env["PATH"] = f"{self.fakes}{os.pathsep}{env['PATH']}"
        env.update({"AWS_REGION": REGION, **variables})
        if self.org:
            env["PULUMI_ORG"] = self.org
        return subprocess.run(
            [f"ci/{script}", *args],
            cwd=self.project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def calls(self, tool: str | None = None) -> list[dict]:
        log = self.fakes / "calls.jsonl"
        lines = log.read_text().splitlines() if log.exists() else []
        records = [json.loads(line) for line in lines]
        return [r for r in records if tool is None or r["tool"] == tool]

    def steps(self) -> list[str]:
        """The calls that change or check something, in order (lookups left out)."""
        steps = []
        for call in self.calls():
            tool, argv = call["tool"], call["argv"]
            if tool == "uv":
                steps.append(argv[argv.index("epa") + 1])  # migrate, smoke
            elif tool == "pulumi" and argv[0] in ("up", "preview", "refresh"):
                steps.append(argv[0])
            elif tool == "make":
                steps.append(argv[1])
            elif tool == "docker":
                steps.append(f"docker {argv[0]}")
        return steps

    def ups(self) -> list[dict]:
        return [c for c in self.calls("pulumi") if c["argv"][0] == "up"]

    def read(self, relative: str) -> str:
        return (self.project / relative).read_text()

    def world_now(self) -> dict:
        """The world as the fakes left it (pushes and tags change it)."""
        return json.loads((self.fakes / "world.json").read_text())


def option(argv: list[str], name: str) -> str:
    assert name in argv, f"{name} missing from {argv}"
    return argv[argv.index(name) + 1]


def image_in(config: str) -> str | None:
    return yaml.safe_load(config)["config"].get(f"{PROJECT}:image")


def fresh_ci(baked: Baked, tmp_path: Path, org: str = "") -> CI:
    for generated in ("build", "reports"):
        shutil.rmtree(baked.path / generated, ignore_errors=True)
    return CI(baked.path, tmp_path / "bin", org)


@pytest.fixture
def ci(baked, tmp_path) -> CI:
    return fresh_ci(baked, tmp_path)


# --- deploy.sh --------------------------------------------------------------------------


def test_deploy_migrates_first_then_updates_from_a_copy_of_the_stack_config(ci):
    ci.deployed("staging", OLD)
    committed = ci.read("infra/Pulumi.staging.yaml")

    result = ci.run("deploy.sh", "staging", IMAGE=NEW, COMMIT=COMMIT)

    assert result.returncode == 0, result.stderr
    assert ci.steps() == ["migrate", "up", "smoke", "inspect"]
    migrate = ci.calls("uv")[0]["argv"]
    assert migrate[:4] == ["run", "--no-sync", "epa", "migrate"]
    assert option(migrate, "--image") == NEW
    assert option(migrate, "--cluster") == f"{PROJECT}-staging"
    assert option(migrate, "--service") == f"{PROJECT}-staging-app"
    assert option(migrate, "--region") == REGION
    assert option(migrate, "--started-by") == f"deploy-{COMMIT[:12]}"

    (up,) = ci.ups()
    argv = up["argv"]
    copy = ci.project / "build/stack-config/Pulumi.staging.yaml"
    assert option(argv, "--stack") == "staging"
    assert option(argv, "--config-file") == str(copy)
    assert option(argv, "--message") == f"Deploy {COMMIT}"
    assert "--yes" in argv
    # The copy is the committed stack file plus the new image; the committed file is untouched.
    expected = {**yaml.safe_load(committed)["config"], f"{PROJECT}:image": NEW}
    assert yaml.safe_load(up["config"])["config"] == expected
    assert ci.read("infra/Pulumi.staging.yaml") == committed
    assert git(ci.project, "status", "--porcelain", "--", "infra") == ""
    # The policy pack; it finds the stack's tier in project.yaml, so no config per stack.
    assert option(argv, "--policy-pack") == str(ci.project / "infra/policy")
    assert "--policy-pack-config" not in argv

    smoke = ci.calls("uv")[1]["argv"]
    assert smoke[:4] == ["run", "--no-sync", "epa", "smoke"]
    assert option(smoke, "--url") == outputs("staging")["url"]
    assert option(smoke, "--commit") == COMMIT
    (inspect,) = ci.calls("make")
    assert inspect["argv"] == ["--no-print-directory", "inspect", "ENV=staging", f"REGION={REGION}"]
    assert ci.read("build/deploy.env") == f"url={outputs('staging')['url']}\nIMAGE={NEW}\nCOMMIT={COMMIT}\n"


def test_first_deploy_creates_the_stack_before_migrating(ci):
    result = ci.run("deploy.sh", "dev", IMAGE=NEW, COMMIT=COMMIT)

    assert result.returncode == 0, result.stderr
    assert ci.steps() == ["up", "migrate", "smoke", "inspect"]
    assert image_in(ci.ups()[0]["config"]) == NEW
    migrate = ci.calls("uv")[0]["argv"]
    # The cluster and service the update has just created.
    assert option(migrate, "--cluster") == f"{PROJECT}-dev"
    assert option(migrate, "--service") == f"{PROJECT}-dev-app"
    assert "IMAGE=" + NEW in ci.read("build/deploy.env")


def test_failed_smoke_test_rolls_back_to_the_previous_image(ci):
    ci.deployed("prod", OLD)
    ci.world["exit"]["smoke"] = 1

    result = ci.run("deploy.sh", "prod", IMAGE=NEW, COMMIT=COMMIT)

    assert result.returncode != 0
    assert ci.steps() == ["migrate", "up", "smoke", "up"]
    deploy, rollback = ci.ups()
    assert image_in(deploy["config"]) == NEW
    assert image_in(rollback["config"]) == OLD
    assert option(rollback["argv"], "--message") == f"Roll back: {COMMIT} failed its smoke test"
    assert option(rollback["argv"], "--policy-pack") == str(ci.project / "infra/policy")
    assert f"prod failed its smoke test and was rolled back to {OLD}" in result.stderr
    assert not (ci.project / "build/deploy.env").exists()


def test_failed_smoke_test_without_a_previous_image_fails_without_rollback(ci):
    ci.world["exit"]["smoke"] = 1

    result = ci.run("deploy.sh", "dev", IMAGE=NEW, COMMIT=COMMIT)

    assert result.returncode != 0
    assert ci.steps() == ["up", "migrate", "smoke"]
    assert "dev failed its smoke test (no earlier image to roll back to)" in result.stderr
    assert not (ci.project / "build/deploy.env").exists()


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_only_a_successful_prod_deploy_tags_the_image_for_keeping(ci, env):
    """The registry keeps `prod-` tagged images whatever the build count: prod can always
    start new tasks and roll back."""
    ci.deployed(env, OLD)
    ci.world["images"] = [{"digest": NEW.split("@")[1], "tags": [COMMIT]}]

    result = ci.run("deploy.sh", env, IMAGE=NEW, COMMIT=COMMIT)

    assert result.returncode == 0, result.stderr
    tags = ci.world_now()["images"][0]["tags"]
    if env == "prod":
        assert len(tags) == 2 and tags[1].startswith("prod-20")
        put = next(c["argv"] for c in ci.calls("aws") if c["argv"][1] == "put-image")
        assert json.loads(option(put, "--image-manifest"))["digest"] == NEW.split("@")[1]
    else:
        assert tags == [COMMIT]
        assert not [c for c in ci.calls("aws") if c["argv"][1] == "put-image"]


def test_a_rolled_back_prod_deploy_tags_nothing(ci):
    ci.deployed("prod", OLD)
    ci.world["images"] = [{"digest": NEW.split("@")[1], "tags": [COMMIT]}]
    ci.world["exit"]["smoke"] = 1

    result = ci.run("deploy.sh", "prod", IMAGE=NEW, COMMIT=COMMIT)

    assert result.returncode != 0
    assert ci.world_now()["images"][0]["tags"] == [COMMIT]


def test_outputs_without_a_service_migrate_after_the_update(ci):
    """migrate exits 3 when the service does not exist yet (a stack whose first update
    failed half-way): the update creates it, then the migrations run."""
    ci.deployed("dev", OLD)
    ci.world["exit"]["migrate"] = [3, 0]

    result = ci.run("deploy.sh", "dev", IMAGE=NEW, COMMIT=COMMIT)

    assert result.returncode == 0, result.stderr
    assert ci.steps() == ["migrate", "up", "migrate", "smoke", "inspect"]


def test_a_stack_that_cannot_be_read_stops_the_deploy(ci):
    """Unreadable outputs must not pass for "never deployed": that would skip the
    migrations before the update and the rollback after it."""
    ci.deployed("dev", OLD)
    ci.world["exit"]["output"] = 255

    result = ci.run("deploy.sh", "dev", IMAGE=NEW, COMMIT=COMMIT)

    assert result.returncode != 0
    assert "could not read the stack" in result.stderr
    assert ci.steps() == []


def test_failed_migration_stops_before_the_update(ci):
    ci.deployed("dev", OLD)
    ci.world["exit"]["migrate"] = 1

    result = ci.run("deploy.sh", "dev", IMAGE=NEW, COMMIT=COMMIT)

    assert result.returncode != 0
    assert ci.steps() == ["migrate"]


def test_failure_to_set_the_image_stops_the_deploy(ci):
    """Otherwise `pulumi up` would deploy the committed config, without the new image."""
    ci.deployed("dev", OLD)
    ci.world["exit"]["config"] = 1

    result = ci.run("deploy.sh", "dev", IMAGE=NEW, COMMIT=COMMIT)

    assert result.returncode != 0
    assert "up" not in ci.steps()


@pytest.mark.parametrize(
    ("args", "variables", "message"),
    [
        (["qa"], {"IMAGE": NEW, "COMMIT": COMMIT}, "unknown environment 'qa': use one of dev staging prod"),
        ([], {"IMAGE": NEW, "COMMIT": COMMIT}, "unknown environment ''"),
        (["prod", "--promote-from", "qa"], {}, "unknown environment 'qa'"),
        (["dev"], {"COMMIT": COMMIT}, "IMAGE is not set"),
        (["dev"], {"IMAGE": NEW}, "COMMIT is not set"),
        (["prod", "--promote", "staging"], {}, "unknown option '--promote'"),
    ],
    ids=["unknown-env", "no-env", "unknown-source", "no-image", "no-commit", "unknown-option"],
)
def test_deploy_refuses_bad_arguments(ci, args, variables, message):
    ci.deployed("dev", OLD)
    result = ci.run("deploy.sh", *args, **variables)
    assert result.returncode != 0
    assert message in result.stderr
    assert ci.steps() == []


# --- deploy.sh prod --promote-from staging (gitflow) ------------------------------------


def staged(ci: CI, baked: Baked, tags: list[str]) -> None:
    ci.deployed("staging", STAGED)
    ci.deployed("prod", OLD)
    ci.world["images"] = [
        {"digest": "sha256:" + "1" * 64, "tags": [baked.other_files]},
        {"digest": STAGED.split("@")[1], "tags": tags},
    ]


@pytest.mark.parametrize("refresh", [False, True], ids=["commit-tag", "refresh-tag"])
def test_promotion_deploys_the_image_staging_runs(ci, baked, refresh):
    tag = f"{baked.same_files}-patch-77" if refresh else baked.same_files
    staged(ci, baked, [tag])

    # No IMAGE or COMMIT: both come from staging.
    result = ci.run("deploy.sh", "prod", "--promote-from", "staging")

    assert result.returncode == 0, result.stderr
    lookup = next(c["argv"] for c in ci.calls("aws") if "imageDigest=" in " ".join(c["argv"]))
    assert option(lookup, "--repository-name") == PROJECT
    assert option(lookup, "--image-ids") == "imageDigest=" + STAGED.split("@")[1]
    assert ci.steps() == ["migrate", "up", "smoke", "inspect"]
    (up,) = ci.ups()
    assert option(up["argv"], "--stack") == "prod"
    assert image_in(up["config"]) == STAGED
    assert option(up["argv"], "--message") == f"Deploy {baked.same_files}"
    assert option(ci.calls("uv")[1]["argv"], "--commit") == baked.same_files
    assert ci.read("build/deploy.env").endswith(f"IMAGE={STAGED}\nCOMMIT={baked.same_files}\n")


def test_promotion_refuses_an_image_built_from_other_files(ci, baked):
    staged(ci, baked, [baked.other_files])

    result = ci.run("deploy.sh", "prod", "--promote-from", "staging", IMAGE=NEW, COMMIT=COMMIT)

    assert result.returncode != 0
    assert f"differ from what staging runs ({baked.other_files})" in result.stderr
    assert "Deploy them to staging first" in result.stderr
    assert ci.steps() == []


@pytest.mark.parametrize(
    ("staging_image", "tags", "message"),
    [
        (None, [], "staging runs no image built by the pipeline yet"),
        (f"{PROJECT}:local", [], "staging runs no image built by the pipeline yet"),
        (STAGED, ["latest"], "cannot tell which commit"),
        (STAGED, [], "cannot tell which commit"),
        (STAGED, ["f" * 40], "is not in this clone"),
    ],
    ids=["never-deployed", "local-image", "no-commit-tag", "untagged", "unknown-commit"],
)
def test_promotion_refuses_what_it_cannot_trace(ci, baked, staging_image, tags, message):
    staged(ci, baked, tags)
    if staging_image is None:
        del ci.world["outputs"]["staging"]
    else:
        ci.deployed("staging", staging_image)

    result = ci.run("deploy.sh", "prod", "--promote-from", "staging", IMAGE=NEW, COMMIT=COMMIT)

    assert result.returncode != 0
    assert message in result.stderr
    assert ci.steps() == []


# --- build-image.sh ---------------------------------------------------------------------

PUSH = {"COMMIT_SHA": COMMIT, "IMAGE_REPOSITORY": REPOSITORY}


def test_build_reuses_an_image_already_in_the_registry(ci):
    ci.world["images"] = [{"digest": "sha256:" + "5" * 64, "tags": [COMMIT]}]

    result = ci.run("build-image.sh", "--push", **PUSH)

    assert result.returncode == 0, result.stderr
    assert ci.calls("docker") == []
    (lookup,) = ci.calls("aws")
    assert option(lookup["argv"], "--repository-name") == PROJECT
    assert option(lookup["argv"], "--image-ids") == f"imageTag={COMMIT}"
    assert option(lookup["argv"], "--region") == REGION
    assert ci.read("build/image.env") == f"IMAGE={REPOSITORY}@sha256:{'5' * 64}\nCOMMIT={COMMIT}\n"


def test_build_scans_before_pushing_and_records_the_digest(ci):
    result = ci.run("build-image.sh", "--push", **PUSH)

    assert result.returncode == 0, result.stderr
    assert ci.steps() == ["docker build", "docker run", "docker login", "docker push"]
    build, scan, login, push = (c["argv"] for c in ci.calls("docker"))
    assert option(build, "--file") == str(ci.project / "app/Dockerfile")
    assert option(build, "--tag") == f"{REPOSITORY}:{COMMIT}"
    assert f"GIT_SHA={COMMIT}" in build
    assert build[-1] == str(ci.project)
    assert "--no-cache" not in build
    assert scan[0] == "run"
    assert any(arg.startswith("aquasec/trivy:") for arg in scan)  # the pinned scanner
    assert "image" in scan
    assert scan[-1] == f"{REPOSITORY}:{COMMIT}"
    assert option(scan, "--exit-code") == "1"
    assert login[-1] == REPOSITORY.split("/")[0]
    assert ci.calls("docker")[2]["stdin"].strip() == "fake-password"
    assert push == ["push", f"{REPOSITORY}:{COMMIT}"]
    assert ci.read("build/image.env") == f"IMAGE={REPOSITORY}@sha256:{'9' * 64}\nCOMMIT={COMMIT}\n"


def test_build_without_push_scans_a_local_image(ci):
    result = ci.run("build-image.sh", COMMIT_SHA=COMMIT)

    assert result.returncode == 0, result.stderr
    assert ci.steps() == ["docker build", "docker run"]
    assert ci.calls("aws") == []
    assert ci.read("build/image.env") == f"IMAGE=app:{COMMIT}\nCOMMIT={COMMIT}\n"


def test_a_failed_scan_pushes_nothing(ci):
    ci.world["exit"]["scan"] = 1

    result = ci.run("build-image.sh", "--push", **PUSH)

    assert result.returncode != 0
    assert ci.steps() == ["docker build", "docker run"]
    assert not (ci.project / "build/image.env").exists()


def test_refresh_build_pulls_the_base_image_without_cache(ci):
    tag = f"{COMMIT}-patch-4242"
    # The commit's own image is in the registry: a refresh builds anyway, under its own tag.
    ci.world["images"] = [{"digest": "sha256:" + "5" * 64, "tags": [COMMIT]}]

    result = ci.run("build-image.sh", "--push", "--refresh", RUN_ID="4242", **PUSH)

    assert result.returncode == 0, result.stderr
    build = ci.calls("docker")[0]["argv"]
    assert "--pull" in build
    assert "--no-cache" in build
    assert option(build, "--tag") == f"{REPOSITORY}:{tag}"
    assert f"GIT_SHA={COMMIT}" in build
    assert ci.calls("docker")[-1]["argv"] == ["push", f"{REPOSITORY}:{tag}"]
    assert option(ci.calls("aws")[0]["argv"], "--image-ids") == f"imageTag={tag}"
    assert ci.read("build/image.env") == f"IMAGE={REPOSITORY}@sha256:{'9' * 64}\nCOMMIT={COMMIT}\n"


@pytest.mark.parametrize(
    ("args", "variables", "message"),
    [
        ([], {}, "COMMIT_SHA is not set"),
        (["--push"], {"COMMIT_SHA": COMMIT}, "IMAGE_REPOSITORY is not set"),
        (["--refresh"], {"COMMIT_SHA": COMMIT}, "RUN_ID is not set"),
        (["--publish"], {"COMMIT_SHA": COMMIT}, "unknown option '--publish'"),
    ],
    ids=["no-commit", "no-repository", "no-run-id", "unknown-option"],
)
def test_build_refuses_missing_settings(ci, args, variables, message):
    result = ci.run("build-image.sh", *args, **variables)
    assert result.returncode != 0
    assert message in result.stderr
    assert ci.calls("docker") == []


# --- preview.sh -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [0, 255])
def test_preview_json_is_kept_with_pulumis_exit_code(ci, status):
    ci.deployed("staging", OLD)
    ci.world["exit"]["preview"] = status
    committed = ci.read("infra/Pulumi.staging.yaml")

    result = ci.run("preview.sh", "staging", "--json", "build/preview/staging.json")

    assert result.returncode == status
    assert json.loads(ci.read("build/preview/staging.json")) == json.loads(ci.world["preview_json"])
    assert ci.read("build/preview/staging.exitcode") == f"{status}\n"  # for the summary
    preview = ci.calls("pulumi")[-1]
    argv = preview["argv"]
    assert argv[0] == "preview"
    assert "--json" in argv
    assert "--refresh" not in argv
    assert option(argv, "--stack") == "staging"
    assert option(argv, "--policy-pack") == str(ci.project / "infra/policy")
    # Only infrastructure changes show: the image stays the one staging runs.
    assert image_in(preview["config"]) == OLD
    assert ci.read("infra/Pulumi.staging.yaml") == committed


@pytest.mark.parametrize("status", [0, 255])
def test_drift_detection_compares_aws_with_the_last_deploy(ci, status):
    """A refresh preview: code-independent (each environment against its own last
    deploy, whatever branch the schedule runs on), read-only, failing on any change."""
    ci.deployed("prod", OLD)
    ci.world["exit"]["refresh"] = status

    result = ci.run("preview.sh", "prod", "--drift")

    assert result.returncode == status
    assert ci.steps() == ["refresh"]
    argv = ci.calls("pulumi")[-1]["argv"]
    assert argv[0] == "refresh"
    assert {"--preview-only", "--expect-no-changes"} <= set(argv)
    assert option(argv, "--stack") == "prod"
    assert "--config-file" not in argv and "--yes" not in argv


def test_preview_of_a_never_deployed_environment_sets_no_image(ci):
    result = ci.run("preview.sh", "dev")

    assert result.returncode == 0, result.stderr
    assert "--diff" in ci.calls("pulumi")[-1]["argv"]
    assert not [c for c in ci.calls("pulumi") if c["argv"][:2] == ["config", "set"]]
    assert image_in(ci.calls("pulumi")[-1]["config"]) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["qa"], "unknown environment 'qa': use one of dev staging prod"),
        (["dev", "--yaml"], "unknown option '--yaml'"),
        (["dev", "--json"], "--json needs a file name"),
    ],
    ids=["unknown-env", "unknown-option", "no-file"],
)
def test_preview_refuses_bad_arguments(ci, args, message):
    result = ci.run("preview.sh", *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "preview" not in ci.steps()


# --- stack-config.sh (make deploy) ------------------------------------------------------


def test_stack_config_prints_only_the_path_of_the_copy(ci):
    ci.deployed("dev", OLD)

    explicit = ci.run("stack-config.sh", "dev", NEW)
    assert explicit.returncode == 0, explicit.stderr
    copy = ci.project / "build/stack-config/Pulumi.dev.yaml"
    assert explicit.stdout == f"{copy}\n"
    assert image_in(copy.read_text()) == NEW

    current = ci.run("stack-config.sh", "dev")
    assert current.stdout == f"{copy}\n"
    assert image_in(copy.read_text()) == OLD


# --- Pulumi Cloud: fully qualified stack names ------------------------------------------


def test_pulumi_org_qualifies_every_stack_name(baked, tmp_path):
    ci = fresh_ci(baked, tmp_path, org="acme")
    ci.deployed("dev", OLD)

    deploy = ci.run("deploy.sh", "dev", IMAGE=NEW, COMMIT=COMMIT)
    preview = ci.run("preview.sh", "dev", "--drift")

    assert deploy.returncode == 0, deploy.stderr
    assert preview.returncode == 0, preview.stderr
    # Found the outputs under the qualified name: migrations ran before the update.
    assert ci.steps() == ["migrate", "up", "smoke", "inspect", "refresh"]
    stacks = {option(c["argv"], "--stack") for c in ci.calls("pulumi")}
    assert stacks == {f"acme/{PROJECT}/dev"}
    assert f"name: {PROJECT}\n" in ci.read("infra/Pulumi.yaml")


# --- install-pulumi.sh ------------------------------------------------------------------


def pulumi_release(tmp_path: Path, version: str, checksum: str | None = None) -> dict[str, str]:
    """Downloads of a fake Pulumi release: the archive and its checksums file."""
    archive = f"pulumi-v{version}-linux-x64.tar.gz"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        cli = f"#!/bin/sh\necho v{version}\n".encode()
        info = tarfile.TarInfo("pulumi/pulumi")
        info.size, info.mode = len(cli), 0o755
        tar.addfile(info, io.BytesIO(cli))
    (tmp_path / archive).write_bytes(buffer.getvalue())
    checksum = checksum or hashlib.sha256(buffer.getvalue()).hexdigest()
    checksums = tmp_path / "checksums.txt"
    checksums.write_text(f"{'0' * 64}  pulumi-v{version}-darwin-arm64.tar.gz\n{checksum}  {archive}\n")
    return {
        f"https://get.pulumi.com/releases/sdk/{archive}": str(tmp_path / archive),
        f"https://github.com/pulumi/pulumi/releases/download/v{version}/pulumi-{version}-checksums.txt": str(
            checksums
        ),
    }


def test_install_pulumi_checks_the_download(ci, tmp_path):
    ci.world["downloads"] = pulumi_release(tmp_path, "3.999.0")

    result = ci.run("install-pulumi.sh", "3.999.0", HOME=str(tmp_path / "home"))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("v3.999.0")
    assert os.access(tmp_path / "home/.pulumi/bin/pulumi", os.X_OK)
    assert [c["argv"][-1] for c in ci.calls("curl")] == list(ci.world["downloads"])


def test_install_pulumi_refuses_a_download_that_does_not_match(ci, tmp_path):
    ci.world["downloads"] = pulumi_release(tmp_path, "3.999.0", checksum="0" * 64)

    result = ci.run("install-pulumi.sh", "3.999.0", HOME=str(tmp_path / "home"))

    assert result.returncode != 0
    assert not (tmp_path / "home/.pulumi/bin/pulumi").exists()


# --- Both providers ---------------------------------------------------------------------


def test_both_providers_get_the_scripts_unrendered(baked, tmp_path_factory):
    gitlab = bake(tmp_path_factory.mktemp("ci-gitlab"), ci_provider="gitlab")
    template = TEMPLATE / "{{cookiecutter.project_slug}}" / "ci"
    names = sorted(p.name for p in template.glob("*.sh"))
    assert names == sorted(p.name for p in (baked.path / "ci").glob("*.sh"))
    for name in names:
        assert (gitlab / "ci" / name).read_bytes() == (template / name).read_bytes(), name
        assert (baked.path / "ci" / name).read_bytes() == (template / name).read_bytes(), name
