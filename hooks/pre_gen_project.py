"""Validate every answer before a single file is written.

The checks run twice, with the same code and the same report. First while cookiecutter
collects the answers (hooks/answer_checks.py, through cookiecutter.json's
"__answers_checked"), before it creates any folder: cookiecutter creates the project
folder, and every parent folder a slug like "org/desk" or "../desk" names, before it runs
this hook, and on failure removes only the innermost one. Then here, as this hook, which
also covers answers replayed from a file (--replay skips the collecting step). Any error
exits non-zero and nothing is generated. All problems are reported at once, each naming
the field, the value given and what is allowed, so an apprentice fixes them in one go.

The module is plain Python before rendering too, so the template's tests and
hooks/answer_checks.py import it and call the validators directly.
"""

from __future__ import annotations

import datetime as dt
import json
import keyword
import re
import sys
import unicodedata

# Rendered by cookiecutter: the answers as JSON (a raw string keeps the escapes intact).
ANSWERS_JSON = r"""{{ cookiecutter | jsonify }}"""

CHOICES = {
    "starter": ("minimal", "reference"),
    "ci_provider": ("github", "gitlab"),
    "branching_strategy": ("trunk", "gitflow"),
    "pulumi_backend": ("s3", "pulumi-cloud"),
}

# Commercial AWS regions (partition "aws"), as published by AWS in 2026.
AWS_REGIONS = frozenset(
    {
        "us-east-1", "us-east-2", "us-west-1", "us-west-2",
        "ca-central-1", "ca-west-1", "mx-central-1", "sa-east-1",
        "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2",
        "eu-north-1", "eu-south-1", "eu-south-2",
        "af-south-1", "il-central-1", "me-south-1", "me-central-1",
        "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
        "ap-southeast-5", "ap-southeast-7",
    }
)  # fmt: skip
# Regions an account must opt in to before use: allowed, with a reminder.
OPT_IN_REGIONS = frozenset(
    {
        "af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3",
        "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ca-west-1",
        "eu-central-2", "eu-south-1", "eu-south-2", "il-central-1", "me-central-1",
        "me-south-1", "mx-central-1",
    }
)  # fmt: skip
# The prod profile spreads over 3 availability zones; new accounts get only 2 here.
TWO_ZONE_REGIONS = frozenset({"us-west-1"})
OTHER_PARTITIONS = (
    ("cn-", "aws-cn (China)"),
    ("us-gov-", "aws-us-gov (GovCloud)"),
    ("us-iso", "aws-iso (isolated)"),
    ("eusc-", "aws-eusc (European Sovereign Cloud)"),
)

# AWS names such as load balancers and target groups allow 32 characters;
# "<slug>-staging-tg" must fit, so the slug is kept to 20.
SLUG_MAX_LENGTH = 20
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
# Names that would shadow a module the project imports, or clash with its folders.
RESERVED_SLUGS = frozenset(
    {
        "alembic", "app", "boto3", "botocore", "docs", "fastapi", "infra", "migrations",
        "moto", "psycopg", "pulumi", "pulumi_aws", "pydantic", "pytest", "sqlalchemy",
        "starlette", "test", "tests", "tools", "uvicorn",
    }
)  # fmt: skip
# AWS reserves these prefixes in some resource names (S3 buckets, load balancers).
RESERVED_SLUG_PREFIXES = ("aws", "internal", "sthree")

NAME_PUNCTUATION = frozenset(" -'.,&()")
PERSON_PUNCTUATION = frozenset(" -'.")
EMAIL_PATTERN = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`|~-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
DOMAIN_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Domains an apprentice cannot prove ownership of, so ACM can never issue a certificate.
UNCERTIFIABLE_DOMAINS = ("example.com", "example.org", "example.net", "amazonaws.com",
                         "cloudfront.net", "elb.amazonaws.com")  # fmt: skip
UNCERTIFIABLE_TLDS = ("test", "example", "invalid", "localhost", "local", "internal")
REPOSITORY_PART = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# ST0825's current assessment plan started in 2022; a gateway cannot be earlier.
EARLIEST_GATEWAY = dt.date(2022, 1, 1)
LATEST_GATEWAY_YEARS_AHEAD = 2


class AnswerError(ValueError):
    """One invalid answer: which field, what was given, what is allowed."""

    def __init__(self, field: str, value: object, allowed: str) -> None:
        super().__init__(f"{field}: {value!r} is not allowed. {allowed}")
        self.field = field


def _is_plain_text(value: str, punctuation: frozenset[str]) -> bool:
    """Letters (any alphabet), digits and the given punctuation only: values end up in
    TOML, YAML, HTML and shell, where quotes, backslashes and braces would break them."""
    return all(ch in punctuation or unicodedata.category(ch)[0] in ("L", "N", "M") for ch in value)


def check_text(field: str, value: str, *, max_length: int, person: bool = False) -> None:
    punctuation = PERSON_PUNCTUATION if person else NAME_PUNCTUATION
    allowed_marks = "".join(sorted(punctuation - {" "}))
    if not value.strip():
        raise AnswerError(field, value, "It must not be blank.")
    if value != value.strip() or "  " in value:
        raise AnswerError(field, value, "Remove leading, trailing or double spaces.")
    if len(value) > max_length:
        raise AnswerError(field, value, f"Use at most {max_length} characters.")
    if not _is_plain_text(value, punctuation):
        raise AnswerError(
            field, value, f"Use letters, digits, spaces and {allowed_marks} only (no quotes or symbols)."
        )


def check_description(value: str) -> None:
    field = "description"
    if not value.strip():
        raise AnswerError(field, value, "Describe the service in one line.")
    if len(value) > 200:
        raise AnswerError(field, value, "Keep it to one line of at most 200 characters.")
    if any(ch in value for ch in '"\\`{}<>') or not value.isprintable():
        raise AnswerError(
            field, value, "Use plain text on one line: no quotes, backslashes, braces or angle brackets."
        )


def check_slug(value: str) -> None:
    field = "project_slug"
    rule = (
        "Use lowercase letters and digits, words joined by single underscores, starting "
        f"with a letter, at most {SLUG_MAX_LENGTH} characters (e.g. service_desk)."
    )
    if "/" in value or "\\" in value or value in (".", ".."):
        raise AnswerError(field, value, "It is the project folder's name, not a path. " + rule)
    if not SLUG_PATTERN.fullmatch(value):
        raise AnswerError(field, value, rule)
    if len(value) > SLUG_MAX_LENGTH:
        raise AnswerError(field, value, rule + " AWS limits load balancer names to 32 characters.")
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        raise AnswerError(field, value, "It is a Python keyword: choose another name.")
    if value in sys.stdlib_module_names or value in RESERVED_SLUGS:
        raise AnswerError(
            field,
            value,
            "It would shadow a Python module or project folder of the same name: choose another.",
        )
    if value.startswith(RESERVED_SLUG_PREFIXES):
        prefixes = ", ".join(RESERVED_SLUG_PREFIXES)
        raise AnswerError(field, value, f"AWS reserves names starting with {prefixes}: choose another.")


def check_email(value: str) -> None:
    if len(value) > 254 or not EMAIL_PATTERN.fullmatch(value):
        raise AnswerError("alert_email", value, "Give one e-mail address, e.g. ops-team@example.co.uk.")


def check_region(value: str) -> list[str]:
    """Return warnings; raise for a region this project cannot deploy to."""
    field = "aws_region"
    for prefix, partition in OTHER_PARTITIONS:
        if value.startswith(prefix):
            raise AnswerError(
                field,
                value,
                f"It is in the {partition} partition; this template targets the standard aws partition.",
            )
    if value not in AWS_REGIONS:
        raise AnswerError(
            field, value, "Give an AWS region code such as eu-west-2 (London) or eu-west-1 (Ireland)."
        )
    if value in TWO_ZONE_REGIONS:
        raise AnswerError(
            field,
            value,
            "New AWS accounts get only 2 availability zones there and the prod profile spreads over 3; "
            "choose another region (e.g. us-west-2).",
        )
    if value in OPT_IN_REGIONS:
        return [f"aws_region: {value} is an opt-in region: enable it in your AWS account first."]
    return []


def check_choice(field: str, value: str) -> None:
    allowed = CHOICES[field]
    if value not in allowed:
        raise AnswerError(field, value, "Choose one of: " + ", ".join(allowed) + ".")


def check_repository(value: str, ci_provider: str) -> None:
    """owner/name on GitHub; GitLab also allows nested groups (group/subgroup/name).
    The deploy roles trust exactly this path, so it must be the real one."""
    field = "repository"
    parts = value.split("/")
    if len(parts) < 2 or not all(REPOSITORY_PART.fullmatch(part) for part in parts):
        raise AnswerError(
            field, value, "Give owner/name, e.g. alex-smith/service-desk (letters, digits, '.', '_', '-')."
        )
    if ci_provider == "github" and len(parts) != 2:
        raise AnswerError(
            field, value, "GitHub repositories are exactly owner/name; nested groups exist only on GitLab."
        )


def check_domain(value: str) -> None:
    field = "domain_name"
    if value == "":
        return  # optional: CloudFront's own HTTPS address is used instead
    if "://" in value or "/" in value:
        raise AnswerError(
            field, value, "Give the host name only, e.g. desk.example.co.uk (no https:// or path)."
        )
    if value != value.lower():
        raise AnswerError(field, value, f"Use lowercase: {value.lower()}.")
    labels = value.rstrip(".").split(".")
    if (
        len(value) > 253
        or len(labels) < 2
        or not all(DOMAIN_LABEL.fullmatch(label) for label in labels)
        or not labels[-1].isalpha()
    ):
        raise AnswerError(
            field,
            value,
            "Give a DNS name such as desk.example.co.uk: labels of a-z, 0-9 and '-', "
            "separated by dots, ending in a real top-level domain; or leave it blank.",
        )
    bare = value.rstrip(".")
    if labels[-1] in UNCERTIFIABLE_TLDS or any(
        bare == domain or bare.endswith("." + domain) for domain in UNCERTIFIABLE_DOMAINS
    ):
        raise AnswerError(field, value, "Use a domain you control (ACM must validate it), or leave it blank.")


def check_gateway_date(value: str, today: dt.date) -> None:
    field = "gateway_date"
    if not ISO_DATE.fullmatch(value):
        raise AnswerError(field, value, "Use the ISO format YYYY-MM-DD, e.g. 2027-03-01.")
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        raise AnswerError(field, value, "It is not a calendar date.") from None
    latest = today.replace(year=today.year + LATEST_GATEWAY_YEARS_AHEAD, day=min(today.day, 28))
    if not EARLIEST_GATEWAY <= date <= latest:
        raise AnswerError(
            field, value, f"Give a date between {EARLIEST_GATEWAY.isoformat()} and {latest.isoformat()}."
        )


def validate(answers: dict, today: dt.date) -> tuple[list[AnswerError], list[str]]:
    """Check every answer; return (errors, warnings)."""
    errors: list[AnswerError] = []
    warnings: list[str] = []
    checks = [
        lambda: check_text("project_name", answers["project_name"], max_length=60),
        lambda: check_slug(answers["project_slug"]),
        lambda: check_description(answers["description"]),
        lambda: check_text("apprentice_name", answers["apprentice_name"], max_length=80, person=True),
        lambda: check_text("employer", answers["employer"], max_length=100),
        lambda: check_email(answers["alert_email"]),
        lambda: warnings.extend(check_region(answers["aws_region"])),
        lambda: check_repository(answers["repository"], answers["ci_provider"]),
        lambda: check_domain(answers["domain_name"]),
        lambda: check_gateway_date(answers["gateway_date"], today),
        *(lambda field=field: check_choice(field, answers[field]) for field in CHOICES),
    ]
    for check in checks:
        try:
            check()
        except AnswerError as error:
            errors.append(error)
    return errors, warnings


def questions(context: dict) -> dict[str, str]:
    """The answers to the questions, without cookiecutter's private keys (those starting with _)."""
    return {key: str(value) for key, value in context.items() if not key.startswith("_")}


def report(answers: dict[str, str], today: dt.date) -> tuple[list[str], bool]:
    """The lines to print (warnings, then errors and a summary) and whether the answers pass."""
    errors, warnings = validate(answers, today)
    lines = [f"WARNING {warning}" for warning in warnings] + [f"ERROR {error}" for error in errors]
    if errors:
        lines.append(f"{len(errors)} answer(s) need fixing; nothing was generated.")
    return lines, not errors


def main() -> int:
    lines, passed = report(questions(json.loads(ANSWERS_JSON)), dt.datetime.now(dt.UTC).date())
    for line in lines:
        print(line, file=sys.stderr)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
