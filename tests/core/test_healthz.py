"""/healthz answers load balancers without touching the database."""

import pytest


@pytest.mark.django_db
def test_healthz_answers_ok_without_a_query_when_asked(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok")
    assert "no-cache" in response["Cache-Control"]
    assert "sessionid" not in response.cookies


def test_healthz_refuses_writes_when_posted(client):
    assert client.post("/healthz").status_code == 405
