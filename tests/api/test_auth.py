"""Who gets in: bearer tokens, scopes, revocation, rate limit, last use, and tokens kept out of logs."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from printconnect.api.models import ApiToken
from printconnect.api.services import api_token_revoke, token_hash
from printconnect.core.permissions import Role
from tests.factories.api import make_token
from tests.factories.clients import ClientFactory
from tests.factories.storefronts import make_member

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def _error(response) -> dict:
    return response.json()["error"]


def test_request_is_refused_with_401_when_no_token_is_sent(api):
    response = api.get(ORDERS, None)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="printconnect"'
    assert _error(response)["code"] == "unauthenticated"
    assert "Authorization: Bearer" in _error(response)["message"]


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer  ", "Bearer a b", "pc_only"])
def test_request_is_refused_with_401_when_the_header_is_malformed(client, header):
    response = client.get(ORDERS, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert 'error="invalid_request"' in response["WWW-Authenticate"]


def test_request_is_refused_with_401_when_the_token_is_unknown(api):
    response = api.get(ORDERS, "pc_" + "x" * 43)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_request_is_refused_with_401_when_the_token_is_revoked(api):
    token, raw = make_token(client=ClientFactory())
    assert api.get(ORDERS, raw).status_code == 200
    api_token_revoke(token=token, actor=None)
    response = api.get(ORDERS, raw)
    assert response.status_code == 401
    assert "revoked" in _error(response)["message"]


def test_request_is_refused_with_403_when_the_token_lacks_the_scope(api):
    _token, raw = make_token(client=ClientFactory(), scopes=(ApiToken.Scope.SHIPPING_RATES,))
    response = api.get(ORDERS, raw)
    assert response.status_code == 403
    assert _error(response)["code"] == "insufficient_scope"
    assert "orders:read" in _error(response)["message"]
    assert 'scope="orders:read"' in response["WWW-Authenticate"]


def test_other_methods_answer_405_with_allow_when_the_endpoint_does_not_take_them(client):
    _token, raw = make_token(client=ClientFactory())
    response = client.delete(ORDERS, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_only_the_hash_and_a_prefix_are_stored_when_a_token_is_made():
    token, raw = make_token(client=ClientFactory())
    assert raw.startswith("pc_") and len(raw) > 40
    assert token.secret_hash == token_hash(raw) and raw not in token.secret_hash
    assert raw.startswith(token.prefix) and len(token.prefix) == 11
    assert raw not in str(list(ApiToken.objects.filter(pk=token.pk).values()))


def test_last_use_is_written_at_most_once_a_minute_when_requests_follow_each_other(api):
    token, raw = make_token(client=ClientFactory())
    api.get(ORDERS, raw)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    api.get(ORDERS, raw)
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    api.get(ORDERS, raw)
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(seconds=1)
    assert timezone.now() - token.last_used_at < timedelta(seconds=5)


def test_requests_get_429_with_retry_after_when_a_token_exceeds_its_rate(api, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    _token, raw = make_token(client=ClientFactory())
    _other, other_raw = make_token(client=ClientFactory())
    statuses = [api.get(ORDERS, raw).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = api.get(ORDERS, raw)
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "wait" in _error(refused)["message"]
    assert api.get(ORDERS, other_raw).status_code == 200  # per token


def test_tokens_never_appear_in_logs_when_they_are_made_used_and_refused(api, caplog):
    caplog.set_level(logging.DEBUG)
    token, raw = make_token(client=ClientFactory())
    api.get(ORDERS, raw)
    api.get("/api/v1/orders/999999/", raw)
    api.post("/api/v1/orders/999999/status", raw, raw="{bad")
    api_token_revoke(token=token, actor=None)
    api.get(ORDERS, raw)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records, "nothing was logged: the check would prove nothing"
    assert raw not in logged and raw[3:] not in logged


def test_session_sign_in_does_not_open_the_api_when_no_token_is_sent(client):
    admin = make_member(ClientFactory(), Role.ADMIN)
    client.force_login(admin)
    assert client.get(reverse("api:order_list")).status_code == 401
