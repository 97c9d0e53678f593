"""Deleting the project's stacks: in which order, and what each destroy deletes and keeps.

The environments do not use each other (tests/test_teardown.py checks their models), but
every one runs images from the bootstrap's registry and deploys with its roles (and, with
the s3 backend, keeps its state in the bootstrap's bucket, encrypted with its key). So the
environments go first, the last promoted first (the reverse of how they came up, and prod's
cost stops soonest), and the bootstrap last.

    python -m teardown order          # make teardown: the whole sequence
    python -m teardown explain prod   # make destroy ENV=prod, before it asks: exit 2 if protected
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from project_facts import load as load_facts

BOOTSTRAP = "bootstrap"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
DATABASE = "aws:rds/instance:Instance"
USER_POOL = "aws:cognito/userPool:UserPool"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")


def destroy_order(environments: Sequence[str]) -> list[str]:
    """The environments (project.yaml's promotion order) last promoted first, then the bootstrap."""
    return [*reversed(environments), BOOTSTRAP]


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def reads_from(model: dict, registry: str) -> set[str]:
    """The other stacks a stack's model uses: the bootstrap when it runs an image from its
    registry (named `registry`), and any stack it reads by a StackReference."""
    used = {
        str(r["inputs"].get("name", r["name"]))
        for r in model["resources"]
        if r["type"] == STACK_REFERENCE
    }
    if any(
        ".dkr.ecr." in text and f"/{registry}" in text
        for r in model["resources"]
        for text in strings(r["inputs"])
    ):
        used.add(BOOTSTRAP)
    return used


def order_problems(order: Sequence[str], reads: dict[str, set[str]]) -> list[str]:
    """Each stack that `order` destroys after a stack that still reads it."""
    position = {stack: index for index, stack in enumerate(order)}
    return [
        f"{stack} reads {used}, so {used} must be destroyed after it"
        for stack, used_stacks in reads.items()
        for used in sorted(used_stacks)
        if position[used] < position[stack]
    ]


def protections(model: dict) -> list[str]:
    """What in the stack AWS refuses to delete (deletion protection on), as config keys."""
    found = []
    if any(
        r["inputs"].get("deletionProtection") for r in model["resources"] if r["type"] == DATABASE
    ):
        found.append("dbDeletionProtection (the database)")
    if any(
        r["inputs"].get("enableDeletionProtection")
        for r in model["resources"]
        if r["type"] in LOAD_BALANCERS
    ):
        found.append("albDeletionProtection (the load balancer)")
    if any(
        r["inputs"].get("deletionProtection") == "ACTIVE"
        for r in model["resources"]
        if r["type"] == USER_POOL
    ):
        found.append("dbDeletionProtection (the user pool: its users are data like the database)")
    return found


def explain(model: dict) -> str:
    """What `pulumi destroy` of this stack deletes and keeps, and what stops it."""
    stack = model["stack"]
    deleted = [r for r in model["resources"] if r["custom"] and not r["type"].startswith("pulumi:")]
    lines = [
        f"make destroy ENV={stack} deletes the {len(deleted)} resources of stack {stack}, including:"
    ]
    for db in (r["inputs"] for r in deleted if r["type"] == DATABASE):
        if db.get("skipFinalSnapshot"):
            lines.append(f"  - database {db.get('identifier')} and its data: no final snapshot")
        else:
            lines.append(
                f"  - database {db.get('identifier')}: RDS first takes a final snapshot, "
                f"{db.get('finalSnapshotIdentifier')}, which is kept"
            )
    if any(r["type"] == USER_POOL for r in deleted):
        lines.append("  - the user pool, with every user and their sign-in settings")
    logs = [r for r in deleted if r["type"] == "aws:cloudwatch/logGroup:LogGroup"]
    lines.append(f"  - {len(logs)} log groups, with their logs")
    keys = [r["inputs"] for r in deleted if r["type"] == "aws:kms/key:Key"]
    if keys:
        days = min(k.get("deletionWindowInDays", 30) for k in keys)
        lines.append(
            f"  - {len(keys)} KMS keys, scheduled for deletion in {days} days (until then "
            "`aws kms cancel-key-deletion` brings one back; without its key, what it "
            "encrypted, a final snapshot too, can never be read)"
        )
    lines += [
        "It keeps the bootstrap's image registry and state (the other environments use them;",
        "`make teardown` lists the whole sequence, the bootstrap last).",
    ]
    protected = protections(model)
    if protected:
        tier = load_facts().tier_of(stack)
        database = next(
            (r["inputs"].get("identifier") for r in deleted if r["type"] == DATABASE), "<database>"
        )
        lines += [
            "",
            f"{stack} is protected from deletion: " + "; ".join(protected) + ".",
            "AWS refuses those deletions, and Pulumi stops part way: half an environment.",
            "To lift the protection on purpose:",
            f"  1. project.yaml, tiers.{tier}: db_deletion_protection: false and "
            "alb_deletion_protection: false",
            f"     (the {tier} tier guarantees them: the stack config alone cannot go below);",
            f"  2. cd infra && pulumi config set dbDeletionProtection false --stack {stack} && "
            f"pulumi config set albDeletionProtection false --stack {stack}",
            f"     (the destroy snapshots {database} first where the profile keeps a final",
            "     snapshot, dbFinalSnapshot: prod's does; see the list above);",
            f"  3. make deploy ENV={stack}   (Pulumi shows the protection going, and asks);",
            f"  4. make destroy ENV={stack}",
        ]
    return "\n".join(lines)


def teardown_plan(environments: Sequence[str]) -> str:
    steps = [
        f"make destroy ENV={stack}"
        if stack != BOOTSTRAP
        else "the bootstrap: cd infra/bootstrap, then `pulumi config set emptyOnDestroy true`, "
        "`pulumi up` (lets destroy empty the registry and state bucket), `pulumi destroy`"
        for stack in destroy_order(environments)
    ]
    return "\n".join(
        [
            "Delete the project in this order: environments last promoted first, the bootstrap",
            "last (every environment runs its images and deploys with its roles).",
            *(f"  {number}. {step}" for number, step in enumerate(steps, start=1)),
            'README.md, "When the EPA is over": what remains and how to check nothing is left.',
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m teardown", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("order", help="the order to delete every stack in")
    explain_parser = commands.add_parser(
        "explain", help="what destroying a stack deletes and keeps"
    )
    explain_parser.add_argument("stack", choices=load_facts().names)
    args = parser.parse_args(argv)
    if args.command == "order":
        print(teardown_plan(load_facts().names))
        return 0
    from synth import synthesize  # the program under mocks: only `explain` needs it

    model = synthesize(args.stack)
    print(explain(model))
    return 2 if protections(model) else 0


if __name__ == "__main__":
    sys.exit(main())
