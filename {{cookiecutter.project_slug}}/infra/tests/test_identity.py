"""Sign-in: one Cognito user pool, app client and managed login domain per stack, wired into
the app's tasks (components/identity.py)."""

from __future__ import annotations

import json
import re

import pytest

from components.identity import domain_prefix
from synth import ACCOUNT
from tests.conftest import Model, model_of

POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
DOMAIN = "aws:cognito/userPoolDomain:UserPoolDomain"
BRANDING = "aws:cognito/managedLoginBranding:ManagedLoginBranding"
SECRET = "aws:secretsmanager/secret:Secret"  # pragma: allowlist secret
SIGN_IN_VARIABLES = {"OIDC_ISSUER", "OIDC_CLIENT_ID", "PUBLIC_URL"}


def container(model: Model) -> dict:
    [definition] = json.loads(
        model.one("aws:ecs/taskDefinition:TaskDefinition")["inputs"]["containerDefinitions"]
    )
    return definition


def database_key(model: Model) -> dict:
    [key] = [k for k in model.of_type("aws:kms/key:Key") if k["name"] == "database-key"]
    return key


def environment(model: Model) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container(model)["environment"]}


def test_every_stack_has_one_pool_client_domain_and_login_style(model):
    for type_ in (POOL, CLIENT, DOMAIN, BRANDING):
        assert len(model.of_type(type_)) == 1, type_
    pool = model.one(POOL)["inputs"]
    assert pool["usernameAttributes"] == ["email"]
    assert pool["autoVerifiedAttributes"] == ["email"]
    assert pool["adminCreateUserConfig"] == {"allowAdminCreateUserOnly": True}
    assert pool["name"] == f"{model.data['project']}-{model.stack}"
    # Managed login (version 2) with Cognito's default style for the app's client.
    assert model.one(DOMAIN)["inputs"]["managedLoginVersion"] == 2
    assert model.one(BRANDING)["inputs"]["useCognitoProvidedValues"] is True
    assert "tags" not in pool  # the provider's default tags apply


@pytest.mark.parametrize("domain", ["", "desk.example-training.co.uk"])
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_client_is_public_code_flow_only_and_returns_to_the_app(stack, domain):
    model = Model(model_of(stack, domain))
    client = model.one(CLIENT)["inputs"]
    assert client["generateSecret"] is False  # public: PKCE instead of a secret
    assert client["allowedOauthFlows"] == ["code"]
    assert client["allowedOauthFlowsUserPoolClient"] is True
    assert sorted(client["allowedOauthScopes"]) == ["email", "openid", "profile"]
    assert client["supportedIdentityProviders"] == ["COGNITO"]
    assert client["explicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]  # no password APIs
    assert client["preventUserExistenceErrors"] == "ENABLED"
    assert client["enableTokenRevocation"] is True
    public_url = environment(model)["PUBLIC_URL"]
    if domain:
        assert public_url == f"https://{domain}"
    else:
        [cdn] = model.of_type("aws:cloudfront/distribution:Distribution")
        assert public_url == f"https://{cdn['name']}.example.internal"  # the mocks' domain
    assert client["callbackUrls"] == [f"{public_url}/auth/callback"]
    assert client["logoutUrls"] == [f"{public_url}/"]


def test_tokens_are_short_lived(model):
    client = model.one(CLIENT)["inputs"]
    assert client["tokenValidityUnits"] == {
        "accessToken": "minutes",
        "idToken": "minutes",
        "refreshToken": "hours",
    }
    assert (client["accessTokenValidity"], client["idTokenValidity"]) == (60, 60)
    assert client["refreshTokenValidity"] == 8


def test_mfa_and_passwords_follow_the_tier(prod, dev):
    prod_pool, dev_pool = prod.one(POOL)["inputs"], dev.one(POOL)["inputs"]
    assert prod_pool["mfaConfiguration"] == "ON"
    assert dev_pool["mfaConfiguration"] == "OPTIONAL"
    for pool in (prod_pool, dev_pool):
        assert pool["softwareTokenMfaConfiguration"] == {"enabled": True}  # TOTP
        assert "smsConfiguration" not in pool  # no SMS: a role for SNS, paid per message
    assert prod_pool["passwordPolicy"]["minimumLength"] == 14
    assert dev_pool["passwordPolicy"]["minimumLength"] == 12
    assert prod_pool["deletionProtection"] == "ACTIVE"
    assert dev_pool["deletionProtection"] == "INACTIVE"
    assert "userPoolAddOns" not in prod_pool  # threat protection (the Plus plan) is off


def test_the_domain_prefix_is_unique_stable_and_acceptable(model):
    prefix = model.one(DOMAIN)["inputs"]["domain"]
    assert prefix == domain_prefix(
        model.data["project"], model.stack, ACCOUNT, model.data["region"]
    )
    assert prefix.startswith(f"{model.data['project']}-{model.stack}-")
    assert re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", prefix)


def test_the_domain_prefix_avoids_reserved_words_and_stays_short():
    assert domain_prefix("aws-cognito-desk", "dev", ACCOUNT, "eu-west-2").startswith("desk-dev-")
    assert domain_prefix("amazon", "prod", ACCOUNT, "eu-west-2").startswith("prod-")
    long = domain_prefix("x" * 80, "staging", ACCOUNT, "eu-west-2")
    assert len(long) <= 63 and re.fullmatch(r"[a-z0-9-]+", long)
    assert domain_prefix("p", "dev", "111111111111", "eu-west-2") != domain_prefix(
        "p", "dev", "222222222222", "eu-west-2"
    )


def test_the_app_gets_the_sign_in_settings(model):
    env = environment(model)
    assert set(env) >= SIGN_IN_VARIABLES
    pool = model.one(POOL)
    assert env["OIDC_ISSUER"] == (
        f"https://cognito-idp.{model.data['region']}.amazonaws.com/{pool['name']}-id"
    )
    assert env["OIDC_CLIENT_ID"] == f"{model.one(CLIENT)['name']}-id"
    outputs = model.data["outputs"]
    assert outputs["oidc_issuer"] == env["OIDC_ISSUER"]
    assert outputs["oidc_client_id"] == env["OIDC_CLIENT_ID"]
    assert outputs["user_pool_id"] == f"{pool['name']}-id"
    prefix = model.one(DOMAIN)["inputs"]["domain"]
    assert outputs["managed_login_url"] == (
        f"https://{prefix}.auth.{model.data['region']}.amazoncognito.com"
    )


def test_the_session_secret_is_a_secret_never_a_plain_value(model):
    definition = container(model)
    assert "SESSION_SECRET" not in environment(model)
    [secret] = model.of_type(SECRET)
    session = [s for s in definition["secrets"] if s["name"] == "SESSION_SECRET"]
    assert session == [
        {"name": "SESSION_SECRET", "valueFrom": f"arn:aws:secretsmanager:{model.data['region']}"
                                                f":{ACCOUNT}:secret:{secret['name']}-AbCdEf"}
    ]  # fmt: skip
    # Encrypted with the project's own key (the database's), generated, 48+ characters.
    key = database_key(model)
    assert secret["inputs"]["kmsKeyId"].endswith(f"key/{key['name']}")
    [value] = model.of_type("random:index/randomPassword:RandomPassword")
    assert value["inputs"]["length"] >= 48 and value["inputs"]["special"] is False
    [version] = model.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert version["inputs"]["secretString"] == "[secret]"


def test_the_execution_role_reads_exactly_the_session_secret(model):
    [policy] = [
        json.loads(r["inputs"]["policy"])
        for r in model.of_type("aws:iam/rolePolicy:RolePolicy")
        if r["name"] == "service-execution-secret"
    ]
    region, key = model.data["region"], database_key(model)["name"]
    session = model.one(SECRET)["name"]
    by_action = {tuple(s["Action"]): s["Resource"] for s in policy["Statement"]}
    assert by_action == {
        ("secretsmanager:GetSecretValue",): [
            f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{session}-AbCdEf",
        ],
        ("kms:Decrypt",): [f"arn:aws:kms:{region}:{ACCOUNT}:key/{key}"],
    }
    assert all(s["Effect"] == "Allow" and "*" not in json.dumps(s) for s in policy["Statement"])
