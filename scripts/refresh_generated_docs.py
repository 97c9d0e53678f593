"""Regenerate the generated parts of the template's docs (run after changing infra/).

Generated projects must come with their diagram already drawn (`make check` fails on a
stale one), but cookiecutter cannot run Pulumi at generation time. So this script bakes the
template once with and once without a custom domain, runs the project's own generator in
each, and writes the result back into the template, with the region and the domain choice
turned back into template variables.

    uv run python scripts/refresh_generated_docs.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
ARCHITECTURE = TEMPLATE / "{{cookiecutter.project_slug}}" / "docs" / "architecture.md"
BEGIN, END = "<!-- diagram:begin -->", "<!-- diagram:end -->"
SENTINEL_REGION = "eu-west-2"


DOCS = TEMPLATE / "{{cookiecutter.project_slug}}" / "docs"


def bake(tmp: str, domain: str) -> tuple[Path, str]:
    """A baked project with its own environment; returns (project, its python)."""
    project = Path(
        cookiecutter(str(TEMPLATE), no_input=True, output_dir=tmp,
                     extra_context={"domain_name": domain, "aws_region": SENTINEL_REGION,
                                    "gateway_date": "2027-03-01"})
    )  # fmt: skip
    subprocess.run(["uv", "sync", "--quiet"], cwd=project, check=True)
    return project, str(project / ".venv" / "bin" / "python")


def between(text: str, markers: tuple[str, str]) -> str:
    return text[text.index(markers[0]) : text.index(markers[1]) + len(markers[1])]


def generated_block(domain: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        project, python = bake(tmp, domain)
        subprocess.run([python, "-m", "diagram"], cwd=project / "infra", check=True)
        text = (project / "docs" / "architecture.md").read_text()
    return between(text, (BEGIN, END)).replace(SENTINEL_REGION, "{{ cookiecutter.aws_region }}")


def refresh_static_docs() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project, python = bake(tmp, "")
        subprocess.run([python, "-m", "environments", "--write"], cwd=project / "infra", check=True)
        subprocess.run([python, "-m", "tools.inspection.catalogue"], cwd=project, check=True)
        for page in ("environments.md", "inspection-checks.md"):
            shutil.copy(project / "docs" / page, DOCS / page)


OPEN = "{% if cookiecutter.domain_name -%}\n"
CLOSE = "{% endif %}\n"


def main() -> int:
    refresh_static_docs()
    block = (
        OPEN + generated_block("desk.example-training.co.uk") + "\n{% else -%}\n"
        + generated_block("") + "\n" + CLOSE
    )  # fmt: skip
    text = ARCHITECTURE.read_text()
    if OPEN + BEGIN in text:  # replace the previous generation
        start = text.index(OPEN + BEGIN)
        end = text.index(END + "\n" + CLOSE, start) + len(END + "\n" + CLOSE)
    else:  # first generation: bare markers
        start, end = text.index(BEGIN), text.index(END) + len(END + "\n")
    ARCHITECTURE.write_text(text[:start] + block + text[end:])
    print("updated the generated parts of docs/ in the template")
    return 0


if __name__ == "__main__":
    sys.exit(main())
