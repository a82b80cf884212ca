"""The OpenAPI document is kept in step with the views: every API URL is in it, every $ref resolves, and (through
the `api` fixture of tests/api/conftest.py) every answer the API tests get validates against its schema."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import URLPattern, get_resolver
from django.utils.html import escape

from printconnect.api import openapi
from printconnect.api import urls as api_urls
from tests.api.conftest import DOCUMENT
from tests.api.schema import errors

UNDOCUMENTED = {"docs"}  # the human page that renders this document


def _api_path(pattern: URLPattern) -> str:
    route = str(pattern.pattern)
    assert route.startswith("v1/"), route
    return "/" + re.sub(r"<int:pk>", "{id}", route[len("v1/") :])


def test_every_api_url_is_in_the_document_when_it_is_served():
    documented = {(op.url_name, op.path) for op in openapi.OPERATIONS}
    patterns = [p for p in api_urls.urlpatterns if p.name not in UNDOCUMENTED]
    assert patterns
    for pattern in patterns:
        assert (pattern.name, _api_path(pattern)) in documented, f"add {pattern.name} to printconnect/api/openapi.py"
        assert _api_path(pattern) in DOCUMENT["paths"]
    assert {name for name, _ in documented} == {p.name for p in patterns}, "the document names a URL that is gone"


def test_every_documented_method_is_answered_by_its_view_when_called(client):
    # A method the view does not take answers 405, a documented one anything else (401 without a token).
    resolver = get_resolver()
    for op in openapi.OPERATIONS:
        path = "/api/v1" + op.path.replace("{id}", "1")
        assert resolver.resolve(path).url_name == op.url_name
        response = client.generic(op.method, path)
        assert response.status_code != 405, f"{op.method} {path}"


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_reference_resolves_when_the_document_is_built():
    assert DOCUMENT["openapi"] == "3.1.0"
    names = set(DOCUMENT["components"]["schemas"])
    refs = set(_refs(DOCUMENT))
    assert refs and {ref.rsplit("/", 1)[-1] for ref in refs} <= names
    for path, methods in DOCUMENT["paths"].items():
        for method, operation in methods.items():
            assert operation["responses"], (path, method)
            for parameter in operation["parameters"]:
                assert parameter["in"] in ("path", "query", "header")
                if parameter["in"] == "path":
                    assert "{" + parameter["name"] + "}" in path


def test_the_checker_refuses_a_body_when_it_strays_from_the_schema():
    good = {"orders": [], "next": None, "next_url": None}
    schema = {"$ref": "#/components/schemas/OrderList"}
    assert errors(good, schema, DOCUMENT) == []
    assert errors({**good, "extra": 1}, schema, DOCUMENT)  # a field the document does not describe
    assert errors({"orders": [{"id": "1"}], "next": None, "next_url": None}, schema, DOCUMENT)
    assert errors({"orders": []}, schema, DOCUMENT)  # missing fields
    assert errors({**good, "next": 3}, schema, DOCUMENT)


@pytest.mark.django_db
def test_document_is_served_as_json_when_asked(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    served = json.loads(response.content)
    assert served["paths"] == json.loads(json.dumps(DOCUMENT["paths"]))
    assert served["servers"] == [{"url": "http://testserver/api/v1"}]


@pytest.mark.django_db
def test_docs_page_lists_every_operation_when_opened(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    for op in openapi.OPERATIONS:
        assert f'id="{op.anchor}"' in page and escape(op.summary) in page
    assert "cdn" not in page.lower() and "swagger" not in page.lower()
