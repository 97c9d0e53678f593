"""Sign-in: a Cognito user pool per environment, its managed login pages and the app's client.

The app never sees a password. It sends users to Cognito's managed login (a prefix domain,
<prefix>.auth.<region>.amazoncognito.com), gets an authorization code back on
PUBLIC_URL/auth/callback and swaps it for tokens with PKCE (the client is public: it has
no secret to leak), then verifies the ID token against the pool's published keys
(OIDC_ISSUER/.well-known/openid-configuration). Its own session cookie is signed with
SESSION_SECRET, a random value kept in Secrets Manager.

Users: signed in by e-mail address, which Cognito verifies. Nobody can sign themselves
up: an administrator invites each user (`aws cognito-idp admin-create-user`, see the
README). MFA and the password length come from the environment profile; the second factor
is an authenticator app (TOTP). SMS is not offered: it needs an IAM role for SNS, an exit
from the SMS sandbox, and every message costs money.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

CALLBACK_PATH = "/auth/callback"
LOGOUT_PATH = "/"
# Cognito refuses prefix domains that contain these words.
RESERVED_IN_PREFIX = ("aws", "amazon", "cognito")
PREFIX_MAX = 63
# Token lifetimes: short-lived access and ID tokens; a working day of refreshes.
ACCESS_TOKEN_MINUTES = 60
ID_TOKEN_MINUTES = 60
REFRESH_TOKEN_HOURS = 8
SESSION_SECRET_LENGTH = 64  # letters and digits: about 380 bits


@dataclass(frozen=True)
class IdentityArgs:
    project: str
    environment: str
    region: str
    public_url: pulumi.Input[str]  # https://<custom domain> or https://<CloudFront domain>
    mfa: str  # OFF | OPTIONAL | ON (environment_profile.MFA_MODES)
    password_min_length: int
    deletion_protection: bool  # the users are data: protected where the database is
    secret_key_arn: pulumi.Input[str]  # the KMS key that encrypts the session secret
    # Cognito's threat protection (compromised credentials, adaptive authentication) needs
    # the Plus feature plan, billed per monthly active user; no tier asks for it yet.
    threat_protection: bool = False


def domain_prefix(project: str, environment: str, account_id: str, region: str) -> str:
    """<project>-<env>-<6 hex characters>: prefix domains are unique across all of AWS, so
    the suffix (a hash of the account and region) keeps two accounts with the same project
    name apart, and stays the same on every deploy. Lowercase letters, digits, hyphens;
    never the words Cognito reserves."""
    suffix = hashlib.sha256(f"{account_id}:{region}".encode()).hexdigest()[:6]
    base = re.sub(r"[^a-z0-9-]+", "-", f"{project}-{environment}".lower())
    for word in RESERVED_IN_PREFIX:
        base = base.replace(word, "")
    base = re.sub(r"-{2,}", "-", base).strip("-")[: PREFIX_MAX - len(suffix) - 1].strip("-")
    return f"{base}-{suffix}" if base else f"signin-{suffix}"


class Identity(pulumi.ComponentResource):
    def __init__(self, name: str, args: IdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("epa:identity:Identity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        mfa_on = args.mfa != "OFF"

        self.user_pool = aws.cognito.UserPool(
            f"{name}-users",
            name=f"{args.project}-{args.environment}",
            username_attributes=["email"],  # users sign in with their e-mail address
            username_configuration={"case_sensitive": False},
            auto_verified_attributes=["email"],
            # A changed address is used only once the user proves they own it.
            user_attribute_update_settings={
                "attributes_require_verification_before_updates": ["email"]
            },
            verification_message_template={"default_email_option": "CONFIRM_WITH_CODE"},
            account_recovery_setting={
                "recovery_mechanisms": [{"name": "verified_email", "priority": 1}]
            },
            # Invitation only: an administrator creates each user.
            admin_create_user_config={"allow_admin_create_user_only": True},
            password_policy={
                # Length over complexity (NCSC): no symbol rule, which mostly breeds "Passw0rd!".
                "minimum_length": args.password_min_length,
                "require_lowercase": True,
                "require_uppercase": True,
                "require_numbers": True,
                "require_symbols": False,
                "temporary_password_validity_days": 7,  # an invitation expires after a week
            },
            mfa_configuration=args.mfa,
            software_token_mfa_configuration={"enabled": True} if mfa_on else None,
            # Essentials: managed login (version 2) needs it; the Lite plan has only the
            # classic hosted UI. Plus adds threat protection.
            user_pool_tier="PLUS" if args.threat_protection else "ESSENTIALS",
            user_pool_add_ons={"advanced_security_mode": "ENFORCED"}
            if args.threat_protection
            else None,
            deletion_protection="ACTIVE" if args.deletion_protection else "INACTIVE",
            opts=child,
        )

        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.domain = aws.cognito.UserPoolDomain(
            f"{name}-domain",
            user_pool_id=self.user_pool.id,
            domain=account.account_id.apply(
                lambda account_id: domain_prefix(
                    args.project, args.environment, account_id, args.region
                )
            ),
            managed_login_version=2,  # managed login, not the classic hosted UI
            opts=child,
        )

        self.client = aws.cognito.UserPoolClient(
            f"{name}-app",
            name=f"{args.project}-{args.environment}-app",
            user_pool_id=self.user_pool.id,
            # Public client: the authorization code flow with PKCE, no client secret.
            generate_secret=False,
            allowed_oauth_flows=["code"],
            allowed_oauth_flows_user_pool_client=True,
            allowed_oauth_scopes=["openid", "email", "profile"],
            supported_identity_providers=["COGNITO"],
            callback_urls=[pulumi.Output.concat(args.public_url, CALLBACK_PATH)],
            logout_urls=[pulumi.Output.concat(args.public_url, LOGOUT_PATH)],
            # Passwords are typed only into the managed login pages; the app only
            # refreshes tokens.
            explicit_auth_flows=["ALLOW_REFRESH_TOKEN_AUTH"],
            access_token_validity=ACCESS_TOKEN_MINUTES,
            id_token_validity=ID_TOKEN_MINUTES,
            refresh_token_validity=REFRESH_TOKEN_HOURS,
            token_validity_units={
                "access_token": "minutes",
                "id_token": "minutes",
                "refresh_token": "hours",
            },
            prevent_user_existence_errors="ENABLED",  # no "user not found": no account probing
            enable_token_revocation=True,  # sign-out revokes the refresh token
            opts=child,
        )
        # Managed login (version 2) shows its pages only for a client with a style: this one
        # is Cognito's default look.
        aws.cognito.ManagedLoginBranding(
            f"{name}-branding",
            user_pool_id=self.user_pool.id,
            client_id=self.client.id,
            use_cognito_provided_values=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.domain]),
        )

        # The key that signs the app's session cookies. Its value lives in Secrets Manager,
        # and in Pulumi's state encrypted as a secret (RandomPassword's result always is).
        session_value = random.RandomPassword(
            f"{name}-session", length=SESSION_SECRET_LENGTH, special=False, opts=child
        )
        self.session_secret = aws.secretsmanager.Secret(
            f"{name}-session",
            description=f"{args.project} {args.environment}: the app's session signing key",
            kms_key_id=args.secret_key_arn,
            opts=child,
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-session",
            secret_id=self.session_secret.id,
            secret_string=session_value.result,
            opts=child,
        )

        self.user_pool_id = self.user_pool.id
        self.client_id = self.client.id
        self.issuer = pulumi.Output.concat(
            "https://cognito-idp.", args.region, ".amazonaws.com/", self.user_pool.id
        )
        self.managed_login_url = pulumi.Output.concat(
            "https://", self.domain.domain, ".auth.", args.region, ".amazoncognito.com"
        )
        self.session_secret_arn = self.session_secret.arn
        self.register_outputs(
            {
                "user_pool_id": self.user_pool_id,
                "client_id": self.client_id,
                "issuer": self.issuer,
                "managed_login_url": self.managed_login_url,
                "session_secret_arn": self.session_secret_arn,
            }
        )
