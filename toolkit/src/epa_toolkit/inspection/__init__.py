"""Read-only inspection of a deployed environment: is it highly available, secure and
observable? Collection (boto3) is kept apart from evaluation (pure checks over a plain
inventory), so every check is tested without AWS. Where to look:

    cli.py          `make inspect ENV=prod`: collect, evaluate, waive, report, exit code
    collect.py      boto3, read-only -> (Scope, Inventory): what was inspected and its tier,
                    beside the environment's resources
    inventory.py    the inventory's schema (TypedDicts), section by section, and the Scope
    checks/         the checks, one module per pillar (reliability, security,
                    observability); each check's metadata (CheckMeta) sits above its function
    model.py        CheckMeta, Result (what a check yields), Finding, Status, Severity, and
                    the tier's Thresholds (from project.yaml, through project_facts; outside
                    a project, the template's: template-facts.yaml)
    engine.py       runs every check: NOT_EVALUATED, ERROR, SKIPPED; waivers
    report.py       console, JSON (report-schema.json), Markdown, JUnit, HTML (the last
                    two also by KSB theme, from epa_toolkit/ksb-st0825.yaml); each with
                    its provenance (toolkit, caller, region, times) and the JSON's SHA-256
    catalogue.py    docs/inspection-checks.md, generated from the checks' metadata

A new check: add it to the pillar's module under checks/ (metadata, then a function that
yields a Result per resource), a breaking case to toolkit/tests/test_inspection_checks.py
(BREAK), and run `make docs`.
"""
