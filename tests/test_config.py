import pytest

from jcoc.config import ConfigError, load_settings


def test_defaults_are_the_embedded_demo(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    for key in list(__import__("os").environ):
        if key.startswith("JCOC_"):
            monkeypatch.delenv(key)
    s = load_settings()
    assert s.database_url == "sqlite+aiosqlite:///./var/jcoc.db"
    assert (s.host, s.port) == ("127.0.0.1", 8000)
    assert s.timezone == "Asia/Jakarta"
    assert s.redis_url is None


def test_unknown_setting_fails_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JCOC_DATABSE_URL", "sqlite+aiosqlite:///x.db")
    with pytest.raises(ConfigError, match="JCOC_DATABSE_URL"):
        load_settings()


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("JCOC_PORT", "eighty", "JCOC_PORT"),
        ("JCOC_PORT", "70000", "JCOC_PORT"),
        ("JCOC_TIMEZONE", "Mars/Olympus", "unknown time zone"),
        ("JCOC_DATABASE_URL", "mysql://x", "JCOC_DATABASE_URL"),
        ("JCOC_TIMESCALE", "maybe", "JCOC_TIMESCALE"),
    ],
)
def test_invalid_values_fail_with_clear_message(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, message: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_production_refuses_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JCOC_ENV", "production")
    monkeypatch.delenv("JCOC_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="JCOC_SECRET_KEY"):
        load_settings()


def test_plain_postgres_url_uses_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JCOC_DATABASE_URL", "postgresql://u:p@db:5432/jcoc")
    assert load_settings().database_url == "postgresql+psycopg://u:p@db:5432/jcoc"
