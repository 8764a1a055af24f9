"""The naming macros of copier.yml (extensions/naming.jinja), called as plain Jinja in an
environment like Copier's: a sandbox with jinja2-ansible-filters, loading from the template
repository's root. The lists they check against are compared with the interpreters'."""

from __future__ import annotations

import keyword
import subprocess
from pathlib import Path

import pytest
from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment

from tests.conftest import require_command

ROOT = Path(__file__).resolve().parents[1]
ENV = SandboxedEnvironment(
    loader=FileSystemLoader(ROOT),
    extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
)


def call(macro: str, value: str) -> str:
    source = "{% import 'extensions/naming.jinja' as naming %}{{ naming." + macro + "(value) }}"
    return ENV.from_string(source).render(value=value)


@pytest.mark.parametrize(
    ("value", "snake", "kebab"),
    [
        ("My Service", "my_service", "my-service"),
        ("Acme  Billing-API", "acme_billing_api", "acme-billing-api"),
        ("HTTPServer2Go", "httpserver2_go", "httpserver2-go"),
        ("already_snake", "already_snake", "already-snake"),
        ("Über Café", "uber_cafe", "uber-cafe"),
        ("Łódź Straße", "lodz_strasse", "lodz-strasse"),
        ("Zürich 日本", "zurich", "zurich"),
    ],
)
def test_case_macros(value: str, snake: str, kebab: str) -> None:
    assert call("snake_case", value) == snake
    assert call("kebab_case", value) == kebab


@pytest.mark.parametrize("name", ["acme_billing", "svc", "a1", "orders_api", "may"])
def test_usable_package_names(name: str) -> None:
    assert call("package_name_error", name) == ""


@pytest.mark.parametrize(
    "name",
    [
        "class",
        "match",
        "typing",
        "json",
        "fastapi",
        "sqlalchemy",
        "dotenv",
        "test",
        "src",
        "1abc",
        "a-b",
        "Ab",
        "",
        "x" * 31,
    ],
)
def test_unusable_package_names(name: str) -> None:
    assert call("package_name_error", name)


def test_every_keyword_is_refused() -> None:
    lowercase = [word for word in keyword.kwlist + keyword.softkwlist if word.islower()]
    for word in lowercase:
        if word != "_":  # not a valid name anyway
            assert "is a Python keyword" in call("package_name_error", word), word


@pytest.mark.parametrize("python", ["python3.12", "python3.13"])
def test_the_standard_library_list_has_every_module(python: str) -> None:
    listed = set((ROOT / "extensions" / "stdlib_names.txt").read_text().split())
    names = subprocess.run(
        [require_command(python), "-c", "import sys; print(*sorted(sys.stdlib_module_names))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    missing = sorted(name for name in names if name[0].isalpha() and name not in listed)
    assert not missing, f"add to extensions/stdlib_names.txt: {missing}"


@pytest.mark.parametrize(
    ("value", "usable"),
    [("you@example.com", True), ("not-an-email", False), ('a"b@example.com', False)],
)
def test_email_check(value: str, usable: bool) -> None:
    assert (call("email_error", value) == "") is usable
