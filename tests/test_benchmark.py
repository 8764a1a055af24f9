"""The benchmark's quick mode runs end to end and prints a table of sane figures. No timing is
asserted: CI machines are shared and their speed varies; the full mode is read by people
(docs/performance.md)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, require_command

SCENARIOS = [
    "baseline: GET /select-1",
    "GET /v1/auth/me",
    "GET /v1/auth/me, otel exporting",
    "GET /v1/users/me",
    "POST /v1/auth/login",
    "POST /v1/auth/refresh-token",
]


def table_rows(report: str) -> dict[str, list[str]]:
    rows = {}
    for line in report.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) > 1 and not set(cells[0]) <= {"-", ":"}:
            rows[cells[0]] = cells[1:]
    return rows


@pytest.mark.slow
def test_quick_benchmark_prints_a_table_of_sane_figures(tmp_path: Path) -> None:
    require_command("wrk")  # .ci/run installs it (benchmarks/install-tools.sh)
    require_command("uv")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            "--workdir",
            str(tmp_path / "work"),
            "--json",
            str(tmp_path / "results.json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = table_rows(result.stdout)
    header = rows["scenario"]
    assert header[:4] == ["req/s", "p50 ms", "p99 ms", "errors"]
    for scenario in SCENARIOS:
        assert scenario in rows, f"no row for {scenario}:\n{result.stdout}"
        values = dict(zip(header, rows[scenario], strict=True))
        rps, p50, p99 = float(values["req/s"]), float(values["p50 ms"]), float(values["p99 ms"])
        assert rps > 0 and 0 < p50 <= p99 < 60_000, values
        assert 20 < float(values["peak RSS MB"]) < 2000, values
        assert values["req/s vs baseline"].endswith("x") and values["p99 vs baseline"].endswith("x")
    # The authenticated reads are not allowed a single error, nor a connection beyond the pool.
    results = json.loads((tmp_path / "results.json").read_text())
    for scenario in (
        "GET /v1/auth/me",
        "GET /v1/auth/me, otel exporting",
        "GET /v1/users/me",
        "POST /v1/auth/refresh-token",
    ):
        assert results["scenarios"][scenario]["errors"] == 0, result.stdout
    pool = results["pool_bound"]
    assert all(row["db_connections_max"] <= pool for row in results["scenarios"].values()), (
        result.stdout
    )
    assert rows["baseline: GET /select-1"][-2:] == ["1.00x", "1.00x"]
    measures = {name: value[0] for name, value in rows.items() if len(value) == 1}
    ready = measures["launch to /health/ready (median of 1)"]
    assert re.fullmatch(r"\d+\.\d\d s", ready) and 0 < float(ready.split()[0]) < 30
    assert re.fullmatch(r"\d+ MB", measures["idle RSS after start"])
    assert re.fullmatch(r"\d+ MB", measures["idle RSS after start, otel exporting"])
    assert re.fullmatch(r"\d+\.\d ms", measures["GET /health/live p99 during the login storm"])
    assert measures["the rendered project's own tests"] == "not run (--quick)"
