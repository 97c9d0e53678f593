"""The assessor's read-only role (infra/bootstrap/assessor_access.py): created only when the
bootstrap's config names the assessor, trusted only by their account with the external id,
and allowed exactly the toolkit's inspection policy."""

from __future__ import annotations

import json

import pytest
from epa_toolkit.inspection import access

from tests import test_bootstrap
from tests.test_bootstrap import PROJECT_NAME, ROLE, ROLE_POLICY, revealed

bootstrap = test_bootstrap.bootstrap  # the fixture: the bootstrap program run under mocks

ASSESSOR = "210987654321"
EXTERNAL_ID = "epa-2027-service-desk"  # pragma: allowlist secret
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ASSESSED = {"assessorAccountId": ASSESSOR, "assessorExternalId": EXTERNAL_ID}


def one(resources: list[dict], type_: str, name: str) -> dict:
    [found] = [r["inputs"] for r in resources if r["type"] == type_ and r["name"] == name]
    return found


def trust(resources: list[dict]) -> dict:
    """The trust policy, kept secret in the state: it holds the external id."""
    return json.loads(revealed(one(resources, ROLE, "assessor")["assumeRolePolicy"]))


def test_the_role_trusts_only_the_assessors_account_with_the_external_id(bootstrap):
    resources, outputs = bootstrap(**ASSESSED)
    role = one(resources, ROLE, "assessor")
    assert role["name"] == f"{PROJECT_NAME}-assessor"
    assert trust(resources) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ASSESSOR}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
            }
        ],
    }
    assert role["maxSessionDuration"] == 3600  # one hour unless the config says otherwise
    assert role["tags"] == {"project": PROJECT_NAME, "purpose": "epa-assessment"}
    assert outputs["assessor_role"] == "arn:aws:iam::123456789012:assessor"


def test_the_role_may_do_exactly_what_the_inspection_needs(bootstrap):
    resources, _ = bootstrap(**ASSESSED)
    inline = one(resources, ROLE_POLICY, "assessor")
    assert json.loads(inline["policy"]) == access.policy()
    # One inline policy, no managed policy: what the role may do is that document alone.
    on_the_role = [
        r["type"]
        for r in resources
        if r["type"] in (ROLE_POLICY, ATTACHMENT)
        and r["inputs"]["role"] in ("assessor-id", f"{PROJECT_NAME}-assessor")
    ]
    assert on_the_role == [ROLE_POLICY]


def test_sessions_last_as_long_as_the_config_says(bootstrap):
    resources, _ = bootstrap(**ASSESSED, assessorSessionHours="4")
    assert one(resources, ROLE, "assessor")["maxSessionDuration"] == 4 * 3600


def test_without_an_assessor_in_the_config_there_is_no_role(bootstrap):
    resources, outputs = bootstrap()
    assert not [r for r in resources if "assessor" in r["name"]]
    assert "assessor_role" not in outputs


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"assessorAccountId": ASSESSOR}, "assessorAccountId is set but assessorExternalId is not"),
        ({"assessorExternalId": EXTERNAL_ID}, "assessorExternalId is set but assessorAccountId is not"),
        (ASSESSED | {"assessorAccountId": "21098765432"}, "assessorAccountId: '21098765432' is not"),
        (ASSESSED | {"assessorAccountId": "arn:aws:iam::210987654321:root"}, "assessorAccountId"),
        (ASSESSED | {"assessorExternalId": "x"}, "assessorExternalId: not a valid external id"),
        (ASSESSED | {"assessorExternalId": "has space"}, "assessorExternalId: not a valid"),
        (ASSESSED | {"assessorExternalId": "é" * 10}, "assessorExternalId: not a valid"),
        (ASSESSED | {"assessorExternalId": "x" * 1225}, "2 to 1224 characters"),
        (ASSESSED | {"assessorSessionHours": "0"}, "assessorSessionHours: 0 hours; AWS allows"),
        (ASSESSED | {"assessorSessionHours": "13"}, "1 to 12 hours"),
    ],
    ids=["no-external-id", "no-account", "11-digits", "an-arn", "too-short", "a-space",
         "not-ascii", "too-long", "zero-hours", "13-hours"],
)  # fmt: skip
def test_bad_settings_fail_naming_the_key(bootstrap, overrides, message):
    with pytest.raises(ValueError, match=message):
        bootstrap(**overrides)


def test_session_hours_must_be_a_whole_number(bootstrap):
    with pytest.raises(Exception, match="assessorSessionHours"):
        bootstrap(**ASSESSED, assessorSessionHours="four")


def test_the_longest_external_id_aws_allows_is_accepted(bootstrap):
    resources, _ = bootstrap(**ASSESSED | {"assessorExternalId": ("a+=,.@:/-_" * 123)[:1224]})
    [statement] = trust(resources)["Statement"]
    assert len(statement["Condition"]["StringEquals"]["sts:ExternalId"]) == 1224
