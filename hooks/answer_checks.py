"""Check the answers before cookiecutter creates any folder.

Cookiecutter creates the project folder before it runs hooks/pre_gen_project.py, with
every missing parent: a project_slug such as "org/desk" creates "org/" too, and
"-o new-folder" creates the output folder itself. When the hook rejects the answers,
cookiecutter removes only the innermost folder, so the others were left behind. A slug
of "." or ".." never even reached the hook: cookiecutter stopped with "directory already
exists", naming no field.

So the same checks run earlier too. cookiecutter.json loads this Jinja extension
("_extensions"), and its "__answers_checked" entry, placed after the last question,
renders `{{ cookiecutter | check_answers }}` while the answers are collected: before
cookiecutter (or `cruft create`) creates anything. Rejected answers print the hook's own
report and stop generation with cookiecutter's "hook failed" error (the command line
exits 1). Valid answers render "" and the hook prints any warnings as usual. Answers
replayed from a file (cookiecutter --replay) skip this step; the hook still rejects them.

Cookiecutter and cruft put the template's folder on the import path while they
generate, which is how "hooks.answer_checks" is found.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

from cookiecutter.exceptions import FailedHookException
from jinja2 import Environment
from jinja2.ext import Extension


def _load_pre_gen():
    path = Path(__file__).with_name("pre_gen_project.py")
    spec = importlib.util.spec_from_file_location("_epa_pre_gen_project", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pre_gen = _load_pre_gen()


def check_answers(context: dict, today: dt.date | None = None) -> str:
    """Return "" when the answers pass; otherwise print the hook's report (warnings, errors,
    "... nothing was generated.") and raise FailedHookException."""
    today = today or dt.datetime.now(dt.UTC).date()
    try:
        lines, passed = pre_gen.report(pre_gen.questions(context), today)
    except KeyError:
        return ""  # not every answer is here (a partial replay file): the hook checks them all
    if passed:
        return ""  # warnings, if any, are printed once, by the hook
    for line in lines:
        print(line, file=sys.stderr)
    raise FailedHookException("Stopped: the answers above need fixing.")  # the command line exits 1


class AnswerChecks(Extension):
    """Adds the `check_answers` filter."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["check_answers"] = check_answers
