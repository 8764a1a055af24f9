"""Readers for a rendered project's delivery files (Dockerfile, .dockerignore, CI files,
Makefile, README), shared by the fast tier (static checks) and the full tier (which runs
what they say)."""

from __future__ import annotations

import fnmatch
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# The executables that `uv run X` may call in a rendered project, and the distribution that
# must be among its dependencies to provide each; the project's own scripts come on top.
TOOL_DISTRIBUTIONS = {
    "alembic": "alembic",
    "lint-imports": "import-linter",
    "mypy": "mypy",
    "pre-commit": "pre-commit",
    "pytest": "pytest",
    "ruff": "ruff",
    "uvicorn": "uvicorn",
}
# Options that change how a tool reports, not what it checks: CI adds them for annotations.
REPORTING_OPTION = re.compile(r"^--(output-format|cov-report)(=.*)?$")


# --- Dockerfile ------------------------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str
    flags: dict[str, str]
    value: str
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON array of CMD/ENTRYPOINT/RUN, or None for the shell form."""
        text = self.value.strip()
        if text.startswith("["):
            parsed = yaml.safe_load(text)  # a JSON array is YAML too
            assert isinstance(parsed, list)
            return [str(item) for item in parsed]
        return None


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[Instruction] = field(default_factory=list)


def parse_dockerfile(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages, with line continuations joined."""
    logical: list[tuple[int, str]] = []
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") and (buffer or not stripped.startswith("# syntax")):
            continue  # comments, also inside continuations (Docker drops them)
        if stripped.startswith("# syntax"):
            continue
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        buffer += stripped
        if buffer.strip():
            logical.append((start, buffer.strip()))
        buffer = ""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for number, line in logical:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        flags: dict[str, str] = {}
        rest = rest.strip()
        while rest.startswith("--"):
            token, _, rest = rest.partition(" ")
            name, _, value = token[2:].partition("=")
            flags[name] = value
            rest = rest.strip()
        if keyword == "FROM":
            image, _, alias = rest.partition(" AS ")
            image = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args[m.group(1) or m.group(2)], image)
            stages.append(Stage(alias.strip() or str(len(stages)), image.strip()))
        elif keyword == "ARG" and not stages:
            name, _, value = rest.partition("=")
            args[name] = value
        else:
            assert stages, f"line {number}: {keyword} before FROM"
            stages[-1].instructions.append(Instruction(keyword, flags, rest, number))
    return args, stages


def env_pairs(value: str) -> list[tuple[str, str]]:
    """`ENV A=1 B="x y"` as pairs (the legacy `ENV A 1` form is refused by hadolint)."""
    return [tuple(item.split("=", 1)) for item in shlex.split(value)]  # type: ignore[misc]


# --- .dockerignore ----------------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            parts.append(pattern[i : end + 1])
            i = end + 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(parts))


def dockerignore_rules(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line[1:] if negated else line
        rules.append((negated, _pattern_regex(pattern.strip("/"))))
    return rules


def is_ignored(relative: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker's semantics: the last matching rule wins; a rule matching a folder covers
    everything below it."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for negated, regex in rules:
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            ignored = not negated
    return ignored


def build_context(project: Path) -> list[str]:
    """The files `docker build .` sends, relative to the project."""
    rules = dockerignore_rules((project / ".dockerignore").read_text())
    return sorted(
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and not is_ignored(path.relative_to(project).as_posix(), rules)
    )


def copy_sources(stage: Stage) -> list[str]:
    """Sources of the stage's COPY instructions that come from the build context."""
    found = []
    for instruction in stage.instructions:
        if instruction.keyword == "COPY" and "from" not in instruction.flags:
            found.extend(shlex.split(instruction.value)[:-1])
    return found


def context_matches(source: str, context: list[str]) -> list[str]:
    source = source.strip("./") or "."
    return [
        name
        for name in context
        if fnmatch.fnmatchcase(name, source) or name.startswith(source.rstrip("/") + "/")
    ]


# --- CI files and shell ----------------------------------------------------------------------


def github_scripts(workflow: dict[str, Any]) -> list[str]:
    return [
        step["run"]
        for job in workflow["jobs"].values()
        for step in job.get("steps", [])
        if "run" in step
    ]


def gitlab_scripts(pipeline: dict[str, Any]) -> list[str]:
    scripts = []
    for name, job in pipeline.items():
        if not isinstance(job, dict) or name in {"default", "variables", "workflow", "stages"}:
            continue
        for key in ("before_script", "script", "after_script"):
            scripts.extend(str(item) for item in job.get(key, []))
    return scripts


def shell_commands(script: str) -> list[list[str]]:
    """The simple commands of a script: lines joined at `\\`, split at `&&`, `||`, `;`, `|`."""
    commands = []
    for line in script.replace("\\\n", " ").splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        for part in re.split(r"\s*(?:&&|\|\||;|\|)\s*", line):
            try:
                words = shlex.split(part)
            except ValueError:
                continue  # half of a quoted string spread over lines: not a simple command
            if words:
                commands.append(words)
    return commands


def uv_run_commands(scripts: list[str]) -> list[list[str]]:
    """Every `uv run X ...` as [X, ...], options that only change reporting removed."""
    found = []
    for script in scripts:
        for words in shell_commands(script):
            if words[:2] == ["uv", "run"]:
                found.append([word for word in words[2:] if not REPORTING_OPTION.match(word)])
    return found


def dependency_names(pyproject: dict[str, Any]) -> set[str]:
    specs = list(pyproject["project"].get("dependencies", []))
    for group in pyproject.get("dependency-groups", {}).values():
        specs.extend(item for item in group if isinstance(item, str))
    return {re.split(r"[\s<>=!~\[;]", spec, maxsplit=1)[0].lower() for spec in specs}


# --- Makefile and README ---------------------------------------------------------------------


def make_targets(makefile: str) -> list[str]:
    return re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE)


def make_dry_run(project: Path, target: str, **variables: str) -> list[str]:
    """The commands `make` would run for a target, expanded by make itself."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", target, *(f"{k}={v}" for k, v in variables.items())],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def readme_command_table(readme: str) -> list[tuple[str, str]]:
    """(make invocation, command) rows of the README's "Commands" table."""
    section = readme.split("## Commands", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1].startswith("`"):
            rows.append((cells[0].strip("`"), cells[1].strip("`")))
    return rows


def readme_quickstart(readme: str) -> list[str]:
    block = readme.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


# --- what the full tier runs -----------------------------------------------------------------

# The checks the full tier runs in every rendered project, in order (`{package}` is the
# project's package). CI files and the Makefile may only run commands from this list, so a
# green full tier means their commands pass too.
PROJECT_CHECKS: list[tuple[str, list[str]]] = [
    ("ruff check", ["ruff", "check", "."]),
    ("ruff format", ["ruff", "format", "--check", "."]),
    ("mypy --strict", ["mypy"]),
    ("lint-imports", ["lint-imports"]),
    # On a fresh database: `alembic upgrade heads` itself creates a missing PostgreSQL one.
    # Every branch (the platform's and each module's) up, checked, down, and up again.
    ("alembic upgrade heads", ["alembic", "upgrade", "heads"]),
    ("alembic check", ["alembic", "check"]),
    ("alembic downgrade base", ["alembic", "downgrade", "base"]),
    ("migrate (upgrade heads)", ["{package}", "migrate"]),
    ("pytest (coverage >= 90%)", ["pytest"]),
]


def project_checks(package: str) -> list[tuple[str, list[str]]]:
    return [
        (name, [word.format(package=package) for word in words]) for name, words in PROJECT_CHECKS
    ]
