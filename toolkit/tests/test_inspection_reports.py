"""Waivers, exit codes and the five report formats."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from epa_toolkit import ksb
from epa_toolkit.inspection import report
from epa_toolkit.inspection.cli import exit_code
from epa_toolkit.inspection.engine import apply_waivers, evaluate
from epa_toolkit.inspection.model import SCHEMA_VERSION, Status, tier_defaults
from tests.test_inspection_checks import BREAK, healthy_prod

RUN = {"project": "desk", "environment": "prod", "tier": "prod", "account": "123456789012",
       "region": "eu-west-2", "started": "2027-01-01T10:00:00+00:00", "finished": "2027-01-01T10:00:02+00:00",
       "toolkit": {"name": "epa-toolkit", "version": "0.1.0", "commit": "0123abc"},
       "caller": {"account": "123456789012", "arn": "arn:aws:sts::123456789012:assumed-role/assessor/me"},
       "thresholds": "the template's tiers (epa-toolkit)"}  # fmt: skip


def broken_findings():
    inventory = healthy_prod()
    BREAK["rds_multi_az"](inventory)  # high
    BREAK["alb_deletion_protection"](inventory)  # medium
    return evaluate(inventory, tier_defaults("prod"))


def test_exit_codes_follow_the_contract():
    assert exit_code(evaluate(healthy_prod(), tier_defaults("prod")), "high", strict=False) == 0
    findings = broken_findings()
    assert exit_code(findings, "high", strict=False) == 1
    assert exit_code([f for f in findings if f.check.id != "rds_multi_az"], "high", strict=False) == 0
    assert exit_code([f for f in findings if f.check.id != "rds_multi_az"], "medium", strict=False) == 1
    inventory = healthy_prod()
    inventory["errors"]["ecs"] = "AccessDenied on DescribeServices"
    findings = evaluate(inventory, tier_defaults("prod"))
    assert exit_code(findings, "high", strict=False) == 0
    assert exit_code(findings, "high", strict=True) == 3


def test_waiver_applies_until_it_expires():
    waiver = {
        "check": "rds_multi_az",
        "resource": "desk-*",
        "reason": "migration window",
        "expires": "2027-02-01",
    }
    findings = broken_findings()
    assert apply_waivers(findings, [waiver], dt.date(2027, 1, 15)) == []
    assert exit_code(findings, "high", strict=False) == 0
    [waived] = [f for f in findings if f.check.id == "rds_multi_az"]
    assert waived.waiver == "migration window (until 2027-02-01)" and waived.status == Status.FAIL
    findings = broken_findings()
    notes = apply_waivers(findings, [waiver], dt.date(2027, 3, 1))
    assert notes == ["waiver for rds_multi_az on desk-prod expired on 2027-02-01: not applied"]
    assert exit_code(findings, "high", strict=False) == 1


def test_json_is_versioned_and_scored():
    document = json.loads(report.to_json(RUN, broken_findings()))
    assert document["schema_version"] == SCHEMA_VERSION
    assert document["scores"]["reliability"]["FAIL"] == 2
    failed = [f for f in document["findings"] if f["status"] == "FAIL"]
    assert {f["check_id"] for f in failed} == {"rds_multi_az", "alb_deletion_protection"}
    assert failed[0]["evidence"] and failed[0]["remediation"]


def test_each_json_finding_names_its_ksbs_and_counterparts():
    document = json.loads(report.to_json(RUN, broken_findings()))
    [finding] = [f for f in document["findings"] if f["check_id"] == "rds_multi_az"]
    assert finding["ksbs"] == ["K12", "S7"]
    assert finding["fsbp"] == ["RDS.5"] and finding["prowler"] == ["rds_instance_multi_az"]
    [finding] = [f for f in document["findings"] if f["check_id"] == "ecs_service_circuit_breaker"]
    assert finding["fsbp"] == [] and finding["prowler"] == []


def test_markdown_gives_the_assessor_evidence_to_verify():
    text = report.to_markdown(RUN, broken_findings())
    assert "AWS account 123456789012, region eu-west-2; tier prod" in text
    assert "### FAIL: Database has a standby in another zone (`rds_multi_az`, high)" in text
    assert '- Evidence: `{"multi_az": false}`' in text
    assert "- Remediation: Set dbMultiAz: true (the tier guarantees db_multi_az)." in text
    assert "- KSBs: K12, S7 (Data persistence)" in text
    assert "- AWS FSBP controls: RDS.5" in text and "- Prowler checks: rds_instance_multi_az" in text


def test_markdown_groups_findings_by_ksb_theme_with_working_links():
    findings = broken_findings()
    text = report.to_markdown(RUN, findings)
    themes = text[text.index("## By KSB theme") : text.index("## Findings")]
    # Every project theme is listed, in the standard's order, with its KSBs.
    headings = re.findall(r"^### (.+)$", themes, re.M)
    assert headings == [f"{t['theme']} ({', '.join(t['ksbs'])})" for t in ksb.standard()["project_themes"]]
    persistence = themes[themes.index("### Data persistence") : themes.index("### Automation")]
    [n] = [n for n, f in enumerate(findings) if f.check.id == "rds_multi_az"]
    assert f"| `rds_multi_az` | K12, S7 | [FAIL desk-prod](#finding-{n}) |" in persistence
    assert "Findings: PASS 3, FAIL 1" in persistence
    # Code quality is shown by the code and pipelines, not by an inspection check.
    assert "### Code quality" in themes and themes.count("No inspection check evidences this theme.") >= 1
    # Every link lands on a finding's anchor, and each finding has one.
    links = set(re.findall(r"\(#(finding-\d+)\)", themes))
    anchors = re.findall(r'^<a id="(finding-\d+)"></a>$', text, re.M)
    assert links <= set(anchors) and len(anchors) == len(findings) == len(set(anchors))


def test_junit_counts_failures():
    suite = ET.fromstring(report.to_junit(RUN, broken_findings()))
    assert suite.get("failures") == "2"
    assert len(suite.findall("testcase/failure")) == 2


def test_html_is_one_escaped_page_grouped_by_pillar():
    findings = broken_findings()
    findings[0].message = '<script>alert("x")</script> & more'
    page = report.to_html(RUN, findings, json_sha256="ab" * 32)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script>" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in page
    assert not any(f'{attr}="http' in page for attr in ("src", "href")), "no external assets"
    headings = [line for line in page.splitlines() if line.startswith("<h2 id=")]
    assert headings == ['<h2 id="ksb-themes">By KSB theme</h2>'] + [
        f'<h2 id="{p}">{p.capitalize()}</h2>' for p in ("reliability", "security", "observability")
    ]
    assert "ab" * 32 in page and "arn:aws:sts::123456789012:assumed-role/assessor/me" in page


def test_html_opens_offline_and_links_ksb_themes_to_findings():
    findings = broken_findings()
    page = report.to_html(RUN, findings)
    # Nothing fetched from elsewhere: no scripts, stylesheets, fonts, images or frames; the
    # only style is the inline block, and every link stays on the page.
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", page)
    assert page.count("<style>") == 1 and "@import" not in page and "url(" not in page
    assert not re.search(r"\b(src|srcset|data)=", page)
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(h.startswith("#") for h in hrefs)
    ids = set(re.findall(r'id="([^"]+)"', page))
    assert {h[1:] for h in hrefs} <= ids
    assert {f"finding-{n}" for n in range(len(findings))} <= ids
    # The theme of the failed database check links to its row, which shows the mapping.
    [n] = [n for n, f in enumerate(findings) if f.check.id == "rds_multi_az"]
    assert f'<a class="FAIL" href="#finding-{n}">FAIL desk-prod</a>' in page
    row = next(line for line in page.splitlines() if line.startswith(f'<tr id="finding-{n}">'))
    assert "AWS FSBP controls: <code>RDS.5</code>" in row and "<code>rds_instance_multi_az</code>" in row
    assert "KSBs: K12, S7 (Data persistence)" in row
    assert (
        '<abbr title="Persistence/data layer choice per platform, NFRs and recovery plans">K12</abbr>' in page
    )


def test_console_colours_only_when_asked():
    findings = broken_findings()
    assert "\033[" not in report.to_console(RUN, findings, colour=False)
    assert "\033[31mFAIL" in report.to_console(RUN, findings, colour=True)


def test_json_report_matches_its_documented_schema():
    schema = json.loads((Path(report.__file__).parent / "report-schema.json").read_text())
    document = json.loads(report.to_json(RUN | {"collection_errors": {}, "notes": []}, broken_findings()))
    jsonschema.validate(document, schema)
    document["findings"][0]["status"] = "MAYBE"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)


def test_checks_page_is_generated_from_the_metadata():
    from epa_toolkit.inspection import catalogue

    page = catalogue.render()
    assert "| `rds_multi_az` | high | Database has a standby in another zone |" in page
    # The coverage table: the risk (not repeated elsewhere), the KSBs and the counterparts.
    risk = "A zone or instance failure stops the database until it is rebuilt."
    assert f"| `rds_multi_az` | {risk} | K12, S7 | RDS.5 | `rds_instance_multi_az` |" in page
    assert page.count(risk) == 1
    assert "| `ecs_service_circuit_breaker` | A broken release keeps replacing healthy tasks until someone notices. " \
           "| S15, B3 | none | none |" in page  # fmt: skip
    assert catalogue.main(["--check"]) == 0, "run `make docs`"
