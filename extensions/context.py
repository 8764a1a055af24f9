"""Jinja extensions of the template: naming filters, answer checks and derived values.

Loaded by copier through copier-template-extensions (see `_jinja_extensions` in copier.yml),
so this file is imported by path and must only use the standard library and Jinja.
"""

from __future__ import annotations

import keyword
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

from copier_template_extensions import ContextHook
from jinja2 import Environment
from jinja2.ext import Extension

# Top-level import names of the rendered project's dependencies, for every answer. A package
# named like one of them would shadow it on sys.path. The template suite checks each rendered
# project's environment against the list.
DEPENDENCY_NAMES = frozenset(
    line.strip()
    for line in (Path(__file__).parent / "dependency_names.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)
# Names that are not modules but still break imports, tooling or the layout.
# Long enough for real names; bounded so generated lines stay within the 100-column limit.
MAX_PACKAGE_NAME = 30
RESERVED_NAMES = frozenset({"test", "tests", "src", "app", "migrations", "site", "setup"})


def _words(value: str) -> list[str]:
    # Letters with accents lose them ("Über Café" -> "uber cafe"); other non-ASCII goes.
    value = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    value = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(value))
    return [word.lower() for word in re.split(r"[^A-Za-z0-9]+", value) if word]


def snake_case(value: str) -> str:
    return "_".join(_words(value))


def kebab_case(value: str) -> str:
    return "-".join(_words(value))


def slug_error(value: str) -> str:
    """An error message for an unusable project slug, or an empty string."""
    if re.fullmatch(r"[a-z][a-z0-9-]*[a-z0-9]", str(value)):
        return ""
    return (
        f'"{value}" is not a valid slug: use lowercase letters, digits and dashes, starting '
        'with a letter and not ending with a dash (for example "acme-billing").'
    )


def email_error(value: str) -> str:
    """An error message for a value that is not shaped like an email address, or ''."""
    if re.fullmatch(r'[^@\s"\\<>,]+@[^@\s"\\<>,]+\.[^@\s"\\<>,]+', str(value)):
        return ""
    return f'"{value}" does not look like an email address (expected name@domain.tld).'


def package_name_error(value: str) -> str:
    """An error message for an unusable package name, or an empty string."""
    name = str(value)
    if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name):
        return (
            f'"{name}" is not a valid package name: use lowercase letters and digits in words '
            'joined by single underscores, starting with a letter (for example "acme_billing").'
        )
    if len(name) > MAX_PACKAGE_NAME:
        return f'"{name}" is longer than {MAX_PACKAGE_NAME} characters; choose a shorter name.'
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f'"{name}" is a Python keyword and cannot be imported; choose another name.'
    if name in sys.stdlib_module_names or name in DEPENDENCY_NAMES or name in RESERVED_NAMES:
        return (
            f'"{name}" would shadow the standard library, a dependency or a project folder; '
            "choose a more specific name."
        )
    return ""


class NamingExtension(Extension):
    """Case-conversion filters and the package-name check, usable in questions and files."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["snake_case"] = snake_case
        environment.filters["kebab_case"] = kebab_case
        environment.filters["package_name_error"] = package_name_error
        environment.filters["slug_error"] = slug_error
        environment.filters["email_error"] = email_error


class DerivedContext(ContextHook):
    """Values derived from the answers, computed once for every rendered file."""

    def hook(self, context: dict[str, Any]) -> None:
        python = str(context.get("python_version", "3.12"))
        context["python_tag"] = "py" + python.replace(".", "")
        context["is_sqlite"] = context.get("database") == "sqlite"
        context["is_postgresql"] = context.get("database") == "postgresql"
