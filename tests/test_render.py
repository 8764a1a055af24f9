"""Fast tier: render every combination (or a 3-wise cover once the product grows) and check
the output statically; wrong answers fail at the prompt with a clear message."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_copier.plugin import CopierFixture

from tests import matrix
from tests.validate import check_delivery_files

# Jinja left in the output; GitHub Actions' `${{ ... }}` is not ours.
LEFTOVER_JINJA = re.compile(r"(?<!\$)\{\{|\{%|%\}|\{#")
TEXT_SUFFIXES = {
    ".py",
    ".toml",
    ".md",
    ".yml",
    ".yaml",
    ".ini",
    ".mako",
    ".cfg",
    ".txt",
    ".example",
    ".json",
    "",
}
# Files that are meant to be empty.
EMPTY_ALLOWED = {"__init__.py", "py.typed"}
SECRET_HINTS = ("secret", "password", "token", "private_key")


def text_files(root: Path) -> list[Path]:
    return [
        path
        for path in root.rglob("*")
        if path.is_file() and ".git" not in path.parts and path.suffix in TEXT_SUFFIXES
    ]


@pytest.mark.parametrize("answers", matrix.fast_tier_rows(), ids=matrix.label)
def test_combination_renders_cleanly(
    copier: CopierFixture, tmp_path: Path, answers: dict[str, Any]
) -> None:
    project = copier.copy(tmp_path / "project", **answers)
    root = project.path

    for path in text_files(root):
        text = path.read_text(encoding="utf-8")
        match = LEFTOVER_JINJA.search(text)
        assert match is None, (
            f"unrendered Jinja in {path.relative_to(root)}: ...{text[max(0, match.start() - 40) : match.end() + 40]}..."
        )
        if path.name not in EMPTY_ALLOWED:
            assert text.strip(), f"empty file left behind: {path.relative_to(root)}"
        if path.suffix == ".py":
            ast.parse(text, filename=str(path))
            compile(text, str(path), "exec")
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix in {".yml", ".yaml"}:
            list(yaml.safe_load_all(text))
        elif path.suffix == ".json":
            json.loads(text)

    empty_dirs = [p for p in root.rglob("*") if p.is_dir() and not any(p.iterdir())]
    assert not empty_dirs, f"empty folders left behind: {empty_dirs}"
    assert not any(p.name.endswith(".jinja") for p in root.rglob("*")), (
        "a .jinja file was copied verbatim"
    )
    leftovers = [p for p in root.rglob("*") if p.suffix in {".orig", ".rej"}]
    assert not leftovers, f"merge leftovers in the template: {leftovers}"

    answers_file = yaml.safe_load((root / ".copier-answers.yml").read_text())
    for name, value in answers.items():
        assert answers_file[name] == value
    assert "_commit" in answers_file and "_src_path" in answers_file
    assert not [key for key in answers_file if any(hint in key.lower() for hint in SECRET_HINTS)]

    env = (root / ".env").read_text()
    secret = re.search(r"^SECURITY__SECRET_KEY=(.+)$", env, re.MULTILINE)
    assert secret and len(secret.group(1)) >= 43 and not secret.group(1).startswith("change-me")
    assert secret.group(1) not in (root / ".copier-answers.yml").read_text()
    assert ".env" in (root / ".gitignore").read_text().splitlines()
    package = answers_file["package_name"]
    assert (root / "src" / package / "main.py").is_file()
    check_delivery_files(root, answers)


def test_defaults_render_the_documented_names(copier: CopierFixture, tmp_path: Path) -> None:
    project = copier.copy(tmp_path / "p", project_name="Acme Billing")
    answers = yaml.safe_load((project.path / ".copier-answers.yml").read_text())
    assert (answers["project_slug"], answers["package_name"]) == ("acme-billing", "acme_billing")
    accented = copier.copy(tmp_path / "q", project_name="Über Café").path / ".copier-answers.yml"
    assert yaml.safe_load(accented.read_text())["project_slug"] == "uber-cafe"
    pyproject = tomllib.loads((project.path / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "acme-billing"
    assert pyproject["project"]["scripts"] == {"acme_billing": "acme_billing.cli:main"}


def test_every_render_gets_its_own_secret(copier: CopierFixture, tmp_path: Path) -> None:
    first = copier.copy(tmp_path / "a").path / ".env"
    second = copier.copy(tmp_path / "b").path / ".env"
    assert first.read_text() != second.read_text()


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"package_name": "class"}, "is a Python keyword"),
        ({"package_name": "typing"}, "would shadow the standard library"),
        ({"package_name": "fastapi"}, "would shadow the standard library, a dependency"),
        ({"package_name": "test"}, "would shadow"),
        ({"package_name": "Acme-Billing"}, "is not a valid package name"),
        ({"package_name": "_acme"}, "is not a valid package name"),
        ({"package_name": "acme__x"}, "is not a valid package name"),
        ({"package_name": "acme_"}, "is not a valid package name"),
        ({"package_name": "dotenv"}, "would shadow the standard library, a dependency"),
        ({"package_name": "multipart"}, "would shadow the standard library, a dependency"),
        ({"package_name": "rich"}, "would shadow the standard library, a dependency"),
        ({"project_slug": "Bad Slug"}, "is not a valid slug"),
        ({"project_slug": "trailing-"}, "is not a valid slug"),
        ({"author_email": "not-an-email"}, "does not look like an email address"),
        ({"project_name": "   "}, "must not be empty"),
        ({"project_description": "two\nlines"}, "single line"),
        ({"project_name": "two\nlines"}, "single line"),
        ({"project_name": "x" * 61}, "longer than 60 characters"),
        ({"author_name": "two\nlines"}, "single line"),
        ({"author_email": 'a"b@example.com'}, "does not look like an email address"),
    ],
    ids=lambda value: (
        str(value) if isinstance(value, str) else ",".join(f"{k}={v!r}" for k, v in value.items())
    ),
)
def test_wrong_answers_fail_at_copy_time(
    copier: CopierFixture, tmp_path: Path, answers: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        copier.copy(tmp_path / "bad", **answers)
    assert not (tmp_path / "bad" / "pyproject.toml").exists()


def test_every_help_fits_an_80_column_terminal() -> None:
    """Copier prints a question's help as written; a choice prompt cuts long lines off."""
    for name, spec in matrix.questions().items():
        for line in str(spec.get("help", "")).splitlines():
            assert len(line) <= 64, f"{name}: {line!r} is {len(line)} columns"


CHOICE_DIMENSIONS = [d for d in matrix.dimensions() if "choices" in matrix.questions()[d.name]]
BOOL_DIMENSIONS = [
    d for d in matrix.dimensions() if matrix.questions()[d.name].get("type") == "bool"
]


@pytest.mark.parametrize(("name", "value"), [(d.name, d.values[0]) for d in CHOICE_DIMENSIONS])
def test_choices_outside_the_list_are_refused(
    copier: CopierFixture, tmp_path: Path, name: str, value: Any
) -> None:
    with pytest.raises(ValueError):
        copier.copy(tmp_path / "bad", **{name: "definitely-not-a-choice"})


@pytest.mark.parametrize("name", [d.name for d in BOOL_DIMENSIONS])
@pytest.mark.parametrize(
    ("typed", "expected"), [("false", False), ("no", False), ("true", True), ("yes", True)]
)
def test_yes_no_answers_typed_as_text_become_booleans(
    copier: CopierFixture, tmp_path: Path, name: str, typed: str, expected: bool
) -> None:
    # `--data docker=false` arrives as text; copier must store (and branch on) a boolean.
    project = copier.copy(tmp_path / "p", **{name: typed})
    assert yaml.safe_load((project.path / ".copier-answers.yml").read_text())[name] is expected


def test_the_next_steps_align_their_comments_and_start_with_a_repository(
    copier: CopierFixture, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The after-copy message and the README's quick start, with the longest package name."""
    capfd.readouterr()
    answers = {"package_name": "a_package_name_of_thirty_chars", "message_broker": "rabbitmq"}
    root = copier.copy(tmp_path / "p", **answers).path
    printed = capfd.readouterr()
    steps = (printed.out + printed.err).split("Next steps", 1)[1].split("\n\n", 1)[0]
    readme = (root / "README.md").read_text().split("```bash\n", 1)[1].split("```", 1)[0]
    for block in (steps, readme):
        commented = [line for line in block.splitlines() if "  # " in line.strip()]
        assert len(commented) >= 4, block
        assert len({line.index("  # ") for line in commented}) == 1, block
    assert "git init && git add -A && git commit" in steps
    assert "rabbitmq must be running at BROKER__URL" in steps


def test_free_text_answers_land_escaped_in_every_file(
    copier: CopierFixture, tmp_path: Path
) -> None:
    root = copier.copy(tmp_path / "p", **matrix.FREE_TEXT).path
    answers = yaml.safe_load((root / ".copier-answers.yml").read_text())
    assert (answers["project_slug"], answers["package_name"]) == (
        "uber-q-cafe-inc",
        "uber_q_cafe_inc",
    )
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert project["description"] == matrix.FREE_TEXT["project_description"]
    assert project["authors"][0]["name"] == matrix.FREE_TEXT["author_name"]
    package = root / "src" / "uber_q_cafe_inc"
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
    assert docstring and " ".join(docstring.split()) == " ".join(
        f"{matrix.FREE_TEXT['project_name']} {matrix.FREE_TEXT['project_description']}".split()
    )
    settings = ast.parse((package / "settings.py").read_text())
    names = [
        node.value.value
        for node in ast.walk(settings)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "name"
        and isinstance(node.value, ast.Constant)
    ]
    assert names == [matrix.FREE_TEXT["project_name"]]
    readme = (root / "README.md").read_text().splitlines()
    assert readme[0] == '# Über "Q" \\\\ Café, Inc.'
    assert readme[2].startswith('Says "hi" \\\\ to \\*all\\* \\<you>, \\`code\\`')
    ruff = [sys.executable, "-m", "ruff"]
    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        result = subprocess.run(
            [*ruff, *command], cwd=root, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


# The shortest and the longest package names the validator accepts: generated lines must pass
# ruff (line length, import sorting, formatting) whatever the name's length.
NAME_LENGTHS = ["svc", "a_package_name_of_thirty_chars"]


@pytest.mark.parametrize("package_name", NAME_LENGTHS)
@pytest.mark.parametrize("answers", matrix.pairwise(), ids=matrix.label)
def test_rendered_code_passes_ruff_for_any_name_length(
    copier: CopierFixture, tmp_path: Path, answers: dict[str, Any], package_name: str
) -> None:
    assert len(NAME_LENGTHS[-1]) == 30
    root = copier.copy(tmp_path / "project", package_name=package_name, **answers).path
    ruff = [sys.executable, "-m", "ruff"]
    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        result = subprocess.run(
            [*ruff, *command], cwd=root, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_copy_needs_neither_trust_nor_an_extension(tmp_path: Path) -> None:
    """Plain copier renders the template: no `--trust`, copier-template-extensions
    unimportable (as with `uvx copier`), and .env gets its fresh secret all the same."""
    template = tmp_path / "template"
    template.mkdir()
    for name in ("copier.yml", "extensions", "tasks", "template"):
        source = matrix.ROOT / name
        if source.is_dir():
            shutil.copytree(source, template / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, template / name)
    blocked = (
        "import sys; sys.modules['copier_template_extensions'] = None; "
        "from copier._cli import CopierApp; CopierApp.run()"
    )
    result = subprocess.run(
        [sys.executable, "-c", blocked, "copy", "--defaults", "--quiet"]
        + ["--data", "project_name=Über Café", str(template), str(tmp_path / "p")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    root = tmp_path / "p"
    answers = yaml.safe_load((root / ".copier-answers.yml").read_text())
    assert (answers["project_slug"], answers["package_name"]) == ("uber-cafe", "uber_cafe")
    env = (root / ".env").read_text()
    secret = re.search(r"^SECURITY__SECRET_KEY=([A-Za-z0-9_-]{64})$", env, re.MULTILINE)
    assert secret and len(set(secret.group(1))) > 20, env


def test_the_documented_author_from_git_config(copier: CopierFixture, tmp_path: Path) -> None:
    """Copier cannot run `git config` for a default without an extension; the README's
    `-d author_name="$(git config user.name)"` gives the same answers."""
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Ada O'Brien\n\temail = ada@example.org\n")
    env = {**os.environ, "GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1"}
    readme = (matrix.ROOT / "README.md").read_text()
    assert '-d author_name="$(git config user.name)"' in " ".join(readme.split())
    answers = {
        name: subprocess.run(
            ["git", "config", key], capture_output=True, text=True, env=env, check=True
        ).stdout.strip()
        for name, key in (("author_name", "user.name"), ("author_email", "user.email"))
    }
    root = copier.copy(tmp_path / "p", **answers).path
    authors = tomllib.loads((root / "pyproject.toml").read_text())["project"]["authors"]
    assert authors == [{"name": "Ada O'Brien", "email": "ada@example.org"}]
