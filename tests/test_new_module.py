"""Slow tier: `new-module` in a rendered project. Bad names are refused with the reason and
nothing written, `--dry-run` writes nothing, and the module it writes passes every check of
the project with no edit by hand: ruff, format, mypy --strict, the import contracts,
migrations up/check/down/up, its own tests (covering it to the project's floor) with the
whole application's (the schema, the fuzz, the architecture); its routes are in the OpenAPI
document. The rest of the suite is a fresh render's, which the matrix runs. Rendered with the longest package name, so every
generated line is formatted at its widest, on PostgreSQL for the integration tests."""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from pytest_copier.plugin import CopierFixture

from tests import delivery
from tests.conftest import drop_database, project_env, require_command, run

PACKAGE = "a_package_name_of_thirty_chars"
MODULE = "reservations"
REFUSED = {
    "StockItems": "not a snake_case name",
    "class": "Python keyword",
    "json": "standard library",
    "auth": "exists already",
    "kernel": "uses already",
    "security": "uses already",  # a platform settings group: SECURITY__ is taken
}


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not {".venv", ".ruff_cache", "__pycache__"} & set(path.parts)
    }


def revision_masked(paths: list[str]) -> set[str]:
    """The paths, with a new revision's random id as `<rev>`."""
    return {re.sub(r"/[0-9a-f]{12}_", "/<rev>_", path) for path in paths}


@pytest.mark.slow
def test_new_module_writes_a_slice_that_passes_every_check(
    copier: CopierFixture, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    uv = require_command("uv")
    root = copier.copy(
        tmp_path / "project",
        project_name="A package name of thirty chars",
        database="postgresql",
        ci="none",
        docker=False,
    ).path
    database_url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/module_{uuid.uuid4().hex[:12]}"
    env = project_env(DATABASE__URL=database_url)
    steps: list[tuple[str, float]] = []
    request.node.user_properties.append(("timings", steps))
    try:
        run([uv, "sync"], cwd=root, env=env)
        before = snapshot(root)
        for name, reason in REFUSED.items():
            refused = run_new_module(root, env, name, expect=1)
            assert reason in refused.stderr and "nothing was written" in refused.stderr
        listed = run_new_module(root, env, MODULE, "--dry-run", expect=0).stdout.split()
        assert snapshot(root) == before

        run_new_module(root, env, MODULE, expect=0)
        added = sorted(set(snapshot(root)) - set(before))
        assert revision_masked(added) == revision_masked(listed), (added, listed)
        assert f"src/{PACKAGE}/modules/{MODULE}/domain/reservation.py" in added
        assert any(path.startswith(f"migrations/versions/{MODULE}/") for path in added)
        assert f'"(users) | ({MODULE})"' in (root / "pyproject.toml").read_text()
        assert f"%(here)s/migrations/versions/{MODULE}\n" in (root / "alembic.ini").read_text()

        module_tests = [
            f"tests/modules/{MODULE}",
            *("tests/e2e", "tests/integration", "tests/unit", "tests/architecture"),
        ]
        checks = [
            *(
                (name, words)
                for name, words in delivery.project_checks(PACKAGE)
                if name != "pytest (coverage >= 90%)"
            ),
            (
                "pytest (the module's and the application's)",
                ["pytest", "--cov-fail-under=0", *module_tests],
            ),
            (
                "coverage of the module >= 90%",
                [
                    "coverage",
                    "report",
                    f"--include=src/{PACKAGE}/modules/{MODULE}/*",
                    "--fail-under=90",
                ],
            ),
        ]
        assert len(checks) == len(delivery.project_checks(PACKAGE)) + 1
        for name, words in checks:
            started = time.perf_counter()
            run([uv, "run", *words], cwd=root, env=env, timeout=900)
            steps.append((name, time.perf_counter() - started))
        collected = run(
            [uv, "run", "pytest", "--collect-only", "-q", f"tests/modules/{MODULE}"],
            cwd=root,
            env=env,
        ).stdout
        for layer in ("unit", "integration", "e2e"):
            assert f"tests/modules/{MODULE}/{layer}/" in collected, collected
        assert f"tests/modules/{MODULE}/test_architecture.py" in collected, collected
        openapi = (
            f"import json; from {PACKAGE}.container import load_settings; "
            f"from {PACKAGE}.main import create_app; "
            "print(json.dumps(sorted(create_app(load_settings()).openapi()['paths'])))"
        )
        paths = json.loads(run([uv, "run", "python", "-c", openapi], cwd=root, env=env).stdout)
        assert f"/v1/{MODULE}" in paths and f"/v1/{MODULE}/{{reservation_id}}" in paths
    finally:
        drop_database(root, env, database_url)


def run_new_module(
    root: Path, env: dict[str, str], *arguments: str, expect: int
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [require_command("uv"), "run", PACKAGE, "new-module", *arguments],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == expect, (result.stdout, result.stderr)
    return result
