"""`copier update` migration: rename and reshape answers in a project's answers file.

Copier runs this before it renders the new template version (`_migrations` in copier.yml,
stage "before"), so the new version's questions find the project's answers under their
current names. Without it a renamed question would silently fall back to its default on
update (for example, a PostgreSQL project would be re-rendered for SQLite).

    python migrate_answers.py .copier-answers.yml

Idempotent: an answers file that already uses the current names is left byte for byte as
it is. Runs under copier's own interpreter, so it needs nothing beyond copier's dependencies
(PyYAML is one of them).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import yaml

# Older spelling of a question -> current spelling. When both are present the current one
# wins (it was written by a newer copier run) and the old key is dropped.
RENAMED: dict[str, str] = {
    "db": "database",  # 0.1.0
}
# Per question: older values -> the current choice.
VALUE_ALIASES: dict[str, dict[Any, Any]] = {
    "database": {"postgres": "postgresql", "pg": "postgresql", "sqlite3": "sqlite"},  # 0.1.0
}


def migrate(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers with current names and values, in their original order."""
    migrated: dict[str, Any] = {}
    for key, value in answers.items():
        new_key = RENAMED.get(key, key)
        if new_key != key and new_key in answers:
            continue
        migrated[new_key] = value
    for key, aliases in VALUE_ALIASES.items():
        value = migrated.get(key)
        if isinstance(value, (str, int, float, bool)) and value in aliases:
            migrated[key] = aliases[value]
    return migrated


def _is_comment(line: str) -> bool:
    return line.startswith("#")


def main(path: Path) -> int:
    if not path.is_file():
        print(f"migrate_answers: {path} not found", file=sys.stderr)
        return 1
    text = path.read_text(encoding="utf-8")
    answers = yaml.safe_load(text) or {}
    if not isinstance(answers, dict):
        print(f"migrate_answers: {path} is not a mapping", file=sys.stderr)
        return 1
    migrated = migrate(answers)
    if migrated == answers and list(migrated) == list(answers):
        return 0
    # Keep the leading comment copier writes ("Changes here will be overwritten...").
    header = "".join(f"{line}\n" for line in itertools.takewhile(_is_comment, text.splitlines()))
    body = yaml.safe_dump(migrated, sort_keys=False, allow_unicode=True, default_flow_style=False)
    path.write_text(header + body, encoding="utf-8")
    changed = [key for key in migrated if key not in answers or migrated[key] != answers[key]]
    print(f"migrate_answers: updated {', '.join(changed)} in {path}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: migrate_answers.py ANSWERS_FILE", file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(main(Path(sys.argv[1])))
