"""Stack configuration is validated before any resource is declared."""

from __future__ import annotations

import pytest

from environment_profile import TIER_DEFAULTS, ProfileError, load_profile, profile_fields
from synth import synthesize


def config(**values: str) -> dict[str, str]:
    return {"alertEmail": "ops@example.co.uk", **values}


def test_tier_defaults_apply_and_overrides_win():
    profile = load_profile(config(minTasks="3", dbMultiAz="true", natGateways="per_az"), "prod")
    assert profile.min_tasks == 3 and profile.az_count == 3 and profile.waf is True
    assert load_profile(config(), "dev").nat_gateways == "single"


def test_every_tier_defines_every_field():
    assert all(set(defaults) == set(profile_fields()) for defaults in TIER_DEFAULTS.values())


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"tier": "staging"}, "tier: project.yaml gives each environment its tier"),
        ({"azCount": "1"}, "azCount: 1 is not allowed; use 2 to 4"),
        ({"alertEmail": ""}, "alertEmail: ''; the prod tier e-mails alarms, give an address."),
        ({"vpcCidr": "10.0.0.0/33"}, "vpcCidr: '10.0.0.0/33' is not a CIDR block"),
        ({"vpcCidr": "8.8.0.0/16"}, "vpcCidr: '8.8.0.0/16' must be a private range"),
        ({"minTasks": "1"}, "minTasks: the prod tier guarantees at least 2 tasks"),
        ({"azCount": "2"}, "azCount: the prod tier guarantees at least 3 zones"),
        ({"waf": "false"}, "waf: the prod tier guarantees a web application firewall"),
        ({"natGateways": "single"}, "natGateways: the prod tier guarantees a NAT gateway per zone"),
        (
            {"dbBackupRetentionDays": "7"},
            "dbBackupRetentionDays: the prod tier guarantees at least 14",
        ),
        ({"minTasks": "4", "maxTasks": "3"}, "need 1 <= minTasks <= maxTasks"),
        ({"taskCpu": "256", "taskMemory": "4096"}, "is not a Fargate size"),
        ({"natGateways": "many"}, "natGateways: 'many' is not allowed"),
        (
            {"natGateways": "none", "vpcEndpoints": "false"},
            "natGateways: 'none' needs vpcEndpoints: true",
        ),
        ({"dbMultiAz": "yes"}, "dbMultiAz: 'yes' is not allowed; use true or false."),
        ({"minTasks": "two"}, "minTasks: 'two' is not allowed; use a whole number."),
        ({"mfa": "REQUIRED"}, "mfa: 'REQUIRED' is not allowed; use OFF, OPTIONAL, ON."),
        ({"mfa": "OPTIONAL"}, "mfa: the prod tier guarantees MFA ON"),
        (
            {"logsKmsEncrypted": "false"},
            "logsKmsEncrypted: the prod tier guarantees logs encrypted with a customer-managed",
        ),
        ({"passwordMinLength": "6"}, "passwordMinLength: 6 is not allowed; use 8 to 99"),
        (
            {"passwordMinLength": "long"},  # pragma: allowlist secret
            "passwordMinLength: 'long' is not allowed",  # pragma: allowlist secret
        ),
        (
            {"domainName": "Desk.Example.com"},
            "domainName: 'Desk.Example.com' is not a lowercase DNS name",
        ),
    ],
)
def test_bad_config_fails_with_a_clear_message(values, message):
    with pytest.raises(ProfileError) as error:
        load_profile(config(**values), "prod")
    assert message in str(error.value)


def test_an_unknown_tier_is_refused():
    with pytest.raises(ProfileError, match="tier: 'production' is not allowed; use one of dev"):
        load_profile(config(), "production")


def test_bad_config_stops_the_program_before_any_resource():
    with pytest.raises(ProfileError, match="azCount"):
        synthesize("prod", overrides={"azCount": "1"})


def test_dev_may_skip_alarm_emails():
    assert load_profile({}, "dev").alarm_emails is False


def test_sign_in_settings_per_tier():
    dev, prod = load_profile({}, "dev"), load_profile(config(), "prod")
    assert (dev.mfa, dev.password_min_length) == ("OPTIONAL", 12)
    assert (prod.mfa, prod.password_min_length) == ("ON", 14)
    assert load_profile({"alertEmail": "a@b.co", "mfa": "ON"}, "staging").mfa == "ON"
