"""The documentation site builds strictly and says what the template really does: the same
quickstart as the README, every question, the rendered project's commands, and a worked
example that the full tier applies to a rendered project and checks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_copier.plugin import CopierFixture

from tests import delivery, matrix
from tests.conftest import ROOT, project_env, require_command, run

DOCS = ROOT / "docs"
MKDOCS = Path(sys.executable).with_name("mkdocs")
CODE_BLOCK = re.compile(r'^```(\w+) title="([^"]+)"\n(.*?)^```$', re.MULTILINE | re.DOTALL)


def mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    return subprocess.run(
        [str(MKDOCS), "build", "--strict", "--config-file", str(config), "--site-dir", str(site)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    result = mkdocs_build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stdout + result.stderr
    for page in (
        "index",
        "questions",
        "architecture",
        "adding-a-module",
        "security",
        "updating",
        "commands",
        "scaling",
        "performance",
        "development",
    ):
        assert (tmp_path / "site" / page.replace("index", "") / "index.html").is_file(), page
    assert 'class="mermaid"' in (tmp_path / "site" / "architecture" / "index.html").read_text()


def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(DOCS, copy / "docs")
    shutil.copy(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    page = copy / "docs" / "security.md"
    page.write_text(page.read_text() + "\nSee [the missing page](missing.md#nowhere).\n")
    result = mkdocs_build(copy / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0
    assert "missing.md" in result.stdout + result.stderr


def first_bash_block(text: str) -> str:
    return text.split("```bash\n", 1)[1].split("```", 1)[0]


def test_getting_started_is_the_readme_quickstart() -> None:
    readme = (ROOT / "README.md").read_text().split("## Quickstart", 1)[1]
    assert first_bash_block((DOCS / "index.md").read_text()) == first_bash_block(readme)


def test_every_question_is_documented() -> None:
    page = (DOCS / "questions.md").read_text()
    documented = set(re.findall(r"^\| `(\w+)` \|", page, re.MULTILINE))
    assert documented == set(matrix.questions()), (
        "docs/questions.md and copier.yml list different questions"
    )
    readme = (ROOT / "README.md").read_text()
    assert set(re.findall(r"^\| `(\w+)` \|", readme, re.MULTILINE)) == documented


def test_the_commands_page_matches_the_rendered_readme(
    copier: CopierFixture, tmp_path: Path
) -> None:
    root = copier.copy(tmp_path / "p").path
    package = "my_service"
    rendered = {
        (make, command.replace(package, "<package>"))
        for make, command in delivery.readme_command_table((root / "README.md").read_text())
        if make
    }
    page = (DOCS / "commands.md").read_text().replace("## Daily work", "## Commands", 1)
    assert set(delivery.readme_command_table(page)) == rendered


def worked_example() -> tuple[list[tuple[str, str, str]], list[str]]:
    """The titled code blocks of the worked example, and its shell commands."""
    page = (DOCS / "adding-a-module.md").read_text()
    blocks = [(language, title, body) for language, title, body in CODE_BLOCK.findall(page)]
    commands = [body for language, _, body in blocks if language == "bash"]
    assert len(commands) == 1
    return [block for block in blocks if block[0] != "bash"], commands[0].strip().splitlines()


@pytest.mark.slow
def test_the_worked_example_passes_the_projects_checks(
    copier: CopierFixture, tmp_path: Path
) -> None:
    """docs/adding-a-module.md, applied file by file to a rendered project (every block is a
    new file: a module plugs itself in), then the page's commands run."""
    uv = require_command("uv")
    root = copier.copy(tmp_path / "project").path  # package `my_service`, as on the page
    env = project_env()
    blocks, commands = worked_example()
    assert len(blocks) >= 13
    for language, title, body in blocks:
        target = root / title
        if language == "python":
            assert not target.exists(), f"{title} already exists in a rendered project"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body)
            package_dir = target.parent
            while package_dir != root / "src" and package_dir != root / "tests":
                (package_dir / "__init__.py").touch()
                package_dir = package_dir.parent
        elif language == "ini":
            # A section of an existing file: the block replaces its first line's option.
            option = body.split("=", 1)[0].strip()
            text = target.read_text()
            section = re.search(rf"^{option} =\n(?:[ \t]+.*\n|\{{.*\n)*", text, re.MULTILINE)
            assert section, f"{title} has no {option} option to replace"
            target.write_text(text[: section.start()] + body + text[section.end() :])
        else:
            pytest.fail(f"unexpected block {language} {title}")
    run([uv, "sync"], cwd=root, env=env)
    assert commands[-1] == "uv run pytest", commands
    for command in commands[:-1]:
        run(["bash", "-c", f"set -euo pipefail; {command}"], cwd=root, env=env)
    # The page's last command, `uv run pytest`, over the module's tests and the application's
    # own (the rest of the project is a default render, whose full suite the matrix runs):
    # they pass, and the module keeps the project's coverage floor.
    tests = ["tests/modules/catalog", "tests/e2e", "tests/architecture"]
    run(
        [uv, "run", "pytest", "-q", "-p", "no:cacheprovider", "--cov-fail-under=0", *tests],
        cwd=root,
        env=env,
    )
    floor = ["coverage", "report", "--include=src/my_service/modules/catalog/*", "--fail-under=90"]
    run([uv, "run", *floor], cwd=root, env=env)
    versions = root / "migrations" / "versions"
    added = [path.name for path in (versions / "catalog").glob("*.py")]
    assert len(added) == 1 and added[0].endswith("_catalog_products.py"), added
    heads = run([uv, "run", "alembic", "heads"], cwd=root, env=env).stdout
    assert "(catalog)" in heads, heads
    contracts = run([uv, "run", "lint-imports"], cwd=root, env=env).stdout
    assert "BROKEN" not in contracts
    # The wildcard contracts see the new module: a deliberate breach fails them.
    breach = root / "src" / "my_service" / "modules" / "catalog" / "domain" / "breach.py"
    breach.write_text("import sqlalchemy  # noqa: F401\n")
    broken = subprocess.run(
        [uv, "run", "lint-imports"], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    assert broken.returncode != 0 and "my_service.modules.catalog.domain.breach" in broken.stdout
