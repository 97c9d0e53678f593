"""The preview summary over sample `pulumi preview --json` output (tools/tests/fixtures/preview):
the one-document form, the streaming event form, failures and missing files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from epa_toolkit.delivery import preview_summary as tool

FIXTURES = Path(__file__).parent / "fixtures" / "preview"


@pytest.fixture
def previews(tmp_path):
    """Copy fixtures in as build/preview/<environment>.json."""

    def place(environment: str, fixture: str | None = None, text: str | None = None) -> Path:
        path = tmp_path / f"{environment}.json"
        if fixture:
            shutil.copy(FIXTURES / fixture, path)
        if text is not None:
            path.write_text(text)
        return path

    return place


def row(markdown: str, environment: str) -> list[str]:
    [line] = [x for x in markdown.splitlines() if x.startswith(f"| {environment} |")]
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_replacements_and_deletions_are_counted_and_listed(previews):
    preview = tool.load(previews("dev", "digest-risky.json"))

    assert preview.evaluated and not preview.problems
    markdown = tool.render([preview], "Preview")
    assert row(markdown, "dev") == [
        "dev",
        "⚠️ 2 replaced, 1 deleted",
        "1",
        "1",
        "2",
        "1",
        "2",
        "not reported¹",
    ]
    replaced = markdown.split("Would be REPLACED")[1].split("Would be DELETED")[0]
    assert "`aws:rds/instance:Instance` **database-postgres** because of `dbName`" in replaced
    assert "**service-task** because of `containerDefinitions`" in replaced
    deleted = markdown.split("Would be DELETED")[1].split("<details>")[0]
    assert "**edge-http-from-anywhere**" in deleted and "service-service" not in deleted
    # A warning is shown (colour codes removed); a program's stderr is not an error.
    assert "new engine version 16.9 is available" in markdown and "\x1b" not in markdown
    assert preview.errors == [] and "Resolved 123 packages" not in markdown
    assert "update: `aws:ecs/service:Service` **service-service**" in markdown


def test_no_changes(previews):
    markdown = tool.render([tool.load(previews("prod", "digest-no-changes.json"))], "Preview")
    assert row(markdown, "prod")[1:7] == ["✅ no changes", "0", "0", "0", "0", "2"]
    assert "### prod" not in markdown  # nothing to add to the table


def test_streaming_events_carry_policy_violations_and_a_mandatory_one_fails(previews):
    preview = tool.load(previews("staging", "events-policy.jsonl"))

    assert not preview.evaluated
    assert "mandatory policy violations block the deploy" in preview.problems
    assert [(v.level, v.policy) for v in preview.violations] == [
        ("mandatory", "rds-not-public"),
        ("advisory", "s3-encryption-configured"),
    ]
    # create-replacement, replace and delete-replaced of the load balancer: one replacement.
    assert [(c.op, c.urn.rsplit("::", 1)[1], c.reasons) for c in preview.of("replace")] == [
        ("replace", "edge-alb", ("internal",))
    ]
    markdown = tool.render([preview], "Preview")
    assert row(markdown, "staging") == [
        "staging",
        "❌ failed: not evaluated",
        "?",
        "?",
        "?",
        "?",
        "?",
        "1 advisory, 1 mandatory",
    ]
    assert (
        "- **mandatory** `rds-not-public` (service-desk-policies) on `aws:rds/instance:Instance` **database-postgres**"
        in markdown
    )


def test_streaming_events_without_violations_that_block(previews):
    lines = (FIXTURES / "events-policy.jsonl").read_text().splitlines()
    kept = [x for x in lines if '"mandatory"' not in x and '"severity":"error"' not in x]
    preview = tool.load(previews("staging", text="\n".join(kept)))

    assert preview.evaluated, preview.problems
    markdown = tool.render([preview], "Preview")
    assert row(markdown, "staging") == [
        "staging",
        "⚠️ 1 replaced, 0 deleted",
        "0",
        "1",
        "1",
        "0",
        "41",
        "1 advisory",
    ]
    assert "¹" not in markdown  # this form reports policies: no footnote


def test_missing_preview_is_not_evaluated_never_no_changes(previews):
    dev = tool.load(previews("dev", "digest-no-changes.json"))
    prod = tool.load(previews("prod"))  # never written: the preview job did not finish

    markdown = tool.render([dev, prod], "Preview")
    assert row(markdown, "prod") == [
        "prod",
        "⛔ not evaluated (no output)",
        "?",
        "?",
        "?",
        "?",
        "?",
        "?",
    ]
    assert "prod.json is missing" in markdown.split("### prod")[1]
    assert row(markdown, "dev")[1] == "✅ no changes"


@pytest.mark.parametrize("text", ["", "error: no stack named 'prod' found\n", '{"steps": [', "{}"])
def test_unreadable_or_unfinished_output_is_a_failure(previews, text):
    preview = tool.load(previews("prod", text=text))
    assert not preview.evaluated and preview.problems
    assert row(tool.render([preview], "P"), "prod")[1] == "❌ failed: not evaluated"


def test_program_error_fails_and_shows_the_error(previews):
    preview = tool.load(previews("staging", "digest-program-error.json"))

    assert not preview.evaluated
    markdown = tool.render([preview], "Preview")
    section = markdown.split("### staging")[1]
    assert "1 error(s) reported" in section
    assert "Program failed with an unhandled exception" in section
    assert "Traceback" not in section  # stderr of the program is not repeated as an error


def test_exit_code_beside_the_json_marks_a_failure(previews):
    path = previews("dev", "digest-no-changes.json")
    path.with_suffix(".exitcode").write_text("255\n")

    preview = tool.load(path)
    assert not preview.evaluated
    assert preview.problems[0] == "`pulumi preview` exited with 255"
    assert row(tool.render([preview], "P"), "dev")[2:7] == ["?"] * 5

    path.with_suffix(".exitcode").write_text("0\n")
    assert tool.load(path).evaluated


def test_text_before_the_document_is_skipped(previews):
    noise = "Installing policy pack service-desk-policies 0.0.1...\nFinished installing policy pack\n\n"
    text = noise + (FIXTURES / "digest-risky.json").read_text()
    preview = tool.load(previews("dev", text=text))
    assert preview.evaluated and preview.counts["replace"] == 2


def test_long_lists_are_cut_and_colour_markup_removed(previews):
    urn = "urn:pulumi:dev::service-desk::aws:s3/bucketV2:BucketV2::bucket-{}"
    steps = [{"op": "delete", "urn": urn.format(i)} for i in range(tool.LISTED + 10)]
    tag = "<{" + "%fg 1%" + "}>"  # the CLI's colour markup, built so the template leaves it alone
    digest = {
        "steps": steps,
        "changeSummary": {"delete": len(steps)},
        "diagnostics": [{"severity": "warning", "message": f"{tag}careful\x1b[0m"}],
    }
    markdown = tool.render([tool.load(previews("dev", text=json.dumps(digest)))], "P")
    assert markdown.count("- `aws:s3/bucketV2:BucketV2`") == tool.LISTED
    assert "- ... and 10 more (see the job log)" in markdown
    assert "\ncareful\n" in markdown


def test_cli_writes_the_file_and_stdout_in_the_order_given(previews, tmp_path, capsys):
    dev = previews("dev", "digest-risky.json")
    staging = previews("staging", "events-policy.jsonl")
    output = tmp_path / "out" / "summary.md"

    code = tool.main(
        [
            str(dev),
            str(staging),
            str(tmp_path / "prod.json"),
            "--output",
            str(output),
            "--title",
            "Preview of abc1234",
        ]
    )

    assert code == 0
    markdown = output.read_text()
    assert capsys.readouterr().out == markdown
    assert markdown.startswith(tool.MARKER + "\n## Preview of abc1234\n")
    order = [
        x.split("|")[1].strip()
        for x in markdown.splitlines()
        if x.startswith("| ") and "Environment" not in x
    ]
    assert order == ["dev", "staging", "prod"]
