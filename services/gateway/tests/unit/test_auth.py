"""Bearer JWT verification: what is accepted, and every way a token is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from pydantic import ValidationError

from gateway.app import create_app
from gateway.auth import Role, TokenVerifier
from gateway.problems import ProblemError
from gateway.settings import PUBLISHED_DEV_SECRETS, GatewaySettings
from ishc_contracts import new_id
from ishc_runtime.testing.waiting import wait_until

from ..support import (
    CLUB_A,
    EXTRA_COMMANDS,
    TEST_SECRET,
    FakeBus,
    auth,
    claims,
    command_headers,
    dev_settings,
    jwks_document,
    raw_token,
    token,
)

pytestmark = pytest.mark.unit

DEPOSIT = "/v1/sample/commands/record-thing"
BODY = {"club_id": str(CLUB_A), "note": "hello"}


def refused(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"] == "https://ishc.vn/problems/unauthenticated"


def test_a_valid_dev_token_is_accepted(client: TestClient) -> None:
    response = client.post(DEPOSIT, json=BODY, headers=command_headers(token()))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}, auth("x.y.z")],
)
def test_missing_or_malformed_credentials_are_401(
    client: TestClient, headers: dict[str, str]
) -> None:
    refused(client.post(DEPOSIT, json=BODY, headers={**headers, "Idempotency-Key": str(new_id())}))


def test_an_expired_token_is_refused(client: TestClient) -> None:
    old = datetime.now(UTC) - timedelta(hours=2)
    refused(client.post(DEPOSIT, json=BODY, headers=command_headers(token(now=old))))


def test_expiry_within_the_leeway_is_tolerated(client: TestClient) -> None:
    just_expired = datetime.now(UTC) - timedelta(minutes=10, seconds=10)  # exp 10 s ago
    response = client.post(DEPOSIT, json=BODY, headers=command_headers(token(now=just_expired)))
    assert response.status_code == 201


def test_a_token_not_yet_valid_is_refused(client: TestClient) -> None:
    future = datetime.now(UTC) + timedelta(minutes=5)
    refused(client.post(DEPOSIT, json=BODY, headers=command_headers(token(now=future))))


@pytest.mark.parametrize(
    "bad",
    [
        {"audience": "someone-else"},
        {"issuer": "https://evil.example"},
        {"secret": "another-secret-that-is-long-enough-0123456789"},
    ],
)
def test_wrong_audience_issuer_or_key_is_refused(client: TestClient, bad: dict[str, Any]) -> None:
    refused(client.post(DEPOSIT, json=BODY, headers=command_headers(token(**bad))))


@pytest.mark.parametrize(
    "changes",
    [{"sub": None}, {"exp": None}, {"iat": None}, {"role": "king"}, {"role": None}],
)
def test_missing_required_claims_or_unknown_roles_are_refused(
    client: TestClient, changes: dict[str, Any]
) -> None:
    bearer = raw_token(claims(**changes), TEST_SECRET, "HS256")
    refused(client.post(DEPOSIT, json=BODY, headers=command_headers(bearer)))


def test_the_none_algorithm_is_refused(client: TestClient) -> None:
    bearer = jwt.encode(claims(), key=None, algorithm="none")  # type: ignore[arg-type]
    refused(client.post(DEPOSIT, json=BODY, headers=command_headers(bearer)))


# -- production: RS256 against a JWKS ------------------------------------------------------


@pytest.fixture
def jwks_url(rsa_key: rsa.RSAPrivateKey) -> Iterator[str]:
    """A local OIDC-style JWKS endpoint (PyJWT fetches only http(s))."""
    document = jwks_document(rsa_key.public_key())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/certs"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def production(jwks_url: str) -> Iterator[TestClient]:
    settings = GatewaySettings(
        jwks_url=jwks_url,
        jwt_issuer="https://idp.example/realms/ishc",
        club_directory=False,
        services=("sample",),
    )
    app = create_app(settings, bus=FakeBus(), extra_commands=EXTRA_COMMANDS)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def prod_claims() -> dict[str, Any]:
    return claims(iss="https://idp.example/realms/ishc")


def test_production_accepts_rs256_from_the_jwks(
    production: TestClient, rsa_key: rsa.RSAPrivateKey
) -> None:
    bearer = jwt.encode(prod_claims(), rsa_key, algorithm="RS256", headers={"kid": "key-1"})
    response = production.post(DEPOSIT, json=BODY, headers=command_headers(bearer))
    assert response.status_code == 201, response.text


def test_production_refuses_an_unknown_key_id(
    production: TestClient, rsa_key: rsa.RSAPrivateKey
) -> None:
    bearer = jwt.encode(prod_claims(), rsa_key, algorithm="RS256", headers={"kid": "key-9"})
    refused(production.post(DEPOSIT, json=BODY, headers=command_headers(bearer)))


def test_production_refuses_hs256_signed_with_the_public_key(
    production: TestClient, rsa_key: rsa.RSAPrivateKey
) -> None:
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    # PyJWT itself refuses to HMAC with a PEM key, so forge the token by hand.
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "key-1"}).encode())
    body = b64(json.dumps(prod_claims(), default=lambda d: int(d.timestamp())).encode())
    signature = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    bearer = f"{header}.{body}.{b64(signature)}"
    refused(production.post(DEPOSIT, json=BODY, headers=command_headers(bearer)))


def test_production_refuses_dev_tokens_and_hides_the_dev_endpoint(production: TestClient) -> None:
    refused(production.post(DEPOSIT, json=BODY, headers=command_headers(token())))
    response = production.post("/v1/dev/tokens", json={"user": "admin"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_production_settings_require_a_jwks() -> None:
    with pytest.raises(ValidationError, match="JWKS"):
        GatewaySettings(dev_mode=False)


def test_leeway_is_capped_at_a_minute() -> None:
    with pytest.raises(ValidationError):
        GatewaySettings(dev_mode=True, jwt_leeway_seconds=3600)
    with pytest.raises(ValueError, match="leeway"):
        TokenVerifier(issuer="i", audience="a", leeway=120)


# -- the dev tokens endpoint ---------------------------------------------------------------


def test_dev_tokens_work_for_demo_users(client: TestClient) -> None:
    response = client.post("/v1/dev/tokens", json={"user": "secretary-a"})
    assert response.status_code == 200
    issued = response.json()
    assert issued["principal"]["role"] == "club_secretary"
    decoded = jwt.decode(issued["access_token"], options={"verify_signature": False})
    assert decoded["role"] == Role.CLUB_SECRETARY
    assert decoded["exp"] - decoded["iat"] == issued["expires_in"]


def test_dev_tokens_for_an_explicit_principal_are_honoured(client: TestClient) -> None:
    response = client.post(
        "/v1/dev/tokens", json={"sub": "lan", "role": "board", "club_ids": [str(CLUB_A)]}
    )
    bearer = response.json()["access_token"]
    answer = client.post(DEPOSIT, json=BODY, headers=command_headers(bearer))
    assert answer.status_code == 201
    assert answer.json()["duplicate"] is False


def test_dev_tokens_name_the_bad_field(client: TestClient) -> None:
    response = client.post("/v1/dev/tokens", json={"user": "nobody"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "user"


def test_dev_mode_never_runs_beside_a_real_jwks() -> None:
    with pytest.raises(ValidationError, match="never runs beside GATEWAY_JWKS_URL"):
        dev_settings(jwks_url="https://idp.example/jwks")


def test_dev_mode_alone_does_not_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """GATEWAY_DEV_MODE=on with nothing else: there is no default secret to fall back on."""
    for name in ("GATEWAY_JWT_HS256_SECRET", "GATEWAY_JWKS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GATEWAY_DEV_MODE", "on")
    with pytest.raises(ValidationError, match="needs its own GATEWAY_JWT_HS256_SECRET"):
        GatewaySettings()
    monkeypatch.setenv("GATEWAY_JWT_HS256_SECRET", "short")
    with pytest.raises(ValidationError, match="at least 32"):
        GatewaySettings()
    monkeypatch.setenv("GATEWAY_JWT_HS256_SECRET", next(iter(PUBLISHED_DEV_SECRETS)))
    with pytest.raises(ValidationError, match="published"):
        GatewaySettings()
    monkeypatch.setenv("GATEWAY_JWT_HS256_SECRET", TEST_SECRET)
    assert GatewaySettings().hs256_secret == TEST_SECRET


def test_a_token_signed_with_the_old_published_secret_is_refused(client: TestClient) -> None:
    bearer = raw_token(claims(), next(iter(PUBLISHED_DEV_SECRETS)), "HS256")
    refused(client.post(DEPOSIT, json=BODY, headers=command_headers(bearer)))


def test_a_token_living_longer_than_the_maximum_is_refused(client: TestClient) -> None:
    now = datetime.now(UTC)
    settings = dev_settings()
    assert settings.max_token_lifetime_seconds == 12 * 3600
    week = claims(iat=now, nbf=now, exp=now + timedelta(days=7))
    refused(
        client.post(
            DEPOSIT, json=BODY, headers=command_headers(raw_token(week, TEST_SECRET, "HS256"))
        )
    )
    day = claims(iat=now, nbf=now, exp=now + timedelta(hours=12))
    accepted = client.post(
        DEPOSIT, json=BODY, headers=command_headers(raw_token(day, TEST_SECRET, "HS256"))
    )
    assert accepted.status_code == 201, accepted.text


def test_production_refuses_an_rs256_token_living_too_long(
    production: TestClient, rsa_key: rsa.RSAPrivateKey
) -> None:
    now = datetime.now(UTC)
    long = {**prod_claims(), "iat": now, "nbf": now, "exp": now + timedelta(hours=13)}
    bearer = jwt.encode(long, rsa_key, algorithm="RS256", headers={"kid": "key-1"})
    response = production.post(DEPOSIT, json=BODY, headers=command_headers(bearer))
    refused(response)
    assert "lifetime" in response.json()["detail"]


def test_dev_tokens_cannot_outlive_the_maximum() -> None:
    with pytest.raises(ValidationError, match="MAX_TOKEN_LIFETIME"):
        dev_settings(dev_token_ttl_seconds=7200, max_token_lifetime_seconds=3600)


async def test_verified_tokens_are_cached_but_never_past_their_expiry(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    fetched: list[str] = []

    def keys(raw: str) -> Any:
        fetched.append(raw)
        return rsa_key.public_key()

    verifier = TokenVerifier(issuer="ishc-dev", audience="ishc-api", leeway=0, rs256_keys=keys)
    now = datetime.now(UTC)
    bearer = jwt.encode(claims(exp=now + timedelta(seconds=1)), rsa_key, algorithm="RS256")

    first = await verifier.verify(bearer)
    again = await verifier.verify(bearer)
    assert first == again and first.role is Role.CLUB_SECRETARY
    assert len(fetched) == 1

    async def refused_once_expired() -> bool:
        # The cached verification must not outlive the token: poll until exp has passed.
        try:
            await verifier.verify(bearer)
        except ProblemError as refused:
            return refused.problem.status == 401
        return False

    await wait_until(refused_once_expired, timeout=10, interval=0.05, message="still accepted")
