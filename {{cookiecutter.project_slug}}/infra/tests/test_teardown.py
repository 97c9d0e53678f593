"""Tearing the project down: the order the stacks' models allow, and what a destroy says."""

from __future__ import annotations

import copy

from teardown import (
    BOOTSTRAP,
    DATABASE,
    destroy_order,
    explain,
    main,
    order_problems,
    protections,
    reads_from,
)
from tests.conftest import facts, model_of
from tests.test_bootstrap import (
    REPOSITORY,
    bootstrap,  # noqa: F401 (the fixture)
)


def test_environments_go_last_promoted_first_and_the_bootstrap_last():
    environments = facts().names  # project.yaml, in promotion order
    assert destroy_order(environments) == [*reversed(environments), BOOTSTRAP]


def test_no_stack_is_destroyed_before_a_stack_that_reads_it(bootstrap):  # noqa: F811
    resources, _ = bootstrap()
    [registry] = [r["inputs"]["name"] for r in resources if r["type"] == REPOSITORY]
    reads = {env: reads_from(model_of(env), registry) for env in facts().names}
    # Each environment runs images from the bootstrap's registry, and uses no other stack.
    assert reads == {env: {BOOTSTRAP} for env in facts().names}
    assert order_problems(destroy_order(facts().names), reads) == []


def test_a_stack_reference_between_environments_would_break_the_order():
    prod = copy.deepcopy(model_of("prod"))
    prod["resources"].append(
        {"type": "pulumi:pulumi:StackReference", "name": "dev", "inputs": {"name": "dev"}}
    )
    reads = {"prod": reads_from(prod, "no-registry"), "dev": set()}
    assert reads["prod"] == {"dev"}
    assert order_problems(["dev", "prod", BOOTSTRAP], reads) == [
        "prod reads dev, so dev must be destroyed after it"
    ]


def test_prods_destroy_names_its_protections_and_how_to_lift_them():
    text = explain(model_of("prod"))
    [database] = [r["inputs"] for r in model_of("prod")["resources"] if r["type"] == DATABASE]
    assert f"a final snapshot, {database['finalSnapshotIdentifier']}, which is kept" in text
    for key in ("dbDeletionProtection (the database)", "albDeletionProtection"):
        assert key in text
    assert "the user pool" in text
    assert "tiers.prod: db_deletion_protection: false" in text
    assert "pulumi config set dbDeletionProtection false --stack prod" in text
    assert text.index("3. make deploy ENV=prod") < text.index("4. make destroy ENV=prod")


def test_dev_is_not_protected_and_keeps_no_snapshot():
    text = explain(model_of("dev"))
    assert protections(model_of("dev")) == []
    assert "and its data: no final snapshot" in text
    assert "protected" not in text


def test_lifting_the_protections_in_the_model_lets_the_destroy_go_ahead():
    prod = copy.deepcopy(model_of("prod"))
    for resource in prod["resources"]:
        inputs = resource["inputs"]
        if "deletionProtection" in inputs:
            protected = inputs["deletionProtection"]
            inputs["deletionProtection"] = False if protected is True else "INACTIVE"
        if "enableDeletionProtection" in inputs:
            inputs["enableDeletionProtection"] = False
    assert protections(prod) == []


def test_make_destroy_stops_before_asking_while_the_stack_is_protected(capsys, monkeypatch):
    monkeypatch.setattr("synth.synthesize", model_of)  # the session's models: no new synthesis
    assert main(["explain", "prod"]) == 2
    assert "prod is protected from deletion" in capsys.readouterr().out
    assert main(["explain", "dev"]) == 0


def test_make_teardown_prints_every_stack_in_order(capsys):
    assert main(["order"]) == 0
    out = capsys.readouterr().out
    steps = [f"make destroy ENV={env}" for env in reversed(facts().names)]
    positions = [out.index(step) for step in steps] + [out.index("emptyOnDestroy true")]
    assert positions == sorted(positions)
