"""Post-copy task: write `.env` from `.env.example`, generating every secret afresh.

A line of `.env.example` whose value starts with `change-me` is a secret: `.env` gets a new
random value for it. Existing `.env` entries are never touched; keys that `.env` lacks (for
example after `copier update` turned a feature on) are appended. Running it twice changes
nothing, and it needs only the standard library because it runs under copier's interpreter.

Values are never rewritten, not even after `copier update --data database=...` changed what
the project expects; a URL whose scheme no longer matches `.env.example` is reported instead.
"""

from __future__ import annotations

import re
import secrets
import sys
from pathlib import Path

SECRET_MARKER = "change-me"
# The scheme's first part: "postgresql" in postgresql+asyncpg://, so a plain postgresql://
# (which the settings accept) is not reported as different.
URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9.-]*)(\+[A-Za-z0-9.-]+)?://")


def _key(line: str) -> str | None:
    stripped = line.strip()
    if not stripped or stripped.startswith("#") or "=" not in stripped:
        return None
    return stripped.split("=", 1)[0].strip()


def render_env(example: str, existing: str) -> str:
    present = {key for line in existing.splitlines() if (key := _key(line))}
    added: list[str] = []
    for line in example.splitlines():
        key = _key(line)
        if key is None or key in present:
            continue
        value = line.split("=", 1)[1].strip()
        if value.startswith(SECRET_MARKER):
            value = secrets.token_urlsafe(48)
        added.append(f"{key}={value}")
    if not existing:
        header = "# Local settings with generated secrets. Never commit this file.\n"
        return header + "\n".join(added) + ("\n" if added else "")
    if not added:
        return existing
    separator = "" if existing.endswith("\n") else "\n"
    return existing + separator + "\n".join(added) + "\n"


def _values(text: str) -> dict[str, str]:
    return {key: line.split("=", 1)[1].strip() for line in text.splitlines() if (key := _key(line))}


def stale_urls(example: str, existing: str) -> list[str]:
    """Warnings for `.env` URLs of another kind (database, broker) than `.env.example` uses."""
    warnings = []
    current = _values(existing)
    for key, expected in _values(example).items():
        wanted = URL_SCHEME.match(expected)
        found = URL_SCHEME.match(current.get(key, ""))
        if wanted and found and wanted.group(1) != found.group(1):
            warnings.append(
                f"write_env: .env sets {key} to a {found.group(1)} URL but this project now "
                f"uses {wanted.group(1)} (see .env.example); update it, .env is never rewritten"
            )
    return warnings


def main(root: Path) -> int:
    example = root / ".env.example"
    if not example.is_file():
        print(f"write_env: {example} not found", file=sys.stderr)
        return 1
    target = root / ".env"
    existing = target.read_text(encoding="utf-8") if target.exists() else ""
    template = example.read_text(encoding="utf-8")
    content = render_env(template, existing)
    for warning in stale_urls(template, existing):
        print(warning, file=sys.stderr)
    if content != existing:
        target.write_text(content, encoding="utf-8")
        target.chmod(0o600)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path.cwd()))
