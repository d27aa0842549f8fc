"""Benchmarks: each `bench/<name>.py` with `run() -> list[dict]`; run all with `python -m bench`."""
