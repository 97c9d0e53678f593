"""Sign-in: every page and API route needs a signed-in user, except health and version.

Pages use OpenID Connect's authorization-code flow with PKCE (S256) against the identity
provider (Amazon Cognito in AWS), through Authlib. The provider signs the user in; the app
checks the ID token (issuer, audience, expiry, nonce) and keeps a minimal user in a signed,
HttpOnly session cookie. Forms carry a per-session CSRF token.

The API accepts a bearer access token, checked against the provider's published keys
(JWKS): RS256 signature, issuer, expiry, `token_use` = access and `client_id` = this app.
A valid session cookie is accepted too (the page's own requests).

Locally (ENVIRONMENT=local) with no OIDC_ISSUER, `/auth/dev-login` signs you in with any
display name, and `python -m {{ cookiecutter.project_slug }}.auth dev-token` prints a token for the API, signed
with a local development key. Both are refused in every other environment.

A middleware protects every path but PUBLIC_PATHS and PUBLIC_PREFIXES, so a new route is
protected without anyone having to remember it.
"""

import argparse
import hashlib
import hmac
import logging
import secrets
import sys
import time
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

import httpx2
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.starlette_client import OAuth
from fastapi import APIRouter, FastAPI, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet, OctKey
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from .settings import LOCAL_ONLY_KEY_MATERIAL, Settings

log = logging.getLogger(__name__)

# Reachable without signing in: the load balancer's and pipeline's probes, the stylesheet,
# and the sign-in routes themselves.
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/version"})
PUBLIC_PREFIXES = ("/static/", "/auth/")
SESSION_COOKIE = "session"
SESSION_MAX_AGE = 8 * 60 * 60  # a working day; then sign in again
LEEWAY_SECONDS = 60  # clock difference tolerated on exp and nbf
KEYS_REFRESH_SECONDS = 60  # an unknown key id fetches the keys again, at most this often
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
DEV_ISSUER = "local-development"
DEV_CLIENT_ID = "local-development"
PAGE_CSP = "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"


class TokenError(Exception):
    """A bearer token that is missing, malformed, expired or not for this app."""


class ProviderUnavailable(Exception):
    """The identity provider's discovery document or keys could not be fetched."""


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def safe_next(value: str | None) -> str:
    """A path on this site to return to after signing in; anything else becomes "/".

    Only a local path is accepted ("{{ "/tickets?x=1" if cookiecutter.starter == "reference" else "/?page=2" }}"), never "//evil.example" or a full URL,
    so the sign-in cannot be used to send users to another site (open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(c) < 32 for c in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


# --- Bearer tokens from the identity provider -------------------------------------------


class OidcProvider:
    """The provider's discovery document and signing keys, fetched once and cached.

    Keys are fetched again on a token signed with an unknown key id (the provider rotated
    its keys), at most once every KEYS_REFRESH_SECONDS, so random key ids cannot make the
    app hammer the provider."""

    def __init__(
        self, issuer: str, client_id: str, transport: httpx2.AsyncBaseTransport | None = None
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.transport = transport
        self.refresh_seconds = KEYS_REFRESH_SECONDS
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._keys_fetched_at = 0.0

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with httpx2.AsyncClient(transport=self.transport, timeout=10) as client:
                response = await client.get(url)
                response.raise_for_status()
                return response.json()
        except (httpx2.HTTPError, ValueError) as error:
            log.error("identity provider not reachable", extra={"error": type(error).__name__})
            raise ProviderUnavailable(url) from error

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            metadata = await self._get_json(self.discovery_url)
            if metadata.get("issuer", "").rstrip("/") != self.issuer:
                log.error("discovery document names another issuer")
                raise ProviderUnavailable(self.discovery_url)
            self._metadata = metadata
        return self._metadata

    async def keys(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            jwks_uri = (await self.metadata())["jwks_uri"]
            self._keys = KeySet.import_key_set(await self._get_json(jwks_uri))
            self._keys_fetched_at = time.monotonic()
        return self._keys

    async def verify_access_token(self, token: str) -> dict[str, Any]:
        keys = await self.keys()
        try:
            try:
                decoded = jwt.decode(token, keys, algorithms=["RS256"])
            except InvalidKeyIdError:
                if time.monotonic() - self._keys_fetched_at < self.refresh_seconds:
                    raise
                decoded = jwt.decode(token, await self.keys(refresh=True), algorithms=["RS256"])
            # Cognito access tokens name the app in client_id; they carry no aud.
            jwt.JWTClaimsRegistry(
                leeway=LEEWAY_SECONDS,
                iss={"essential": True, "value": self.issuer},
                sub={"essential": True},
                exp={"essential": True},
                token_use={"essential": True, "value": "access"},
                client_id={"essential": True, "value": self.client_id},
            ).validate(decoded.claims)
        except (JoseError, ValueError, TypeError, KeyError) as error:
            raise TokenError(type(error).__name__) from error
        return decoded.claims

    async def logout_url(self, public_url: str) -> str | None:
        """Where to send the browser to end the provider's own session too, if anywhere.

        An `end_session_endpoint` in discovery is used as OpenID Connect defines it.
        Cognito publishes none: its managed login's `/logout` lives on the same host as
        its authorization endpoint and takes `client_id` and `logout_uri` (which must be
        one of the app client's sign-out URLs: `{PUBLIC_URL}/`)."""
        metadata = await self.metadata()
        return_to = f"{public_url}/"
        if metadata.get("end_session_endpoint"):
            query = urlencode({"client_id": self.client_id, "post_logout_redirect_uri": return_to})
            return f"{metadata['end_session_endpoint']}?{query}"
        host = urlsplit(self.issuer).hostname or ""
        if host.startswith("cognito-idp.") and host.endswith(".amazonaws.com"):
            authorize = urlsplit(metadata["authorization_endpoint"])
            query = urlencode({"client_id": self.client_id, "logout_uri": return_to})
            return f"https://{authorize.netloc}/logout?{query}"
        return None


# --- Development sign-in (ENVIRONMENT=local only) ---------------------------------------


def dev_key(settings: Settings) -> OctKey:
    material = settings.session_secret or LOCAL_ONLY_KEY_MATERIAL
    return OctKey.import_key(hashlib.sha256(f"dev-token:{material}".encode()).digest())


def issue_dev_token(settings: Settings, name: str = "Local developer") -> str:
    if settings.environment != "local":
        raise RuntimeError("development tokens exist only when ENVIRONMENT=local")
    now = int(time.time())
    claims = {
        "iss": DEV_ISSUER,
        "sub": f"dev:{name}",
        "name": name,
        "token_use": "access",
        "client_id": DEV_CLIENT_ID,
        "iat": now,
        "exp": now + SESSION_MAX_AGE,
    }
    return jwt.encode({"alg": "HS256"}, claims, dev_key(settings), algorithms=["HS256"])


def verify_dev_token(settings: Settings, token: str) -> dict[str, Any]:
    if settings.environment != "local":
        raise TokenError("development tokens are refused outside ENVIRONMENT=local")
    try:
        decoded = jwt.decode(token, dev_key(settings), algorithms=["HS256"])
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": DEV_ISSUER},
            sub={"essential": True},
            exp={"essential": True},
            token_use={"essential": True, "value": "access"},
            client_id={"essential": True, "value": DEV_CLIENT_ID},
        ).validate(decoded.claims)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise TokenError(type(error).__name__) from error
    return decoded.claims


# --- Who is asking: the middleware ------------------------------------------------------


def session_user(session: dict[str, Any]) -> dict[str, Any] | None:
    user = session.get("user")
    if not isinstance(user, dict):
        return None
    if time.time() - user.get("auth_time", 0) > SESSION_MAX_AGE:
        session.clear()  # signed in too long ago, whatever the cookie says
        return None
    return user


def unauthorised(detail: str, error: str | None = None) -> JSONResponse:
    challenge = f'Bearer error="{error}"' if error else "Bearer"
    return JSONResponse(
        {"detail": detail},
        status_code=status.HTTP_401_UNAUTHORIZED,
        headers={"WWW-Authenticate": challenge},
    )


class RequireSignIn:
    """Refuses every request that is not signed in, except to the public paths.

    Sets request.state.user (a dict, or None) and request.state.auth ("bearer",
    "session" or None). Must sit inside SessionMiddleware."""

    def __init__(self, app: ASGIApp, settings: Settings, provider: OidcProvider | None) -> None:
        self.app = app
        self.settings = settings
        self.provider = provider

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["user"], state["auth"] = None, None
        session = scope["session"]
        path = scope["path"]
        authorization = Request(scope).headers.get("Authorization", "")
        if is_public(path):
            state["user"] = session_user(session)
            await self.app(scope, receive, send)
            return
        if authorization:
            response = await self._bearer(authorization, state)
            if response is not None:
                await response(scope, receive, send)
                return
        elif (user := session_user(session)) is not None:
            state["user"], state["auth"] = user, "session"
        else:
            await self._sign_in_first(scope)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _bearer(self, authorization: str, state: dict[str, Any]) -> Response | None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return unauthorised("Use an Authorization: Bearer access token", "invalid_request")
        token = token.strip()
        try:
            claims = await self._verify(token)
        except TokenError as error:
            # The reason is logged, never the token itself.
            log.info("bearer token refused", extra={"reason": str(error)})
            return unauthorised("Invalid or expired access token", "invalid_token")
        except ProviderUnavailable:
            return JSONResponse(
                {"detail": "Sign-in provider unavailable, try again shortly"},
                status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        state["user"] = {
            "sub": claims["sub"],
            "name": claims.get("name") or claims.get("username") or claims["sub"],
        }
        state["auth"] = "bearer"
        return None

    async def _verify(self, token: str) -> dict[str, Any]:
        if self.settings.environment == "local":
            try:
                return verify_dev_token(self.settings, token)
            except TokenError:
                if self.provider is None:
                    raise
        if self.provider is None:
            raise TokenError("no identity provider configured")
        return await self.provider.verify_access_token(token)

    @staticmethod
    def _sign_in_first(scope: Scope) -> Response:
        if is_api(scope["path"]):
            return unauthorised("Sign in first: send an Authorization: Bearer access token")
        back = "/"
        if scope["method"] in SAFE_METHODS:
            query = scope.get("query_string", b"").decode("latin-1")
            back = scope["path"] + (f"?{query}" if query else "")
        return RedirectResponse(
            f"/auth/login?next={quote(safe_next(back))}", status_code=status.HTTP_303_SEE_OTHER
        )


# --- CSRF -------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """This session's CSRF token, for a hidden field in every form (made on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def check_csrf(request: Request) -> None:
    """A dependency of every route: a state-changing request that relies on the session
    cookie must prove it came from our own page, with the session's CSRF token in the
    form field csrf_token or the X-CSRF-Token header. Bearer tokens need none (a browser
    never adds them by itself)."""
    if request.method in SAFE_METHODS or getattr(request.state, "auth", None) == "bearer":
        return
    sent = request.headers.get(CSRF_HEADER, "")
    content_type = request.headers.get("Content-Type", "")
    if not sent and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = str((await request.form()).get(CSRF_FIELD, ""))
    expected = request.session.get("csrf", "")
    if not expected or not sent or not hmac.compare_digest(sent, expected):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Missing or invalid CSRF token")


# --- Routes -----------------------------------------------------------------------------

router = APIRouter(prefix="/auth", include_in_schema=False)


def sign_in(request: Request, user: dict[str, Any]) -> None:
    """Start a fresh session for the user: nothing from before survives, new CSRF token."""
    next_path = safe_next(request.session.get("next"))
    request.session.clear()
    request.session["user"] = {**user, "auth_time": int(time.time())}
    request.session["csrf"] = secrets.token_urlsafe(32)
    request.session["next"] = next_path


def page(request: Request, template: str, context: dict[str, Any], code: int = 200) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request, template, context, status_code=code, headers={"Content-Security-Policy": PAGE_CSP}
    )


def callback_url(request: Request) -> str:
    public_url = request.app.state.settings.public_url.rstrip("/")
    return f"{public_url}/auth/callback" if public_url else str(request.url_for("auth_callback"))


@router.get("/login")
async def login(request: Request, next: str | None = None):
    request.session["next"] = safe_next(next)
    oauth_client = request.app.state.oauth_client
    if oauth_client is None:  # local, no provider configured: the development sign-in
        return RedirectResponse(f"/auth/dev-login?next={quote(safe_next(next))}")
    # Authlib adds state, nonce and the PKCE code_challenge (S256), and keeps the
    # matching values in the session for the callback.
    return await oauth_client.authorize_redirect(request, callback_url(request))


@router.get("/callback", name="auth_callback")
async def callback(request: Request):
    oauth_client = request.app.state.oauth_client
    if oauth_client is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND)
    settings = request.app.state.settings
    try:
        token = await oauth_client.authorize_access_token(
            request,
            leeway=LEEWAY_SECONDS,
            claims_options={
                "iss": {"essential": True, "value": settings.oidc_issuer.rstrip("/")},
                "aud": {"essential": True, "value": settings.oidc_client_id},
                "exp": {"essential": True},
            },
        )
        claims = token.get("userinfo")
        if not claims:
            raise ValueError("no ID token")
    except (AuthlibBaseError, JoseError, httpx2.HTTPError, ValueError, KeyError) as error:
        log.warning("sign-in failed", extra={"error": type(error).__name__})
        return page(request, "sign_in_failed.html", {}, status.HTTP_400_BAD_REQUEST)
    sign_in(
        request,
        {
            "sub": claims["sub"],
            "email": claims.get("email", ""),
            "name": claims.get("name") or claims.get("email") or claims["sub"],
        },
    )
    return RedirectResponse(request.session.pop("next"), status_code=status.HTTP_303_SEE_OTHER)


@router.get("/logout")
async def logout(request: Request):
    request.session.clear()
    provider = request.app.state.oidc_provider
    if provider is not None:
        settings = request.app.state.settings
        public_url = settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
        url = await provider.logout_url(public_url)
        if url:
            return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)
    return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)


def local_only(request: Request) -> None:
    if request.app.state.settings.environment != "local":
        raise HTTPException(status.HTTP_404_NOT_FOUND)


@router.get("/dev-login", response_class=HTMLResponse)
def dev_login_form(request: Request, next: str | None = None):
    local_only(request)
    if next is not None:
        request.session["next"] = safe_next(next)
    return page(request, "dev_login.html", {"name": "", "error": ""})


@router.post("/dev-login")
def dev_login(request: Request, name: Annotated[str, Form()] = ""):
    local_only(request)
    name = " ".join(name.split())
    if not 1 <= len(name) <= 60:
        error = "Enter a display name of 60 characters or fewer"
        return page(request, "dev_login.html", {"name": name, "error": error}, 422)
    sign_in(request, {"sub": f"dev:{name}", "email": "", "name": name})
    return RedirectResponse(request.session.pop("next"), status_code=status.HTTP_303_SEE_OTHER)


# --- Wiring -----------------------------------------------------------------------------


def install(
    app: FastAPI, settings: Settings, transport: httpx2.AsyncBaseTransport | None = None
) -> None:
    """Add sign-in to the app. `transport` replaces the network in tests."""
    provider, oauth_client = None, None
    if settings.oidc_issuer:
        provider = OidcProvider(settings.oidc_issuer, settings.oidc_client_id, transport)
        client_kwargs: dict[str, Any] = {
            "scope": "openid email profile",
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "none",  # a public client: PKCE, no secret
            "timeout": 10,
        }
        if transport is not None:
            client_kwargs["transport"] = transport
        oauth = OAuth()
        oauth_client = oauth.register(
            name="idp",
            client_id=settings.oidc_client_id,
            server_metadata_url=provider.discovery_url,
            client_kwargs=client_kwargs,
        )
    app.state.oidc_provider = provider
    app.state.oauth_client = oauth_client
    app.state.templates.env.globals["csrf_token"] = csrf_token
    # Added first, so it runs inside the session middleware (the last added runs first).
    app.add_middleware(RequireSignIn, settings=settings, provider=provider)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret or LOCAL_ONLY_KEY_MATERIAL,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.environment != "local",  # HTTPS everywhere in AWS
    )
    app.include_router(router)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m {{ cookiecutter.project_slug }}.auth")
    commands = parser.add_subparsers(dest="command", required=True)
    dev_token = commands.add_parser("dev-token", help="print an API token for ENVIRONMENT=local")
    dev_token.add_argument("--name", default="Local developer", help="who the token is for")
    args = parser.parse_args(argv)
    settings = Settings()
    if settings.environment != "local":
        print("Development tokens work only with ENVIRONMENT=local.", file=sys.stderr)
        return 1
    print("A development access token for the local API, valid for 8 hours.")
    print("Accepted only while ENVIRONMENT=local; in AWS, use a Cognito access token.")
{%- if cookiecutter.starter == "reference" %}
    print('Use it as: curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/api/tickets')
{%- else %}
    print(
        'Use it as: curl -H "Authorization: Bearer $TOKEN"'
        ' --json \'{"name": "First example"}\' http://127.0.0.1:8000/api/examples'
    )
{%- endif %}
    print(issue_dev_token(settings, args.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
