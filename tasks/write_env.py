"""Post-copy task: write `.env` from `.env.example`, generating every secret afresh.

A line of `.env.example` whose value starts with `change-me` is a secret: `.env` gets a new
random value for it. Existing `.env` entries are never touched; keys that `.env` lacks (for
example after `copier update` turned a feature on) are appended. Running it twice changes
nothing, and it needs only the standard library because it runs under copier's interpreter.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

SECRET_MARKER = "change-me"


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


def main(root: Path) -> int:
    example = root / ".env.example"
    if not example.is_file():
        print(f"write_env: {example} not found", file=sys.stderr)
        return 1
    target = root / ".env"
    existing = target.read_text(encoding="utf-8") if target.exists() else ""
    content = render_env(example.read_text(encoding="utf-8"), existing)
    if content != existing:
        target.write_text(content, encoding="utf-8")
        target.chmod(0o600)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path.cwd()))
