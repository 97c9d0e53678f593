"""The synthesized model is complete, linked and repeatable."""

from __future__ import annotations

import synth
from synth import synthesize, to_json


def test_same_program_same_bytes():
    assert to_json(synthesize("staging")) == to_json(synthesize("staging"))


def test_resources_are_parented_to_their_component(prod):
    components = {r["urn"] for r in prod.resources if r["type"].startswith("epa:")}
    assert len(components) == 6
    vpc = prod.one("aws:ec2/vpc:Vpc")
    assert vpc["parent"].endswith("epa:network:Network::network")
    assert vpc["parent"] in components


def test_dependencies_are_recorded(prod):
    service = prod.one("aws:ecs/service:Service")
    assert any(
        urn.endswith("aws:ecs/taskDefinition:TaskDefinition::app-task")
        for urn in service["dependencies"]
    )


def test_command_line_writes_the_model(tmp_path, capsys):
    output = tmp_path / "dev.json"
    assert synth.main(["dev", "--output", str(output)]) == 0
    assert '"stack": "dev"' in output.read_text()
    assert "resources ->" in capsys.readouterr().err
