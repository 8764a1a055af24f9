"""`new-module <name>`: adds a bounded context to the project, as a complete vertical slice
that passes every check of the project as soon as it is written: an aggregate with a value
object, a domain event and its errors; a command, a query and a paginated list; the event's
way out through the outbox; the table, its repository and read side; routes for callers
authenticated through auth's contract; its settings, its branch of the Alembic history and
its tests (unit, integration, end to end, architecture).

The files come from `templates/`, where `[[name]]` marks what is filled in. They become
the project's own code: `copier update` never touches them. Besides its new files, the
command adds one line to `pyproject.toml` (the module joins the `modules-depend-one-way`
contract) and one to `alembic.ini` (its folder of revisions joins `version_locations`), and
formats what it wrote with ruff, as Alembic's hook does for revisions.
"""

import argparse
import keyword
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
PACKAGE = __name__.split(".")[0]
NAME = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
AGGREGATE = re.compile(r"[A-Z][A-Za-z0-9]*")
# Names a module may not take: settings groups of the platform and of auth (a module's
# settings group is its name), and the project's own top-level names.
RESERVED = {
    *("app", "log", "http", "database", "security", "outbox", "broker", "mail", "identity"),
    *("kernel", "platform", "modules", "main", "cli", "container", "settings", "tests"),
}
CONTRACT = 'id = "modules-depend-one-way"'
LOCATIONS = re.compile(r"^version_locations =\n((?:[ \t]+\S.*\n)+)", re.MULTILINE)
LINE_LENGTH = 100  # ruff's, in pyproject.toml: an import's dotted path cannot be wrapped
IMPORT = re.compile(r"^from (\S+) import", re.MULTILINE)


@dataclass(frozen=True)
class Names:
    module: str  # orders
    aggregate: str  # Order

    @property
    def values(self) -> dict[str, str]:
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", self.aggregate).lower()
        plural = _plural(snake)
        return {
            "package": PACKAGE,
            "module": self.module,
            "Module": "".join(part.title() for part in self.module.split("_")),
            "MODULE": self.module.upper(),
            "aggregate": snake,
            "Aggregate": self.aggregate,
            "aggregates": plural,
            "Aggregates": "".join(part.title() for part in plural.split("_")),
            "aggregate_words": snake.replace("_", " "),
            "aggregates_words": plural.replace("_", " "),
            "revision": uuid.uuid4().hex[:12],
            "date": datetime.now(UTC).date().isoformat(),
        }


def _plural(word: str) -> str:
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return f"{word}es"
    if word.endswith("y") and word[-2:-1] not in set("aeiou"):
        return f"{word[:-1]}ies"
    return f"{word}s"


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return f"{word[:-3]}y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def names(module: str, aggregate: str | None, existing: set[str]) -> Names:
    """The names for a module, or ValueError saying why they cannot be."""
    if not NAME.fullmatch(module):
        raise ValueError(f"{module!r} is not a snake_case name (orders, stock_items)")
    if keyword.iskeyword(module) or keyword.issoftkeyword(module):
        raise ValueError(f"{module!r} is a Python keyword")
    if module in sys.stdlib_module_names:
        raise ValueError(f"{module!r} is a module of Python's standard library")
    if module in RESERVED:
        raise ValueError(f"{module!r} is a name the project uses already")
    if module in existing:
        raise ValueError(f"the module {module!r} exists already")
    if aggregate is None:
        aggregate = "".join(part.title() for part in _singular(module).split("_"))
    if not AGGREGATE.fullmatch(aggregate):
        raise ValueError(f"the aggregate {aggregate!r} is not a PascalCase name (Order)")
    return Names(module, aggregate)


def plan(root: Path, chosen: Names) -> dict[Path, str]:
    """Every file to write, by its path in the project, with its content."""
    values = chosen.values
    targets = {
        "module": root / "src" / PACKAGE / "modules" / chosen.module,
        "tests": root / "tests" / "modules" / chosen.module,
    }
    files: dict[Path, str] = {}
    for template in sorted(TEMPLATES.rglob("*.tmpl")):
        relative = template.relative_to(TEMPLATES)
        content = _fill(template.read_text(encoding="utf-8"), values)
        if relative.parts[0] in targets:
            inside = Path(*relative.parts[1:]).as_posix().removesuffix(".tmpl")
            files[targets[relative.parts[0]] / _fill(inside, values)] = content
        else:  # the migration
            folder = root / "migrations" / "versions" / chosen.module
            files[folder / f"{values['revision']}_{chosen.module}.py"] = content
    return files


def _fill(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\[\[(\w+)\]\]", lambda found: values[found.group(1)], text)


def join_contract(pyproject: str, module: str) -> str | None:
    """`pyproject.toml` with the module in the first layer of the one-way contract (it uses
    auth, so it sits above it), or None where that contract is not as rendered."""
    start = pyproject.find(CONTRACT)
    if start < 0:
        return None
    found = re.compile(r'layers = \[\n(\s+)"([^"\n]*)",\n').search(pyproject, start)
    if found is None:
        return None
    indent, first = found.group(1), found.group(2)
    if module in re.findall(r"\w+", first):
        return pyproject
    if "auth" in re.findall(r"\w+", first):  # a layer of its own, above auth's
        at = found.start(1)
        return f'{pyproject[:at]}{indent}"({module})",\n{pyproject[at:]}'
    begin, end = found.span(2)
    return f"{pyproject[:begin]}{first} | ({module}){pyproject[end:]}"


def join_locations(ini: str, module: str) -> str | None:
    """`alembic.ini` with the module's folder among the version locations, or None where
    that setting is not as rendered."""
    found = LOCATIONS.search(ini)
    if found is None:
        return None
    location = f"%(here)s/migrations/versions/{module}"
    if location in found.group(1).split():
        return ini
    indent = re.match(r"[ \t]+", found.group(1))
    at = found.end(1)
    return f"{ini[:at]}{indent.group(0) if indent else '    '}{location}\n{ini[at:]}"


def existing_modules(root: Path) -> set[str]:
    folder = root / "src" / PACKAGE / "modules"
    return {path.name for path in folder.iterdir() if (path / "module.py").is_file()}


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the module's name, snake_case and plural: orders")
    parser.add_argument(
        "--aggregate", help="its aggregate's class name (default: the name singular, Order)"
    )
    parser.add_argument("--dry-run", action="store_true", help="list the files, write nothing")


def run(args: argparse.Namespace) -> int:
    root = Path.cwd()
    pyproject = root / "pyproject.toml"
    if not (root / "src" / PACKAGE / "modules").is_dir() or not pyproject.is_file():
        print("run this from the project's root folder", file=sys.stderr)
        return 2
    try:
        chosen = names(args.name, args.aggregate, existing_modules(root))
    except ValueError as exc:
        print(f"error: {exc}; nothing was written", file=sys.stderr)
        return 1
    files = plan(root, chosen)
    longest = max(
        len(f"from {path} import (") for text in files.values() for path in IMPORT.findall(text)
    )
    if longest > LINE_LENGTH:
        limit = len(chosen.module) - (longest - LINE_LENGTH)
        print(
            f"error: with the package name {PACKAGE}, imports of the module would be "
            f"{longest} columns wide (at most {LINE_LENGTH}): choose a module name of at most "
            f"{limit} characters, or a shorter --aggregate; nothing was written",
            file=sys.stderr,
        )
        return 1
    taken = [path for path in files if path.exists()]
    if taken:
        print(f"error: {taken[0]} exists; nothing was written", file=sys.stderr)
        return 1
    contract = join_contract(pyproject.read_text(encoding="utf-8"), chosen.module)
    ini = root / "alembic.ini"
    ini_text = ini.read_text(encoding="utf-8") if ini.is_file() else ""
    locations = join_locations(ini_text, chosen.module)
    for path in files:
        print(path.relative_to(root))
    if args.dry_run:
        return 0
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    edits = {  # a file, its new text, and what to do by hand where it is not as rendered
        pyproject: (contract, f"add ({chosen.module}) to the modules-depend-one-way contract"),
        ini: (locations, f"add its folder of revisions to version_locations in {ini.name}"),
    }
    for path, (text, by_hand) in edits.items():
        if text is None:
            print(f"note: {by_hand}", file=sys.stderr)
        else:
            path.write_text(text, encoding="utf-8")
    _format([str(path) for path in files if path.suffix == ".py"])
    print(
        f"\nNext: uv run {PACKAGE} migrate, then uv run pytest tests/modules/{chosen.module}; "
        f"the module's README is src/{PACKAGE}/modules/{chosen.module}/README.md"
    )
    return 0


def _format(paths: list[str]) -> None:
    """ruff (a dev dependency) wraps the lines that long names made too long."""
    for command in (["check", "--fix", "--quiet"], ["format", "--quiet"]):
        try:
            subprocess.run([sys.executable, "-m", "ruff", *command, *paths], check=False)  # noqa: S603
        except OSError:
            return
