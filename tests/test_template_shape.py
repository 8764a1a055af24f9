"""The shape the template keeps itself to: Python files nearly free of Jinja (variants live in
files of their own, chosen by their names), and rendered files that point at nothing the
project lacks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pytest_copier.plugin import CopierFixture

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template"
# A rendered Python file's template holds at most this many Jinja statements; the central
# files, which every reader opens first, fewer than CENTRAL_LIMIT.
TAG_LIMIT = 12
CENTRAL_LIMIT = 6
CENTRAL = {"container.py", "main.py", "cli.py", "settings.py"}
PACKAGE_DIR = TEMPLATE / "src" / "{{package_name}}"
# A path a rendered file names as documentation to read.
DOC_PATH = re.compile(r"\bdocs/[\w./-]+\.md\b")


def rendered_python_templates() -> list[Path]:
    return sorted(
        path
        for path in TEMPLATE.rglob("*")
        if path.is_file()
        and re.sub(r"\{%.*?%\}", "", path.name).removesuffix(".jinja").endswith(".py")
    )


def statements(path: Path) -> int:
    return path.read_text().count("{%")


def test_no_python_file_is_a_jinja_forest() -> None:
    crowded = {
        str(path.relative_to(TEMPLATE)): statements(path)
        for path in rendered_python_templates()
        if statements(path) > TAG_LIMIT
    }
    assert not crowded, f"more than {TAG_LIMIT} Jinja statements: {crowded}"


def test_the_central_files_are_plain_python() -> None:
    found = {
        path.name.removesuffix(".jinja"): statements(path)
        for path in PACKAGE_DIR.iterdir()
        if path.is_file()
    }
    central = {name: count for name, count in found.items() if name in CENTRAL}
    assert set(central) == CENTRAL
    crowded = {name: count for name, count in central.items() if count >= CENTRAL_LIMIT}
    assert not crowded, f"{CENTRAL_LIMIT} or more Jinja statements: {crowded}"


def test_the_shape_checks_see_a_forest() -> None:
    """The counter above counts what it should: the statements of a template file."""
    assert statements(PACKAGE_DIR / "settings.py.jinja") >= 1
    assert len(rendered_python_templates()) > 100


@pytest.mark.parametrize(
    "answers",
    [{}, {"message_broker": "rabbitmq", "database": "postgresql", "jwt_algorithm": "EdDSA"}],
    ids=["defaults", "rabbitmq-postgresql-eddsa"],
)
def test_rendered_files_name_no_document_the_project_lacks(
    copier: CopierFixture, tmp_path: Path, answers: dict[str, Any]
) -> None:
    root = copier.copy(tmp_path / "project", **answers).path
    dangling = []
    for path in root.rglob("*"):
        if not path.is_file() or ".git" in path.parts or path.suffix in {".gz", ".db"}:
            continue
        for named in DOC_PATH.findall(path.read_text(errors="replace")):
            if not (root / named).exists():
                dangling.append(f"{path.relative_to(root)}: {named}")
    assert not dangling, dangling
