"""Every report says which toolkit ran, as whom, where and when; the Markdown, HTML, JUnit
and console reports carry the SHA-256 of the JSON report's exact bytes, so an assessor can
tell their own run from a report handed in. The command runs in-process here, on an
inventory instead of AWS (test_toolkit_install.py runs it installed, against moto)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from epa_toolkit import cli as toolkit
from epa_toolkit.inspection import cli, report
from epa_toolkit.inspection import collect as collection
from epa_toolkit.inspection.collect import Collected
from epa_toolkit.inspection.inventory import Scope
from epa_toolkit.inspection.model import TEMPLATE_FACTS, facts_file
from project_facts import load as load_facts
from project_facts import project_root
from tests.test_inspection_checks import healthy_prod

ARN = "arn:aws:sts::123456789012:assumed-role/assessor/someone"


@pytest.fixture
def inspected(monkeypatch):
    scope = Scope("123456789012", "eu-west-2", "desk", "prod", "prod", caller=ARN)
    monkeypatch.setattr(
        cli, "collect", lambda session, project, environment: Collected(scope, healthy_prod())
    )


def run_cli(folder: Path, formats: str = "console,json,markdown,junit,html") -> int:
    return cli.main(["--project", "desk", "--environment", "prod", "--region", "eu-west-2",
                     "--format", formats, "--output", str(folder), "--exit-zero"])  # fmt: skip


def test_every_report_records_its_provenance(inspected, tmp_path, capsys):
    assert run_cli(tmp_path) == 0
    console = capsys.readouterr().out
    document = json.loads((tmp_path / "prod.json").read_text())
    run = document["run"]
    assert run["toolkit"] == {"name": "epa-toolkit", "version": toolkit.version().split()[0],
                              "commit": toolkit.commit() or "unknown"}  # fmt: skip
    assert run["caller"] == {"account": "123456789012", "arn": ARN}
    assert run["region"] == "eu-west-2" and run["started"] <= run["finished"]
    schema = json.loads((Path(report.__file__).parent / "report-schema.json").read_text())
    jsonschema.validate(document, schema)
    for field in ("toolkit", "caller"):
        with pytest.raises(jsonschema.ValidationError, match=field):
            jsonschema.validate({**document, "run": {k: v for k, v in run.items() if k != field}}, schema)
    commit = run["toolkit"]["commit"]
    for text in (console, *((tmp_path / f"prod.{suffix}").read_text() for suffix in ("md", "html", "xml"))):
        assert all(fact in text for fact in (commit, ARN, "eu-west-2", run["started"], run["finished"]))
    properties = ET.fromstring((tmp_path / "prod.xml").read_text()).find("properties")
    recorded = {p.get("name"): p.get("value") for p in properties}
    assert recorded["toolkit.version"] == run["toolkit"]["version"] and recorded["caller.arn"] == ARN


def test_the_json_reports_hash_is_in_the_others_and_a_changed_byte_breaks_it(inspected, tmp_path):
    assert run_cli(tmp_path) == 0
    written = (tmp_path / "prod.json").read_bytes()
    digest = hashlib.sha256(written).hexdigest()  # what `sha256sum prod.json` prints
    markdown, page = (tmp_path / "prod.md").read_text(), (tmp_path / "prod.html").read_text()
    assert f"- JSON report SHA-256: `{digest}`" in markdown
    assert digest in page and digest in (tmp_path / "prod.xml").read_text()
    changed = bytearray(written)
    changed[written.index(b'"PASS"') + 1] = ord("F")  # one byte: a PASS becomes FASS
    forged = hashlib.sha256(bytes(changed)).hexdigest()
    assert forged != digest and forged not in markdown and forged not in page


def test_without_a_json_report_the_others_say_so(inspected, tmp_path):
    assert run_cli(tmp_path, "markdown,html") == 0
    assert "- JSON report: no JSON report written in this run" in (tmp_path / "prod.md").read_text()
    assert not (tmp_path / "prod.json").exists()


STS_FAILURES = [ClientError({"Error": {"Code": "AccessDenied"}}, "GetCallerIdentity"),
                EndpointConnectionError(endpoint_url="https://sts.eu-west-2.amazonaws.com")]  # fmt: skip


@pytest.mark.parametrize("failure", STS_FAILURES)
def test_an_unknown_caller_is_recorded_not_a_crash(monkeypatch, failure):
    class Sts:
        def get_caller_identity(self):
            raise failure

    monkeypatch.setattr(collection, "client", lambda session, service: Sts())
    assert collection.caller_identity(None) == {"Account": "unknown", "Arn": "unknown"}


def test_missing_credentials_still_stop_the_run(monkeypatch):
    class Sts:
        def get_caller_identity(self):
            raise NoCredentialsError

    monkeypatch.setattr(collection, "client", lambda session, service: Sts())
    with pytest.raises(NoCredentialsError):
        collection.caller_identity(None)


def test_outside_any_project_the_thresholds_are_the_templates(monkeypatch, tmp_path):
    reference = project_root() / "project.yaml"
    monkeypatch.delenv("EPA_PROJECT")
    monkeypatch.delenv("PROJECT_FACTS", raising=False)
    monkeypatch.chdir(tmp_path)
    assert facts_file() == TEMPLATE_FACTS
    assert facts_file(reference) == reference
    # The toolkit's copy states the template's tiers and closed ports exactly.
    template, shipped = load_facts(reference), load_facts(TEMPLATE_FACTS)
    assert shipped.tiers == template.tiers
    assert shipped.closed_to_internet == template.closed_to_internet
