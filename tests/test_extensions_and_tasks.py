"""The Jinja extensions' filters and the post-copy task, tested as plain functions."""

from __future__ import annotations

import importlib.util
import stat
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(Path(path).stem, ROOT / path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


context = load("extensions/context.py")
write_env = load("tasks/write_env.py")


@pytest.mark.parametrize(
    ("value", "snake", "kebab"),
    [
        ("My Service", "my_service", "my-service"),
        ("Acme  Billing-API", "acme_billing_api", "acme-billing-api"),
        ("HTTPServer2Go", "httpserver2_go", "httpserver2-go"),
        ("already_snake", "already_snake", "already-snake"),
    ],
)
def test_case_filters(value: str, snake: str, kebab: str) -> None:
    assert context.snake_case(value) == snake
    assert context.kebab_case(value) == kebab


@pytest.mark.parametrize("name", ["acme_billing", "svc", "a1", "orders_api"])
def test_usable_package_names(name: str) -> None:
    assert context.package_name_error(name) == ""


@pytest.mark.parametrize(
    "name",
    [
        "class",
        "match",
        "typing",
        "json",
        "fastapi",
        "sqlalchemy",
        "test",
        "src",
        "1abc",
        "a-b",
        "Ab",
        "",
    ],
)
def test_unusable_package_names(name: str) -> None:
    assert context.package_name_error(name)


EXAMPLE = """\
# comment
APP__ENVIRONMENT=development
# LOG__LEVEL=INFO
SECURITY__SECRET_KEY=change-me
DATABASE__URL=sqlite+aiosqlite:///./x.db
"""


def test_env_gets_active_lines_and_fresh_secrets() -> None:
    first = write_env.render_env(EXAMPLE, "")
    second = write_env.render_env(EXAMPLE, "")
    assert "APP__ENVIRONMENT=development" in first
    assert "LOG__LEVEL" not in first  # commented lines keep the built-in default
    secret = next(line for line in first.splitlines() if line.startswith("SECURITY__SECRET_KEY="))
    assert len(secret.split("=", 1)[1]) >= 43
    assert "change-me" not in first
    assert first != second


def test_env_task_is_idempotent_and_keeps_what_the_user_changed(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text(EXAMPLE)
    assert write_env.main(tmp_path) == 0
    env = tmp_path / ".env"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    edited = env.read_text().replace("development", "production")
    env.write_text(edited)
    assert write_env.main(tmp_path) == 0
    assert env.read_text() == edited

    # A later template version adds a setting (for example after `copier update`).
    (tmp_path / ".env.example").write_text(EXAMPLE + "NEW__TOKEN=change-me\nNEW__FLAG=on\n")
    assert write_env.main(tmp_path) == 0
    updated = env.read_text()
    assert updated.startswith(edited)
    assert "NEW__FLAG=on" in updated
    assert "NEW__TOKEN=change-me" not in updated and "NEW__TOKEN=" in updated


def test_env_task_fails_without_an_example(tmp_path: Path) -> None:
    assert write_env.main(tmp_path) == 1
    assert not (tmp_path / ".env").exists()
