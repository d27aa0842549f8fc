"""The simulated city is a pure function of (seed, simulated time): rhythms and determinism."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jcoc.demo import jambi
from jcoc.demo.agencies import incident_for, kpi_value, service_status
from jcoc.demo.cameras import camera_fault

KPIS = {k.code: k for a in jambi.AGENCIES for k in a.kpis}
SERVICES = [s for a in jambi.AGENCIES for s in a.services]
# Tuesday 2026-11-24, as WIB wall-clock hours (UTC+7).
DAY = datetime(2026, 11, 24, tzinfo=UTC) - timedelta(hours=7)


def wib(hour: float) -> datetime:
    return DAY + timedelta(hours=hour)


def test_seed_data_covers_the_city() -> None:
    codes = [a.code for a in jambi.AGENCIES]
    for agency in (
        "dishub",
        "bpbd",
        "dpmptsp",
        "dinkes",
        "dukcapil",
        "pdam",
        "bpkad",
        "diskominfo",
        "satpolpp",
        "damkar",
        "dlh",
    ):
        assert agency in codes
    assert 36 <= len(SERVICES) <= 44
    assert len({s.code for s in SERVICES}) == len(SERVICES)
    assert len({c.kecamatan for c in jambi.CAMERAS}) == 11
    assert 16 <= len(jambi.CAMERAS) <= 20


def test_same_seed_same_day_other_seed_other_day() -> None:
    times = [wib(h / 4) for h in range(96)]

    def day(seed: int) -> list[object]:
        return [kpi_value(KPIS["panggilan_112"], seed, t) for t in times] + [
            service_status(s, seed, t).status for s in SERVICES for t in times
        ]

    assert day(7) == day(7)
    assert day(7) != day(8)


def test_daily_rhythm() -> None:
    traffic = KPIS["lalin_simpang_kawat"]
    assert kpi_value(traffic, 1, wib(7.5)) > 1.8 * kpi_value(traffic, 1, wib(3.0))
    pressure = KPIS["tekanan_pdam"]
    assert kpi_value(pressure, 1, wib(18.0)) < kpi_value(pressure, 1, wib(2.0))
    permits = [kpi_value(KPIS["izin_terbit"], 1, wib(h / 2)) for h in range(48)]
    assert permits[0] == 0 and permits == sorted(permits) and permits[-1] > 40


def test_outages_and_faults_are_occasional() -> None:
    times = [wib(h / 4) for h in range(96)]
    readings = [service_status(s, 3, t).status for s in SERVICES for t in times]
    bad = sum(r in ("down", "degraded") for r in readings) / len(readings)
    assert 0.002 < bad < 0.08
    faults = [camera_fault(c.code, 3, slot) for c in jambi.CAMERAS for slot in range(500)]
    assert 0.005 < sum(f != "none" for f in faults) / len(faults) < 0.1
    incidents = [incident_for(a, 3, slot) for a in jambi.AGENCIES for slot in range(300)]
    made = [i for i in incidents if i]
    assert made and all(i["kecamatan"] and i["external_id"].startswith("demo-") for i in made)


def test_duty_team_acknowledges_before_resolving() -> None:
    from jcoc.demo.dutyteam import plan

    plans = [plan(f"demo-bpbd-{slot}", 1) for slot in range(200)]
    assert all(ack < resolve for ack, resolve in plans)
    late = [ack for ack, _ in plans if ack > timedelta(minutes=20)]
    assert 0 < len(late) < len(plans) / 3  # now and then late, so SLA breaches show
