"""How the checks are laid out: one module per pillar, each check a function named after
it. (How they line up with a project's policy pack: the project's
infra/tests/test_inspection_alignment.py.)"""

from __future__ import annotations

from epa_toolkit.inspection.checks import REGISTRY
from epa_toolkit.inspection.model import PILLARS


def test_check_ids_are_unique():
    ids = [meta.id for meta, _ in REGISTRY]
    assert len(ids) == len(set(ids))


def test_each_check_lives_in_its_pillars_module():
    for meta, function in REGISTRY:
        assert meta.pillar in PILLARS, meta.id
        assert function.__module__ == f"epa_toolkit.inspection.checks.{meta.pillar}", meta.id
        assert function.__name__ == meta.id, "the function is named after its check"
