"""The synthesized model is complete, linked and repeatable."""

from __future__ import annotations

import synth
from synth import synthesize, to_json
from tests.conftest import model_of


def test_same_program_same_bytes():
    # Two runs of the program: this one and the session's (which other tests have read).
    assert to_json(synthesize("staging")) == to_json(model_of("staging"))


def test_resources_are_parented_to_their_component(prod):
    components = {r["urn"] for r in prod.resources if r["type"].startswith("epa:")}
    assert len(components) == 8  # with the logs' key and the failure drills (prod has both)
    vpc = prod.one("aws:ec2/vpc:Vpc")
    assert vpc["parent"].endswith("epa:network:Network::network")
    assert vpc["parent"] in components


def test_resources_are_named_after_their_component(model):
    components = {r["urn"]: r["name"] for r in model.resources if r["type"].startswith("epa:")}
    # "logs" (the logs' key) only where the profile encrypts logs, "drills" where it has
    # failure drills: see test_stacks.py.
    assert sorted(set(components.values()) - {"logs", "drills"}) == [
        "database", "edge", "identity", "network", "observability", "service"
    ]  # fmt: skip
    children = [r for r in model.resources if r["parent"] in components]
    assert children
    for child in children:
        assert child["name"].startswith(components[child["parent"]] + "-"), child["urn"]


def test_stacks_deployed_before_the_rename_keep_their_resources(model):
    """Pulumi finds a resource in a stack's state by its URN or by an alias. A component's
    alias also covers its children whose names start with the component's name (above)."""
    renamed = {"service": ["app"], "observability": ["monitoring"]}
    for resource in model.resources:
        if resource["type"].startswith("epa:"):
            assert resource["aliases"] == renamed.get(resource["name"], []), resource["name"]
    rule = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
    [for_tasks] = [r for r in model.of_type(rule) if r["name"] == "database-from-service"]
    assert for_tasks["aliases"] == ["database-from-app"]


def test_dependencies_are_recorded(prod):
    service = prod.one("aws:ecs/service:Service")
    assert any(
        urn.endswith("aws:ecs/taskDefinition:TaskDefinition::service-task")
        for urn in service["dependencies"]
    )


def test_command_line_writes_the_model(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(synth, "synthesize", model_of)  # the session's model of the stack
    output = tmp_path / "dev.json"
    assert synth.main(["dev", "--output", str(output)]) == 0
    assert '"stack": "dev"' in output.read_text()
    assert "resources ->" in capsys.readouterr().err
