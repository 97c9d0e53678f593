"""Sign-in: a fake identity provider (discovery, keys, token endpoint) issues real signed
tokens; no test reaches the network."""

import base64
import hashlib
{%- if cookiecutter.starter == "minimal" %}
import re
{%- endif %}
import time
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from pydantic import ValidationError

from {{ cookiecutter.project_slug }} import auth
from {{ cookiecutter.project_slug }}.main import create_app
from {{ cookiecutter.project_slug }}.settings import Settings

from .conftest import CSRF_FIELD, sign_in
{#- An API call that needs a signed-in user, to test sign-in with, and its answer. #}
{%- if cookiecutter.starter == "reference" %}
{%- set api_ok = 200 %}
{%- macro api_call(client) %}{{ client }}.get("/api/tickets"{% endmacro %}
{%- macro api_write(client) %}{{ client }}.post("/api/tickets", json={"title": "VPN drops"}{% endmacro %}
{%- else %}
{%- set api_ok = 201 %}
{%- macro api_call(client) %}post_example({{ client }}{% endmacro %}
{%- macro api_write(client) %}post_example({{ client }}{% endmacro %}
{%- endif %}

ISSUER = "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_Test"
CLIENT_ID = "test-client"
LOGIN_HOST = "https://desk-test.auth.eu-west-2.amazoncognito.com"
PUBLIC_URL = "https://desk.example.co.uk"
SECRET = "x" * 40


class FakeProvider:
    """Cognito as the app sees it: discovery, JWKS and the token endpoint."""

    def __init__(self, key: RSAKey) -> None:
        self.key = key
        self.published = [key]
        self.jwks_fetches = 0
        self.codes: dict[str, dict] = {}  # code -> what the authorization step recorded

    def sign(self, claims: dict, key: RSAKey | None = None) -> str:
        key = key or self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key, algorithms=["RS256"])

    def access_token(self, key: RSAKey | None = None, **changes) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": "user-1",
            "username": "ada",
            "token_use": "access",
            "client_id": CLIENT_ID,
            "scope": "openid email profile",
            "iat": now,
            "exp": now + 3600,
        }
        claims.update(changes)
        return self.sign({k: v for k, v in claims.items() if v is not None}, key)

    def id_token(self, nonce: str, changes: dict) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": "user-1",
            "aud": CLIENT_ID,
            "email": "ada@example.co.uk",
            "name": "Ada Lovelace",
            "token_use": "id",
            "nonce": nonce,
            "iat": now,
            "exp": now + 3600,
        }
        claims.update(changes)
        return self.sign(claims)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        url = str(request.url)
        if url == f"{ISSUER}/.well-known/openid-configuration":
            return httpx2.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{LOGIN_HOST}/oauth2/authorize",
                    "token_endpoint": f"{LOGIN_HOST}/oauth2/token",
                    "jwks_uri": f"{ISSUER}/.well-known/jwks.json",
                    "id_token_signing_alg_values_supported": ["RS256"],
                },
            )
        if url == f"{ISSUER}/.well-known/jwks.json":
            self.jwks_fetches += 1
            return httpx2.Response(
                200, json={"keys": [k.as_dict(private=False) for k in self.published]}
            )
        if url == f"{LOGIN_HOST}/oauth2/token" and request.method == "POST":
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            grant = self.codes.pop(form.get("code", ""), None)
            if grant is None or form.get("client_id") != CLIENT_ID:
                return httpx2.Response(400, json={"error": "invalid_grant"})
            verifier = form.get("code_verifier", "").encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if challenge.decode() != grant["code_challenge"]:
                return httpx2.Response(400, json={"error": "invalid_grant"})  # PKCE failed
            return httpx2.Response(
                200,
                json={
                    "access_token": self.access_token(),
                    "id_token": self.id_token(grant["nonce"], grant["id_token_changes"]),
                    "token_type": "Bearer",
                    "expires_in": 3600,
                },
            )
        return httpx2.Response(404)


def rsa_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})


@pytest.fixture(scope="module")
def keys() -> tuple[RSAKey, RSAKey]:
    return rsa_key("key-1"), rsa_key("key-2")  # generated once: it takes a moment


@pytest.fixture
def idp(keys) -> FakeProvider:
    return FakeProvider(keys[0])


def aws_settings(settings: Settings, environment: str = "dev") -> Settings:
    return settings.model_copy(
        update={
            "environment": environment,
            "oidc_issuer": ISSUER,
            "oidc_client_id": CLIENT_ID,
            "public_url": PUBLIC_URL,
            "session_secret": SECRET,
        }
    )


def aws_client(settings: Settings, idp: FakeProvider, environment: str = "dev") -> TestClient:
    app = create_app(
        aws_settings(settings, environment), auth_transport=httpx2.MockTransport(idp.handle)
    )
    # HTTPS, as behind CloudFront: the session cookie is Secure outside local.
    return TestClient(app, base_url="https://testserver")


@pytest.fixture
def aws(settings, idp):
    with aws_client(settings, idp) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
{%- if cookiecutter.starter == "minimal" %}


def post_example(client: TestClient, **kwargs) -> httpx2.Response:
    """A call to the example API, which needs a signed-in user (201 when allowed). When
    examples.py goes, call one of your own API routes here."""
    return client.post("/api/examples", json={"name": "VPN drops"}, **kwargs)
{%- endif %}


# --- API: bearer access tokens ----------------------------------------------------------


def test_valid_access_token_is_accepted(aws, idp):
    response = {{ api_call("aws") }}, headers=bearer(idp.access_token()))
    assert response.status_code == {{ api_ok }}, response.text


def test_api_without_credentials_is_401_with_a_bearer_challenge(aws):
    response = {{ api_call("aws") }})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda idp, keys: idp.access_token(exp=int(time.time()) - 300), id="expired"),
        pytest.param(lambda idp, keys: idp.access_token(nbf=int(time.time()) + 600), id="not-yet"),
        pytest.param(lambda idp, keys: idp.access_token(client_id="other-app"), id="client-id"),
        pytest.param(lambda idp, keys: idp.access_token(client_id=None), id="no-client-id"),
        pytest.param(lambda idp, keys: idp.access_token(iss=ISSUER + "x"), id="issuer"),
        pytest.param(lambda idp, keys: idp.access_token(token_use="id"), id="token-use"),
        pytest.param(lambda idp, keys: idp.access_token(key=keys[1]), id="unknown-kid"),
        pytest.param(lambda idp, keys: idp.access_token()[:-4] + "AAAA", id="tampered"),
        pytest.param(
            lambda idp, keys: (
                idp.access_token().rsplit(".", 1)[0]
                + "."
                + idp.access_token(
                    key=RSAKey.import_key(keys[1].as_dict(private=True), {"kid": "key-1"})
                ).rsplit(".", 1)[1]
            ),
            id="wrong-signature",
        ),
        pytest.param(
            lambda idp, keys: jwt.encode(
                {"alg": "HS256", "kid": "key-1"},
                {
                    "iss": ISSUER,
                    "sub": "x",
                    "token_use": "access",
                    "client_id": CLIENT_ID,
                    "exp": int(time.time()) + 60,
                },
                OctKey.import_key(b"k" * 32),
            ),
            id="hs256",
        ),
        pytest.param(lambda idp, keys: "not-a-jwt", id="garbage"),
    ],
)
def test_bad_access_tokens_are_refused_without_echoing_them(aws, idp, keys, make_token):
    token = make_token(idp, keys)
    response = {{ api_call("aws") }}, headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert token not in response.text


def test_unknown_key_id_fetches_the_keys_again_once(aws, idp, keys):
    assert {{ api_call("aws") }}, headers=bearer(idp.access_token())).status_code == {{ api_ok }}
    assert idp.jwks_fetches == 1
    aws.app.state.oidc_provider.refresh_seconds = 0  # no cool-down in the test
    idp.published = [keys[0], keys[1]]  # the provider rotated its keys
    token = idp.access_token(key=keys[1])
    assert {{ api_call("aws") }}, headers=bearer(token)).status_code == {{ api_ok }}
    assert {{ api_call("aws") }}, headers=bearer(token)).status_code == {{ api_ok }}
    assert idp.jwks_fetches == 2, "fetched again once, then cached"


def test_bearer_api_calls_need_no_csrf_token(aws, idp):
{%- if cookiecutter.starter == "reference" %}
    response = aws.post(
        "/api/tickets", json={"title": "VPN drops"}, headers=bearer(idp.access_token())
    )
{%- else %}
    response = post_example(aws, headers=bearer(idp.access_token()))
{%- endif %}
    assert response.status_code == 201, response.text


# --- Pages: authorization code flow with PKCE -------------------------------------------


def start_login(client: TestClient, next_path: str = "/") -> dict[str, str]:
    response = client.get("/auth/login", params={"next": next_path}, follow_redirects=False)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert (
        f"{location.scheme}://{location.netloc}{location.path}" == f"{LOGIN_HOST}/oauth2/authorize"
    )
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def finish_login(client: TestClient, idp: FakeProvider, params: dict, **id_token_changes):
    idp.codes["code-1"] = {
        "nonce": params["nonce"],
        "code_challenge": params["code_challenge"],
        "id_token_changes": id_token_changes,
    }
    return client.get(
        "/auth/callback",
        params={"code": "code-1", "state": params["state"]},
        follow_redirects=False,
    )


def test_login_redirects_to_the_provider_with_pkce_state_and_nonce(aws):
    params = start_login(aws)
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) >= 43
    assert params["state"] and params["nonce"]
    assert params["client_id"] == CLIENT_ID
    assert params["response_type"] == "code"
    assert params["redirect_uri"] == f"{PUBLIC_URL}/auth/callback"
    assert "openid" in params["scope"].split()


def test_full_sign_in_and_sign_out(aws, idp):
    page = aws.get("/?created=1", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/auth/login?next=/%3Fcreated%3D1"
    params = start_login(aws, "/?created=1")
    done = finish_login(aws, idp, params)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/?created=1", "back where the user started"
    page = aws.get("/")
    assert page.status_code == 200
    assert "Signed in as <strong>Ada Lovelace</strong>" in page.text
    assert 'href="/auth/logout"' in page.text

    out = aws.get("/auth/logout", follow_redirects=False)
    assert out.status_code == 303
    location = urlsplit(out.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{LOGIN_HOST}/logout"
    assert parse_qs(location.query) == {"client_id": [CLIENT_ID], "logout_uri": [f"{PUBLIC_URL}/"]}
    assert aws.get("/", follow_redirects=False).status_code == 303, "signed out"


@pytest.mark.parametrize(
    "changes",
    [
        {"nonce": "replayed"},
        {"aud": "other-app"},
        {"iss": "https://evil.example"},
        {"exp": int(time.time()) - 3600},
    ],
    ids=["nonce", "audience", "issuer", "expired"],
)
def test_callback_refuses_a_bad_id_token(aws, idp, changes):
    response = finish_login(aws, idp, start_login(aws), **changes)
    assert response.status_code == 400
    assert "Sign-in failed" in response.text
    assert aws.get("/", follow_redirects=False).status_code == 303, "not signed in"


def test_callback_without_a_matching_state_is_refused(aws, idp):
    params = start_login(aws)
    response = finish_login(aws, idp, {**params, "state": "forged"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("asked", "safe"),
    [
{%- set local_path = "/tickets?x=1" if cookiecutter.starter == "reference" else "/?page=2" %}
        ("{{ local_path }}", "{{ local_path }}"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("evil", "/"),
        ("/\nSet-Cookie:x", "/"),
        (None, "/"),
    ],
)
def test_return_path_is_a_local_path_only(asked, safe):
    assert auth.safe_next(asked) == safe


def test_session_cookie_is_secure_httponly_lax_with_a_max_age(aws):
    start_login(aws)  # the login stores its state in the session
    [cookie] = [c for c in aws.cookies.jar if c.name == auth.SESSION_COOKIE]
    assert cookie.secure
    response = aws.get("/auth/login", follow_redirects=False)
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=lax" in header and "secure" in header
    assert f"max-age={auth.SESSION_MAX_AGE}" in header


def test_sessions_end_after_the_maximum_age(client, monkeypatch):
    assert client.get("/", follow_redirects=False).status_code == 200
    later = time.time() + auth.SESSION_MAX_AGE + 1
    monkeypatch.setattr(auth.time, "time", lambda: later)
    assert client.get("/", follow_redirects=False).status_code == 303


# --- CSRF -------------------------------------------------------------------------------


{% if cookiecutter.starter == "reference" -%}
@pytest.mark.parametrize("token", [None, "wrong"])
def test_form_post_without_the_right_csrf_token_is_403(client, token):
    del client.headers["X-CSRF-Token"]
    data = {"title": "Monitor flickers"} | ({"csrf_token": token} if token else {})
    assert client.post("/tickets", data=data).status_code == 403
    assert client.get("/api/tickets").json()["items"] == []


def test_form_post_with_the_csrf_token_from_the_page_works(client):
    del client.headers["X-CSRF-Token"]
    token = CSRF_FIELD.search(client.get("/").text).group(1)
    data = {"title": "Monitor flickers", "csrf_token": token}
    assert client.post("/tickets", data=data, follow_redirects=False).status_code == 303


{% endif -%}
def test_api_call_by_session_cookie_needs_the_csrf_header(client):
    del client.headers["X-CSRF-Token"]
    assert {{ api_write("client") }}).status_code == 403


# --- Local development sign-in and tokens -----------------------------------------------


def test_without_a_provider_locally_login_uses_the_development_sign_in(anonymous):
    response = anonymous.get("/auth/login", params={"next": "/?q=vpn"}, follow_redirects=False)
    assert response.headers["location"] == "/auth/dev-login?next=/%3Fq%3Dvpn"
    sign_in(anonymous, "Grace")
    assert "Signed in as <strong>Grace</strong>" in anonymous.get("/").text
    anonymous.get("/auth/logout")
    assert anonymous.get("/", follow_redirects=False).status_code == 303


def test_development_sign_in_needs_a_name(anonymous):
    token = CSRF_FIELD.search(anonymous.get("/auth/dev-login").text).group(1)
    response = anonymous.post("/auth/dev-login", data={"name": " ", "csrf_token": token})
    assert response.status_code == 422 and 'role="alert"' in response.text


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_development_sign_in_is_404_outside_local(settings, idp, environment):
    with aws_client(settings, idp, environment) as client:
        assert client.get("/auth/dev-login").status_code == 404
        assert client.post("/auth/dev-login", data={"name": "Mallory"}).status_code in (403, 404)
        assert client.get("/", follow_redirects=False).status_code == 303


def test_development_token_is_accepted_locally(anonymous, settings, capsys, monkeypatch):
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    monkeypatch.delenv("SESSION_SECRET", raising=False)
    assert auth.main(["dev-token"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    response = {{ api_write("anonymous") }}, headers=bearer(token))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_development_token_is_refused_outside_local(settings, idp, environment):
    token = auth.issue_dev_token(settings.model_copy(update={"session_secret": SECRET}))
    with aws_client(settings, idp, environment) as client:
        assert {{ api_call("client") }}, headers=bearer(token)).status_code == 401


def test_dev_token_command_refuses_outside_local(monkeypatch, capsys):
    for name, value in {
        "ENVIRONMENT": "prod",
        "OIDC_ISSUER": ISSUER,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "PUBLIC_URL": PUBLIC_URL,
        "SESSION_SECRET": SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    assert auth.main(["dev-token"]) == 1
    assert "ENVIRONMENT=local" in capsys.readouterr().err


# --- Settings ---------------------------------------------------------------------------


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_outside_local_the_app_refuses_to_start_without_sign_in_settings(environment):
    with pytest.raises(ValidationError) as error:
        Settings(environment=environment)
    for name in ("OIDC_ISSUER", "OIDC_CLIENT_ID", "PUBLIC_URL", "SESSION_SECRET"):
        assert name in str(error.value)


def test_session_secret_must_be_long_and_public_url_https():
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(session_secret="short")  # pragma: allowlist secret
    fields = {"oidc_issuer": ISSUER, "oidc_client_id": CLIENT_ID, "session_secret": SECRET}
    with pytest.raises(ValidationError, match="https://"):
        Settings(environment="prod", public_url="http://desk.example.co.uk", **fields)
    assert "x" * 40 not in repr(Settings(session_secret=SECRET))


# --- Every route is protected -----------------------------------------------------------

PUBLIC = {"/healthz", "/readyz", "/version"}
{%- if cookiecutter.starter == "minimal" %}
PATH_PARAMETER = re.compile(r"\{[^}]+\}")
{%- endif %}


def test_every_route_but_health_and_sign_in_requires_a_signed_in_user(settings, idp):
    """Walks the app's routes, so a new route without protection fails here."""
    with aws_client(settings, idp) as client:
        checked = 0
        for route in iter_route_contexts(client.app.routes):
            methods = getattr(route, "methods", None) or set()
{%- if cookiecutter.starter == "reference" %}
            path = route.path.replace("{ticket_id}", "1")
{%- else %}
            path = PATH_PARAMETER.sub("1", route.path)  # /api/rooms/{room_id} -> /api/rooms/1
{%- endif %}
            if route.path in PUBLIC or route.path.startswith("/auth/") or not methods:
                continue
            for method in sorted(methods & {"GET", "POST", "PUT", "PATCH", "DELETE"}):
                response = client.request(method, path, follow_redirects=False)
                if auth.is_api(path):
                    assert response.status_code == 401, (method, path)
                else:
                    assert response.status_code == 303, (method, path)
                    assert response.headers["location"].startswith("/auth/login"), (method, path)
                checked += 1
{%- if cookiecutter.starter == "reference" %}
        assert checked >= 11  # the ticket API and pages, and the API docs
{%- else %}
        assert checked >= 6  # the example API and page, and the API docs
{%- endif %}


def test_every_form_post_checks_the_csrf_token(client):
    del client.headers["X-CSRF-Token"]
    for route in iter_route_contexts(client.app.routes):
        if "POST" in (getattr(route, "methods", None) or set()):
{%- if cookiecutter.starter == "reference" %}
            path = route.path.replace("{ticket_id}", "1")
{%- else %}
            path = PATH_PARAMETER.sub("1", route.path)  # /api/rooms/{room_id} -> /api/rooms/1
{%- endif %}
            response = client.post(path, data={"title": "A title"}, follow_redirects=False)
            assert response.status_code == 403, path


def test_api_docs_are_served_to_developers_only(settings, idp):
    """The interactive docs map every route for whoever finds them: local and dev only."""
    for environment in ("local", "dev", "staging", "prod"):
        app = create_app(
            aws_settings(settings, environment) if environment != "local" else settings,
            auth_transport=httpx2.MockTransport(idp.handle),
        )
        paths = {route.path for route in iter_route_contexts(app.routes)}
        served = {"/docs", "/redoc", "/openapi.json"} & paths
        if environment in ("local", "dev"):
            assert served == {"/docs", "/redoc", "/openapi.json"}, environment
        else:
            assert served == set(), environment
