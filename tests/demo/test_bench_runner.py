"""`python -m bench` runs every benchmark module, survives a failing one, writes the table."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import __main__ as bench_main


@pytest.fixture
def fake_modules() -> Iterator[None]:
    good = types.ModuleType("bench.zz_good")
    good.run = lambda: [  # type: ignore[attr-defined]
        {
            "benchmark": "push 1 event",
            "ours": 900.0,
            "baseline": 300.0,
            "unit": "req/s",
            "target": "≥ 2",
        }
    ]
    bad = types.ModuleType("bench.zz_bad")

    def broken() -> list[dict[str, object]]:
        raise RuntimeError("no TimescaleDB here")

    bad.run = broken  # type: ignore[attr-defined]
    sys.modules["bench.zz_good"] = good
    sys.modules["bench.zz_bad"] = bad
    yield
    del sys.modules["bench.zz_good"], sys.modules["bench.zz_bad"]


def test_failures_are_reported_and_others_still_run(fake_modules: None, tmp_path: Path) -> None:
    results = {name: bench_main.run_module(name) for name in ("zz_bad", "zz_good")}
    assert results["zz_bad"][1] == "RuntimeError: no TimescaleDB here"
    assert results["zz_good"][0][0]["ours"] == 900.0
    text = bench_main.document(bench_main.table(results), results, "python -m bench")
    assert "| zz_good | push 1 event | 900.00 | 300.00 | req/s | 3.00 | ≥ 2 |" in text
    assert "**failed**: RuntimeError: no TimescaleDB here" in text
    assert "machine:" in text and "CPU" in text and "`python -m bench`" in text


def test_discovery_skips_package_files() -> None:
    names = bench_main.discover()
    assert "__init__" not in names and "__main__" not in names
    with pytest.raises(SystemExit):
        bench_main.discover(["no_such_benchmark"])
