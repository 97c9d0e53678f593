"""The synthesized model: what a stack would deploy, recorded offline (think `cdk synth`).

Runs the real program (stack.build, the same code `pulumi up` runs) for one stack with
the stack's own Pulumi.<stack>.yaml, under Pulumi's mocks instead of AWS, and records
every resource (type, logical name, former names, inputs, parent and dependencies) and
the stack's outputs. Tests, policy rules, the architecture diagram and the environment
docs all read this one model.

    python -m synth prod                      # JSON on stdout
    python -m synth prod --output build/synth/prod.json
"""

from __future__ import annotations

import argparse
import contextvars
import json
import sys
from pathlib import Path
from typing import Any

import pulumi
import yaml
from project_facts import load as load_facts
from pulumi.runtime import mocks, rpc
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from environment_profile import load_profile
from stack import build

INFRA_DIR = Path(__file__).resolve().parent
ACCOUNT = "123456789012"  # AWS's documentation account: clearly not a real one
SECRET_SIG = rpc._special_sig_key  # marks a secret value on the wire
SECRET_MARKERS = {rpc._special_secret_sig}


def project_name() -> str:
    return yaml.safe_load((INFRA_DIR / "Pulumi.yaml").read_text())["name"]


def stack_names() -> list[str]:
    return sorted(p.name.split(".")[1] for p in INFRA_DIR.glob("Pulumi.*.yaml"))


def stack_config(stack: str) -> dict[str, str]:
    """The stack's config as the CLI passes it to the program (namespaced keys)."""
    data = yaml.safe_load((INFRA_DIR / f"Pulumi.{stack}.yaml").read_text()) or {}
    return {key: str(value) for key, value in (data.get("config") or {}).items()}


class FakeAws(mocks.Mocks):
    """Answers the program's calls with plausible, deterministic values."""

    def __init__(self, region: str) -> None:
        self.region = region

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        name, typ = args.name, args.typ
        service = typ.split(":")[1].split("/")[0] if typ.startswith("aws:") else "x"
        arn = f"arn:aws:{service}:{self.region}:{ACCOUNT}:{typ.split(':')[-1].lower()}/{name}"
        if typ == "aws:secretsmanager/secret:Secret":  # secret:NAME-<6 random characters>
            arn = f"arn:aws:secretsmanager:{self.region}:{ACCOUNT}:secret:{name}-AbCdEf"
        state: dict[str, Any] = {
            **args.inputs,
            "arn": arn,
            "name": args.inputs.get("name", name),
            "arnSuffix": f"app/{name}/0123456789abcdef",
            "dnsName": f"{name}.{self.region}.example.internal",
            "domainName": args.inputs.get("domainName", f"{name}.example.internal"),
            "address": f"{name}.example.internal",
            "port": args.inputs.get("port", 5432),
            "keyId": f"key-{name}",
            "bucket": args.inputs.get("bucket", name),
            "bucketDomainName": f"{args.inputs.get('bucket', name)}.s3.amazonaws.com",
            "identifier": args.inputs.get("identifier", name),
            "family": args.inputs.get("family", name),
            "result": f"generated-{name}",
            "masterUserSecrets": [
                {"secretArn": f"arn:aws:secretsmanager:{self.region}:{ACCOUNT}:secret:rds!{name}"}
            ],
        }
        if typ == "aws:acm/certificate:Certificate":
            state["domainValidationOptions"] = [
                {
                    "domainName": args.inputs["domainName"],
                    "resourceRecordName": f"_acme.{args.inputs['domainName']}.",
                    "resourceRecordType": "CNAME",
                    "resourceRecordValue": "_validation.acm-validations.aws.",
                }
            ]
        return f"{name}-id", state

    def call(self, args: mocks.MockCallArgs) -> dict[str, Any]:
        function = args.token
        if function == "aws:index/getAvailabilityZones:getAvailabilityZones":
            return {"names": [f"{self.region}{zone}" for zone in "abcd"], "zoneIds": []}
        if function == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region}
        if function == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/ci", "userId": "ci"}
        if function == "aws:ec2/getManagedPrefixList:getManagedPrefixList":
            return {"id": "pl-cloudfront", "name": args.args.get("name")}
        if function == "aws:iam/getPolicyDocument:getPolicyDocument":
            return {"json": json.dumps(policy_document(args.args), sort_keys=True)}
        if function == "aws:ecr/getRepository:getRepository":
            # The registry the bootstrap creates, named after the project.
            name = args.args["name"]
            return {
                "name": name,
                "arn": f"arn:aws:ecr:{self.region}:{ACCOUNT}:repository/{name}",
                "registryId": ACCOUNT,
                "repositoryUrl": f"{ACCOUNT}.dkr.ecr.{self.region}.amazonaws.com/{name}",
            }
        return {}


def policy_document(args: dict[str, Any]) -> dict[str, Any]:
    """Render getPolicyDocument's arguments as the IAM JSON AWS would return."""
    statements = []
    for statement in args.get("statements", []):
        rendered: dict[str, Any] = {"Effect": statement.get("effect", "Allow")}
        if statement.get("sid"):
            rendered["Sid"] = statement["sid"]
        if statement.get("actions"):
            rendered["Action"] = statement["actions"]
        if statement.get("resources"):
            rendered["Resource"] = statement["resources"]
        for principal in statement.get("principals", []):
            rendered.setdefault("Principal", {})[principal["type"]] = principal["identifiers"]
        for condition in statement.get("conditions", []):
            rendered.setdefault("Condition", {}).setdefault(condition["test"], {})[
                condition["variable"]
            ] = condition["values"]
        statements.append(rendered)
    return {"Version": "2012-10-17", "Statement": statements}


class RecordingMonitor(mocks.MockMonitor):
    """The mock engine, also noting each resource's parent and dependencies."""

    def __init__(self, fake: mocks.Mocks) -> None:
        super().__init__(fake)
        self.recorded: list[dict[str, Any]] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.recorded.append(
                {
                    "urn": response.urn,
                    "type": request.type,
                    "name": request.name,
                    "custom": bool(request.custom),
                    "inputs": plain(rpc.deserialize_properties(request.object, keep_unknowns=True)),
                    "parent": request.parent or None,
                    "dependencies": sorted(set(request.dependencies)),
                    # "<provider urn>::<provider id>" -> the provider's URN
                    "provider": request.provider.rsplit("::", 1)[0] if request.provider else None,
                    # Former names: a stack deployed under one keeps the resource.
                    "aliases": sorted(a.spec.name for a in request.aliases if a.spec.name),
                }
            )
        return response


def plain(value: Any) -> Any:
    """JSON-friendly inputs: secrets and unknowns become stable placeholders."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) in SECRET_MARKERS:
            return "[secret]"
        return {key: plain(item) for key, item in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # numbers cross the wire as floats; 2.0 tasks reads oddly
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return "[unknown]"


def record(project: str, stack: str, config: dict[str, str], program) -> list[dict[str, Any]]:
    """Run `program` under mocks as `project`/`stack` with `config`; return its resources.
    Call it inside a fresh context (see synthesize): Pulumi keeps its state in context
    variables."""
    monitor = RecordingMonitor(FakeAws(config.get("aws:region", "eu-west-2")))
    mocks.set_mocks(monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(config)
    _sync_await(run_pulumi_func(program))
    return sorted(monitor.recorded, key=lambda r: r["urn"])


def _run(stack: str, image: str | None, overrides: dict[str, str]) -> dict[str, Any]:
    project = project_name()
    config = stack_config(stack) | {f"{project}:{key}": value for key, value in overrides.items()}
    region = config["aws:region"]
    outputs: dict[str, Any] = {}

    def program() -> None:
        facts = load_facts()
        declared = build(
            profile=load_profile(pulumi.Config(), facts.tier_of(stack)),
            project=project,
            environment=stack,
            region=region,
            image=image or config.get(f"{project}:image"),
            business_metric=facts.require_business_metric(),
        )
        # What `pulumi stack output` would show (the pipeline reads some of them).
        pulumi.Output.from_input(declared).apply(lambda values: outputs.update(plain(values)))

    resources = record(project, stack, config, program)
    return {
        "project": project,
        "stack": stack,
        "region": region,
        "resources": resources,
        "outputs": outputs,
    }


def synthesize(
    stack: str, image: str | None = None, overrides: dict[str, str] | None = None
) -> dict[str, Any]:
    """The model of one stack, optionally with config overrides (as `pulumi config set`
    would make). Each run gets a fresh Pulumi runtime (its state lives in context
    variables), so several stacks can be synthesized in one process."""
    return contextvars.Context().run(_run, stack, image, overrides or {})


def to_json(model: dict[str, Any]) -> str:
    return json.dumps(model, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synth", description=__doc__.splitlines()[0])
    parser.add_argument("stack", choices=stack_names())
    parser.add_argument("--output", type=Path, help="write the JSON model here")
    args = parser.parse_args(argv)
    text = to_json(synthesize(args.stack))
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
        count = len(json.loads(text)["resources"])
        print(f"{args.stack}: {count} resources -> {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
