from jcoc.opd.schemas import safe_target
from jcoc.redact import redact_url, scrub

URL = "rtsp://admin:Rahasia123@10.1.2.3:554/Streaming/Channels/101?token=abc&channel=1"


def test_credentials_never_survive_redaction() -> None:
    out = redact_url(URL)
    assert "Rahasia123" not in out and "admin" not in out and "abc" not in out
    assert out.startswith("rtsp://***@10.1.2.3:554/Streaming/Channels/101")
    assert "channel=1" in out


def test_error_messages_are_scrubbed() -> None:
    message = f"connection to {URL} refused; retry rtsp://x:Rahasia123@host/"
    out = scrub(message, URL)
    assert "Rahasia123" not in out


def test_probe_targets_are_shown_without_credentials() -> None:
    assert "pw" not in safe_target("https://monitor:pw@perizinan.example/health")
    assert safe_target("perizinan.example:443") == "perizinan.example:443"
