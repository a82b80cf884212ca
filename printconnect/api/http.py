"""The plumbing every API view shares: bearer-token auth, scopes, rate limit, JSON bodies, idempotent POSTs and
JSON errors ({"error": {"code", "message", "fields"}}). Views stay thin: they get the token and the parsed body and
return (status, data)."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from printconnect.api.models import ApiIdempotencyKey, ApiToken
from printconnect.api.services import api_token_for_secret

logger = logging.getLogger(__name__)

REALM = 'Bearer realm="printconnect"'
MAX_BODY = 1024 * 1024


class ApiError(Exception):
    """A refused API request: the status, a stable code, a message saying what to fix, and per-field messages."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields, self.headers, self.extra = fields or {}, headers or {}, extra

    def response(self) -> JsonResponse:
        body = {"error": {"code": self.code, "message": self.message, "fields": self.fields, **self.extra}}
        response = JsonResponse(body, status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response


def _unauthenticated(message: str, error: str) -> ApiError:
    return ApiError(401, "unauthenticated", message, headers={"WWW-Authenticate": f'{REALM}, error="{error}"'})


def _token(request: HttpRequest) -> ApiToken:
    header = request.headers.get("Authorization", "")
    if not header:
        raise ApiError(
            401,
            "unauthenticated",
            "Send your API token in the Authorization header: “Authorization: Bearer pc_…”.",
            headers={"WWW-Authenticate": REALM},
        )
    scheme, _, raw = header.partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw or " " in raw:
        raise _unauthenticated(
            "The Authorization header must be “Bearer ” followed by the token, nothing else.", "invalid_request"
        )
    token = api_token_for_secret(raw=raw)
    if token is None:
        raise _unauthenticated(
            "This API token is unknown or was revoked: make a new one under Settings > API tokens.", "invalid_token"
        )
    return token


def _rate_limit(token: ApiToken) -> None:
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    if not limit:
        return
    now = time.time()
    window = int(now // 60)
    key = f"api:rate:{token.pk}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    if count > limit:
        retry = max(1, int((window + 1) * 60 - now))
        raise ApiError(
            429,
            "rate_limited",
            f"This token made more than {limit} requests this minute; wait {retry} seconds and try again.",
            headers={"Retry-After": str(retry)},
        )


def _json_body(request: HttpRequest) -> dict[str, Any]:
    content_type = request.content_type or ""
    if content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send the body as JSON with “Content-Type: application/json”.")
    if len(request.body) > MAX_BODY:
        raise ApiError(400, "body_too_large", "The body is larger than 1 MB; send less.")
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "bad_json", f"The body is not valid JSON ({exc}); check quotes and commas.") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", 'The body must be a JSON object, e.g. {"status": "in_production"}.')
    return body


def _idempotent(request: HttpRequest, token: ApiToken, key: str, run: Callable[[], tuple[int, Any]]) -> HttpResponse:
    """Run the POST once per (token, key): a repeat with the same request gets the first answer again; the same key
    with another request is refused. The key row is written in the transaction of the change itself, so a refused
    or failed request leaves no key behind, and a concurrent repeat waits for the first and then replays it."""
    if len(key) > 200:
        raise ApiError(400, "bad_idempotency_key", "Keep the Idempotency-Key under 200 characters (a UUID is fine).")
    request_hash = hashlib.sha256(f"{request.method} {request.path}\n".encode() + request.body).hexdigest()
    try:
        with transaction.atomic():
            row = ApiIdempotencyKey.objects.create(
                token=token, key=key, request_hash=request_hash, status_code=0, response_body={}
            )
            status, data = run()
            row.status_code, row.response_body = status, data
            row.save(update_fields=["status_code", "response_body"])
    except IntegrityError:
        row = ApiIdempotencyKey.objects.filter(token=token, key=key).first()
        if row is None:
            raise
        if row.request_hash != request_hash:
            raise ApiError(
                422,
                "idempotency_key_reused",
                "This Idempotency-Key was already used for a different request; use a new key for each change.",
            ) from None
        response = JsonResponse(row.response_body, status=row.status_code, safe=False)
        response["Idempotent-Replayed"] = "true"
        return response
    return JsonResponse(data, status=status, safe=False)


ApiView = Callable[..., Any]


def api_endpoint(
    *, empty_post_ok: bool = False, **scopes_by_method: str
) -> Callable[[ApiView], Callable[..., HttpResponse]]:
    """An API view answering the given methods, each needing a scope: @api_endpoint(GET="orders:read").
    empty_post_ok: a POST that is not JSON (an empty one, as some script runtimes send) is let through with body {}:
    the view then reads the query string.

    The view is called as view(request, token, body, **kwargs) (body: the parsed JSON object of a POST, else {})
    and returns (status, data) or an HttpResponse (file downloads). Session cookies are never accepted, only the
    bearer token, so the views are exempt from CSRF checks (a browser cannot send the token by itself)."""

    def decorator(view: ApiView) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in scopes_by_method:
                    allowed = ", ".join(sorted(scopes_by_method))
                    raise ApiError(
                        405,
                        "method_not_allowed",
                        f"{request.method} is not supported here; use {allowed}.",
                        headers={"Allow": allowed},
                    )
                token = _token(request)
                scope = scopes_by_method[request.method]
                if scope not in token.scopes:
                    raise ApiError(
                        403,
                        "insufficient_scope",
                        f"This token may not do this: it needs the “{scope}” scope. Make a token that has it.",
                        headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'},
                    )
                _rate_limit(token)
                request.api_token = token
                is_json = request.content_type == "application/json"
                wants_body = request.method == "POST" and (is_json or not empty_post_ok)
                body = _json_body(request) if wants_body else {}

                def run() -> Any:
                    return view(request, token, body, **kwargs)

                key = request.headers.get("Idempotency-Key", "").strip()
                if request.method == "POST" and key:
                    return _idempotent(request, token, key, run)
                result = run()
                if isinstance(result, HttpResponseBase):
                    return result
                status, data = result
                return JsonResponse(data, status=status, safe=False)
            except ApiError as exc:
                return exc.response()
            except Http404:
                return ApiError(404, "not_found", "No such object for this token; check the id.").response()

        return wrapper

    return decorator
