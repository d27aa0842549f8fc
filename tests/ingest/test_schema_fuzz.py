"""Schemathesis against the OpenAPI schema of the push endpoints: never a 5xx."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings

from jcoc.app import create_app
from tests.ingest.conftest import City, bearer
from tests.live import LiveServer


@pytest.fixture
def server(city: City):
    with LiveServer(lambda: create_app(city.settings)) as srv:
        yield srv


@pytest.mark.parametrize("path", ["/api/v1/status", "/api/v1/metrics"])
def test_push_endpoints_never_answer_5xx(server, city, path) -> None:
    raw = httpx.get(f"{server.url}/openapi.json").json()
    operation = schemathesis.openapi.from_dict(raw)[path]["POST"]
    seen: list[int] = []

    @hsettings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case) -> None:
        response = case.call(base_url=server.url, headers=bearer(city.dishub_key))
        seen.append(response.status_code)
        assert response.status_code < 500, (case.body, response.text)
        if response.status_code >= 400:
            assert response.json()["detail"]

    check()
    assert seen and all(s < 500 for s in seen)
