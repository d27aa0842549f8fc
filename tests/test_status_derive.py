from datetime import UTC, datetime, timedelta

from jcoc.status.service import derive_status

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def test_silence_makes_a_service_stale_not_up() -> None:
    fresh = derive_status(
        reported="up", last_time=NOW - timedelta(seconds=60), expected_interval_s=300, now=NOW
    )
    silent = derive_status(
        reported="up", last_time=NOW - timedelta(seconds=301), expected_interval_s=300, now=NOW
    )
    never = derive_status(reported=None, last_time=None, expected_interval_s=300, now=NOW)
    assert (fresh, silent, never) == ("up", "stale", "unknown")
