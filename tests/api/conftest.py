"""The `api` fixture: calls the API with a bearer token through Django's test client, and checks every answer
against the OpenAPI document (the status must be documented for that operation, and its JSON must validate)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import resolve

from printconnect.api import openapi
from tests.api.schema import errors

DOCUMENT = openapi.document()
CHECKED: list[tuple[str, str, int]] = []  # (url name, method, status) of every answer checked in this session


def check_response(method: str, path: str, response: Any) -> None:
    match = resolve(path.split("?", 1)[0])
    assert match.namespace == "api", path
    ops = [op for op in openapi.OPERATIONS if op.url_name == match.url_name and op.method == method]
    assert ops, f"{method} {path} is not in the OpenAPI document"
    op = ops[0]
    status = response.status_code
    assert status in op.responses, f"{method} {path} answered {status}, which the document does not list"
    schema = op.responses[status][1]
    if schema is not None:
        body = json.loads(response.content)
        problems = errors(body, {"$ref": f"#/components/schemas/{schema}"}, DOCUMENT)
        assert not problems, f"{method} {path} {status} does not match {schema}: {problems[:5]}"
    CHECKED.append((op.url_name, method, status))


class Api:
    def __init__(self, client: Any) -> None:
        self.client = client

    def _headers(self, token: str | None, headers: dict[str, str] | None) -> dict[str, str]:
        result = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        for name, value in (headers or {}).items():
            result["HTTP_" + name.upper().replace("-", "_")] = value
        return result

    def get(self, path: str, token: str | None, *, headers: dict[str, str] | None = None, **params: Any) -> Any:
        response = self.client.get(path, params, **self._headers(token, headers))
        check_response("GET", path, response)
        return response

    def post(
        self,
        path: str,
        token: str | None,
        body: Any = None,
        *,
        raw: str | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> Any:
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        response = self.client.post(path, data, content_type=content_type, **self._headers(token, headers))
        check_response("POST", path, response)
        return response


@pytest.fixture
def api(client: Any) -> Iterator[Api]:
    yield Api(client)
