"""The live state's rules on plain data: SLA clocks, availability, KPI levels, staleness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jcoc.hub.model import CityFacts, IncidentFacts, KpiFacts, ServiceFacts
from jcoc.hub.state import LiveState, NeedsReload

T0 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def _city() -> LiveState:
    state = LiveState()
    facts = CityFacts(agencies={"dishub": "Dinas Perhubungan"})
    facts.services["atcs"] = ServiceFacts("atcs", "ATCS", "dishub", expected_interval_s=60)
    facts.kpis["tma"] = KpiFacts("tma", "TMA", "dishub", "m", 7.0, 9.0, True, 900)
    state.replace(facts, T0)
    return state


def test_status_reports_change_the_service_agency_and_summary() -> None:
    state = _city()
    changes = state.apply(
        "status", {"service": "atcs", "status": "down", "time": T0.isoformat()}, T0
    )
    assert {(t, k) for t, k, _ in changes} == {
        ("services", "atcs"),
        ("agencies", "dishub"),
        ("summary", "city"),
    }
    assert state.items["summary"]["city"]["services"]["down"] == 1
    # An older report does not replace the latest, but counts for availability.
    state.apply(
        "status",
        {"service": "atcs", "status": "up", "time": (T0 - timedelta(minutes=10)).isoformat()},
        T0,
    )
    atcs = state.items["services"]["atcs"]
    assert atcs["status"] == "down" and atcs["availability_24h"] == 0.5
    # The same report again changes nothing: clients get no frame.
    again = state.apply("status", {"service": "atcs", "status": "down", "time": T0.isoformat()}, T0)
    assert again == []


def test_silence_makes_a_service_stale_on_the_clock_alone() -> None:
    state = _city()
    state.apply("status", {"service": "atcs", "status": "up", "time": T0.isoformat()}, T0)
    changes = state.refresh(T0 + timedelta(seconds=61))
    atcs = state.items["services"]["atcs"]
    assert ("services", "atcs", atcs) in changes
    assert (
        atcs["status"] == "stale"
        and atcs["stale_since"] == (T0 + timedelta(seconds=60)).isoformat()
    )


def test_incident_sla_states_and_closing() -> None:
    state = _city()
    incident = {
        "id": 7,
        "title": "Banjir",
        "severity": 1,
        "status": "open",
        "opened_at": T0.isoformat(),
        "sla": {"ack_due_at": (T0 + timedelta(minutes=20)).isoformat()},
    }
    state.apply("incident", {"event": "created", "incident": incident}, T0)
    assert state.items["incidents"]["7"]["sla"] == {
        "state": "ok",
        "phase": "ack",
        "due_at": (T0 + timedelta(minutes=20)).isoformat(),
    }
    state.refresh(T0 + timedelta(minutes=16))
    assert state.items["incidents"]["7"]["sla"]["state"] == "due_soon"
    state.refresh(T0 + timedelta(minutes=21))
    assert state.items["incidents"]["7"]["sla"]["state"] == "breached"
    assert state.items["summary"]["city"]["incidents"]["breached"] == 1
    changes = state.apply(
        "incident", {"event": "closed", "incident": {**incident, "status": "closed"}}, T0
    )
    assert ("incidents", "7", None) in changes
    assert state.items["summary"]["city"]["incidents"]["open"] == 0


def test_kpi_level_and_trend() -> None:
    state = _city()
    for i, value in enumerate([6.0, 7.5, 9.2]):
        t = T0 + timedelta(minutes=i)
        state.apply("kpi", {"kpi": "tma", "value": value, "time": t.isoformat()}, t)
    tma = state.items["kpis"]["tma"]
    assert tma["value"] == 9.2 and tma["level"] == "crit"
    assert [v for _, v in tma["trend"]] == [6.0, 7.5, 9.2]


def test_unknown_entities_ask_for_a_reload() -> None:
    state = _city()
    with pytest.raises(NeedsReload):
        state.apply("status", {"service": "baru", "status": "up", "time": T0.isoformat()}, T0)
    assert IncidentFacts.from_message({"id": 1, "agency": {"code": "bpbd"}}).agency == "bpbd"


def test_during_an_outage_every_item_is_stale_since_the_loss_at_the_latest() -> None:
    state = _city()
    state.apply("status", {"service": "atcs", "status": "up", "time": T0.isoformat()}, T0)
    loss = T0 + timedelta(seconds=30)
    state.outage_since = loss
    changes = state.refresh(loss)
    assert {t for t, _, _ in changes} == {"services", "agencies", "kpis", "summary"}
    for topic in state.items.values():
        for item in topic.values():
            assert item["stale"] is True and item["stale_since"] == loss.isoformat()
    assert state.items["services"]["atcs"]["status"] == "up"  # the last known status stays
    # Already stale by its own silence before the loss: the earlier time stays.
    state.outage_since = T0 + timedelta(seconds=90)
    state.refresh(T0 + timedelta(seconds=90))
    own = (T0 + timedelta(seconds=60)).isoformat()
    assert state.items["services"]["atcs"]["stale_since"] == own
    summary = state.items["summary"]["city"]
    assert summary["time"] == T0.isoformat() and summary["services"]["stale"] == 1
    state.outage_since = None
    state.refresh(T0 + timedelta(seconds=31))
    assert state.items["agencies"]["dishub"]["stale"] is False
    assert state.items["summary"]["city"]["stale"] is False
