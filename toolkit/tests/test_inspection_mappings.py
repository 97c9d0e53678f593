"""What an assessor maps each check to: the KSBs it evidences, and its AWS FSBP and Prowler
counterparts. Every check in REGISTRY is held to the same rules, so a new check is too."""

from __future__ import annotations

import dataclasses
import re

import pytest
import yaml

from epa_toolkit import ksb
from epa_toolkit.inspection.checks import REGISTRY
from epa_toolkit.inspection.model import CheckMeta, Severity
from project_facts import project_root

FSBP_ID = re.compile(r"^[A-Z][A-Za-z0-9]*\.[1-9][0-9]*$")  # e.g. ELB.1, SecretsManager.1
PROWLER_ID = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")  # e.g. elbv2_ssl_listeners
# An FSBP control id, or the name of either tool, written as free text.
MAPPING_IN_TEXT = re.compile(r"(?:^|\s)[A-Z][A-Za-z0-9]*\.[0-9]+\b|(?i:FSBP|Foundational Security|Prowler)")


def mapping_problems(meta: CheckMeta, reference: dict) -> list[str]:
    known = ksb.all_ksbs(reference)
    problems = [] if meta.ksbs else [f"{meta.id}: names no KSB"]
    for code in meta.ksbs:
        if code not in known:
            problems.append(f"{meta.id}: {code} is not a KSB of ST0825")
        elif known[code]["method"] != "project":
            problems.append(f"{meta.id}: {code} is graded by the {known[code]['method']}, not the project")
    problems += [
        f"{meta.id}: FSBP control {x!r} is not <Service>.<n>" for x in meta.fsbp if not FSBP_ID.match(x)
    ]
    problems += [
        f"{meta.id}: Prowler check {x!r} is not snake_case" for x in meta.prowler if not PROWLER_ID.match(x)
    ]
    for field in ("ksbs", "fsbp", "prowler"):
        values = getattr(meta, field)
        if len(set(values)) != len(values):
            problems.append(f"{meta.id}: {field} lists an id twice")
    problems += [
        f"{meta.id}: reference {r!r} names an FSBP or Prowler id: move it to fsbp/prowler"
        for r in meta.references
        if MAPPING_IN_TEXT.search(r) or any(x in r for x in (*meta.fsbp, *meta.prowler))
    ]
    return problems


@pytest.mark.parametrize("meta", [meta for meta, _ in REGISTRY], ids=lambda meta: meta.id)
def test_every_check_names_project_ksbs_and_well_formed_counterparts(meta):
    assert mapping_problems(meta, ksb.standard()) == []


GOOD = CheckMeta(id="demo", title="t", severity=Severity.LOW, risk="r", remediation="m",
                 references=("https://docs.aws.amazon.com/wellarchitected/",), needs=(),
                 ksbs=("K16",), fsbp=("ELB.1",), prowler=("elbv2_ssl_listeners",))  # fmt: skip


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"ksbs": ()}, "names no KSB"),
        ({"ksbs": ("K99",)}, "K99 is not a KSB of ST0825"),
        ({"ksbs": ("K3",)}, "K3 is graded by the discussion"),
        ({"fsbp": ("ELB-1",)}, "'ELB-1' is not <Service>.<n>"),
        ({"prowler": ("elbv2SslListeners",)}, "not snake_case"),
        ({"ksbs": ("K16", "K16")}, "ksbs lists an id twice"),
        ({"references": ("AWS Foundational Security Best Practices ELB.1",)}, "move it to fsbp/prowler"),
        ({"references": ("Prowler elbv2_ssl_listeners",)}, "move it to fsbp/prowler"),
        ({"references": ("see ELB.1",)}, "move it to fsbp/prowler"),
    ],
)
def test_a_bad_mapping_is_named(change, problem):
    assert mapping_problems(GOOD, ksb.standard()) == []
    [found] = mapping_problems(dataclasses.replace(GOOD, **change), ksb.standard())
    assert problem in found


def test_the_toolkits_ksbs_are_the_templates():
    """The toolkit ships the standard's sections of the template's ksb-st0825.yaml (inspection
    reports need them outside any project): same data, whatever the comments or anchors."""
    template = yaml.safe_load((project_root() / "docs/reference/ksb-st0825.yaml").read_text(encoding="utf-8"))
    shipped = ksb.standard()
    assert set(shipped) == {"knowledge", "skills", "behaviours", "project_themes"}
    for section, data in shipped.items():
        assert data == template[section], f"{section} differs from the template's: copy it to {ksb.STANDARD}"
    # Every project theme's KSBs are project-method KSBs that name that theme.
    known = ksb.all_ksbs(shipped)
    for theme in shipped["project_themes"]:
        assert all(
            known[c]["method"] == "project" and known[c]["theme"] == theme["theme"] for c in theme["ksbs"]
        )
