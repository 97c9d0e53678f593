"""Unit tests of the answer validators in hooks/pre_gen_project.py."""

from __future__ import annotations

import datetime as dt
import importlib.util

import pytest
from conftest import DEFAULTS, FIXED_ANSWERS, TEMPLATE
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

spec = importlib.util.spec_from_file_location("pre_gen", TEMPLATE / "hooks" / "pre_gen_project.py")
pre_gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pre_gen)

TODAY = dt.date(2026, 11, 28)
VALID = {
    "project_name": "Service Desk",
    "project_slug": "service_desk",
    "description": "A service desk where colleagues raise and track IT support tickets.",
    "apprentice_name": "Siân O'Brien-Smith",
    "employer": "Example Ltd",
    "alert_email": "ops+alerts@example.co.uk",
    "aws_region": "eu-west-2",
    "starter": "minimal",
    "ci_provider": "github",
    "repository": "sian-obrien/service-desk",
    "branching_strategy": "trunk",
    "domain_name": "",
    "gateway_date": "2027-03-01",
    "pulumi_backend": "s3",
}


def errors_for(**changes: str) -> list:
    errors, _ = pre_gen.validate({**VALID, **changes}, TODAY)
    return errors


def test_valid_answers_pass():
    assert errors_for() == []


def test_every_question_is_validated():
    questions = {key for key in DEFAULTS if not key.startswith("_")}
    assert questions == set(VALID), "a question was added or removed: validate it and list it here"


@pytest.mark.parametrize("starter", DEFAULTS["starter"])
def test_defaults_pass_validation(starter, monkeypatch):
    """--no-input must always work: the defaults, rendered as cookiecutter renders them
    (some follow earlier answers), are valid answers for either starter."""
    monkeypatch.syspath_prepend(str(TEMPLATE))  # the answer checks' extension, as cookiecutter loads it
    context = generate_context(
        str(TEMPLATE / "cookiecutter.json"), extra_context={**FIXED_ANSWERS, "starter": starter}
    )
    rendered = prompt_for_config(context, no_input=True)
    answers = {key: value for key, value in rendered.items() if not key.startswith("_")}
    errors, warnings = pre_gen.validate(answers, TODAY)
    assert errors == [] and warnings == []
    assert ("ticket" in answers["description"]) == (starter == "reference")


def test_the_default_starter_is_minimal():
    """Apprentices are the default audience: --no-input gives the minimal starter, which
    is therefore asked first (the description's default follows it)."""
    assert DEFAULTS["starter"][0] == "minimal"
    assert next(iter(DEFAULTS)) == "starter"


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("project_slug", "Service_Desk", "lowercase"),
        ("project_slug", "service-desk", "underscores"),
        ("project_slug", "1desk", "starting with a letter"),
        ("project_slug", "service__desk", "single underscores"),
        ("project_slug", "desk_", "single underscores"),
        ("project_slug", "a_very_long_project_slug", "32 characters"),
        ("project_slug", "class", "Python keyword"),
        ("project_slug", "match", "Python keyword"),
        ("project_slug", "json", "shadow"),
        ("project_slug", "fastapi", "shadow"),
        ("project_slug", "aws_tools", "AWS reserves"),
        ("project_slug", "org/desk", "not a path"),
        ("project_slug", "..", "not a path"),
        ("project_slug", "org\\desk", "not a path"),
        ("project_slug", "/home/alex/desk", "not a path"),
        ("project_name", "", "blank"),
        ("project_name", 'The "Best" Desk', "letters, digits"),
        ("project_name", " Desk", "spaces"),
        ("project_name", "x" * 61, "at most 60"),
        ("description", "Line one\nline two", "one line"),
        ("description", "Uses {braces}", "braces"),
        ("apprentice_name", "Alex & Co", "letters, digits"),
        ("employer", "Acme <script>", "letters, digits"),
        ("alert_email", "not-an-email", "e-mail address"),
        ("alert_email", "a@b", "e-mail address"),
        ("alert_email", "a@@example.com", "e-mail address"),
        ("aws_region", "eu-west-9", "region code"),
        ("aws_region", "London", "region code"),
        ("aws_region", "cn-north-1", "aws-cn"),
        ("aws_region", "us-gov-west-1", "GovCloud"),
        ("aws_region", "us-west-1", "availability zones"),
        ("repository", "service-desk", "owner/name"),
        ("repository", "alex/service desk", "owner/name"),
        ("domain_name", "https://desk.acme.co.uk", "host name only"),
        ("domain_name", "Desk.Acme.co.uk", "lowercase"),
        ("domain_name", "desk", "DNS name"),
        ("domain_name", "-desk.acme.co.uk", "DNS name"),
        ("domain_name", "desk.acme.123", "DNS name"),
        ("domain_name", "desk.example.com", "domain you control"),
        ("domain_name", "my-alb.eu-west-2.elb.amazonaws.com", "domain you control"),
        ("gateway_date", "01/03/2027", "YYYY-MM-DD"),
        ("gateway_date", "20270301", "YYYY-MM-DD"),
        ("gateway_date", "2027-02-30", "calendar date"),
        ("gateway_date", "2019-06-01", "between 2022-01-01"),
        ("gateway_date", "2031-01-01", "and 2028-11-28"),
        ("starter", "service_desk", "minimal, reference"),
        ("ci_provider", "bitbucket", "github, gitlab"),
        ("branching_strategy", "yolo", "trunk, gitflow"),
        ("pulumi_backend", "local", "s3, pulumi-cloud"),
    ],
)
def test_invalid_answer_names_field_value_and_rule(field, value, fragment):
    errors = errors_for(**{field: value})
    assert len(errors) == 1, errors
    message = str(errors[0])
    assert errors[0].field == field
    assert message.startswith(f"{field}: {value!r} is not allowed.")
    assert fragment in message


def test_nested_groups_are_a_gitlab_only_combination():
    assert errors_for(ci_provider="gitlab", repository="acme/platform/service-desk") == []
    [error] = errors_for(ci_provider="github", repository="acme/platform/service-desk")
    assert error.field == "repository" and "only on GitLab" in str(error)


def test_all_problems_are_reported_at_once():
    errors = errors_for(project_slug="Bad", alert_email="nope", gateway_date="soon")
    assert [e.field for e in errors] == ["project_slug", "alert_email", "gateway_date"]


def test_opt_in_region_is_allowed_with_a_warning():
    errors, warnings = pre_gen.validate({**VALID, "aws_region": "eu-south-2"}, TODAY)
    assert errors == []
    assert warnings == ["aws_region: eu-south-2 is an opt-in region: enable it in your AWS account first."]


@pytest.mark.parametrize("domain", ["desk.acme-training.co.uk", "service.gov.uk", "a.io"])
def test_real_domains_are_accepted(domain):
    assert errors_for(domain_name=domain) == []


def test_gateway_range_is_inclusive():
    assert errors_for(gateway_date="2022-01-01") == []
    assert errors_for(gateway_date="2028-11-28") == []
