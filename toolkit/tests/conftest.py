"""The toolkit's tests run against a reference project: the template in this repository,
generated once per test process with the default answers. EPA_PROJECT points the toolkit
at it (project_facts.project_root), before any test module imports the toolkit."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[2]


def _reference_project() -> Path:
    from cookiecutter.main import cookiecutter

    out = Path(tempfile.mkdtemp(prefix="epa-toolkit-reference-"))
    # The reference service: the toolkit's tests read its worked examples and its files (the
    # template's bake matrix runs the generated toolkit checks on both starters).
    answers = {"gateway_date": "2027-03-01", "starter": "reference"}
    return Path(cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(out)))


if not os.environ.get("EPA_PROJECT"):
    os.environ["EPA_PROJECT"] = str(_reference_project())
