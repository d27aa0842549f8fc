import httpx


async def test_health_and_readiness_over_http(live_server) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as c:
        health = await c.get("/healthz")
        ready = await c.get("/readyz")
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json()["database"] in ("sqlite", "timescale")


async def test_readiness_reports_a_missing_database(tmp_path) -> None:
    from jcoc.app import create_app
    from tests.conftest import make_settings
    from tests.live import LiveServer

    settings = make_settings(database_url="postgresql+psycopg://u:p@127.0.0.1:1/none")
    with LiveServer(lambda: create_app(settings)) as srv:
        async with httpx.AsyncClient(base_url=srv.url) as c:
            ready = await c.get("/readyz")
            health = await c.get("/healthz")
    assert ready.status_code == 503
    assert ready.headers["retry-after"] == "5"
    assert health.status_code == 200
