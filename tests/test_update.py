"""`copier update` as a tested path, with real git repositories and the real copier CLI.

A temporary git repository holds a short history of this template, built from the working
tree (like pytest-copier's session template), oldest first:

- an untagged pre-release commit whose database question was spelled `db`, which the
  answers-file migration of 0.1.0 renames;
- the previous release, tagged as the coming release's first candidate (`0.3.0rc1`), after
  the answers migration's 0.1.0 like every real release since: the working tree minus three
  changes an update must bring (the README's "Updating" section, a newer dependency floor,
  a test module renamed);
- this repository's newest release before the one being prepared: its tag, or in a clone
  without tags the commit `RELEASE_COMMITS` records for it (only a shallow clone that lacks
  that commit skips the test that needs it, and says why);
- the working tree, tagged with the release CHANGELOG.md's first entry names, so the
  `_migrations` gated on that release run exactly as they will for users;
- a later untagged commit that adds a kernel Alembic revision (for the two-heads case).

Projects are rendered from an older version, committed, changed like a team would, and
updated with `copier update --defaults` as the README tells users to: without `--trust`, and
with copier-template-extensions made unimportable, except from a release that still used it
(0.2.0 and older) or across the answers migration of 0.1.0.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml
from copier import run_copy
from packaging.version import InvalidVersion, Version

from tests import matrix
from tests.conftest import (
    broker_env,
    drop_broker_topology,
    drop_database,
    project_env,
    require_command,
    run,
)

ROOT = Path(__file__).resolve().parents[1]
PROJECT_NAME = "Update Service"
PACKAGE = "update_service"
ANSWERS_FILE = ".copier-answers.yml"
CONFLICT_MARKERS = ("<<<<<<< before updating", ">>>>>>> after updating")
# The previous release had this test module under an older name; the update moves it.
MOVED_FROM = "tests/unit/test_request_ids.py"
MOVED_TO = "tests/unit/test_request_id.py"
README_MARKER = "<!-- copier-fastapi-ddd: the template's sections start here -->"
# The previous release required an older FastAPI.
OLD_FASTAPI = "fastapi>=0.100"


def current_release() -> str:
    """The version of CHANGELOG.md's first entry: the release the working tree becomes."""
    match = re.search(
        r"^## \[?(\d+(?:\.\d+)*\S*?)\]?(?:\s|$)", (ROOT / "CHANGELOG.md").read_text(), re.MULTILINE
    )
    assert match, "CHANGELOG.md has no '## <version>' entry"
    return match.group(1)


# The commit each release tag points at. A clone may carry no tags (CI checkouts often
# don't), yet it holds these commits: the test then rebuilds the tag from this table.
RELEASE_COMMITS = {
    "0.1.0": "bd0ec2162b2b825fe39df582564a2c0cd02127b7",
    "0.2.0": "189258de96ca01994a4f8763eea78c4a9dadf548",
}


def _git_lines(*args: str) -> list[str] | None:
    listed = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return listed.stdout.split() if listed.returncode == 0 else None


def releases() -> list[tuple[str, str]]:
    """This repository's releases older than `current_release()`, oldest first, as (version,
    git ref): each one's tag, or the commit RELEASE_COMMITS records when the tag is missing."""
    refs: dict[str, str] = {}
    for version, commit in RELEASE_COMMITS.items():
        if _git_lines("cat-file", "-e", f"{commit}^{{commit}}") is not None:
            refs[version] = commit
    for tag in _git_lines("tag", "--merged", "HEAD") or []:  # not a git checkout: no tags
        refs[tag] = tag
    older = []
    for name, ref in refs.items():
        try:
            version = Version(name)
        except InvalidVersion:
            continue
        if version < Version(current_release()):
            older.append((version, name, ref))
    return [(name, ref) for _, name, ref in sorted(older)]


# Every release an update test starts from (none in a checkout without them: the test says so).
RELEASES = [name for name, _ in releases()] or [None]


def migrations() -> list[dict[str, Any]]:
    return list(yaml.safe_load((ROOT / "copier.yml").read_text()).get("_migrations", []))


# --- the template's history -------------------------------------------------------------


def replace_in(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace `old` exactly `count` times: if the working tree changed under the test's feet,
    the old version must be rewritten here rather than silently become the new one."""
    text = path.read_text()
    assert text.count(old) == count, (
        f"{path}: expected {old!r} {count} time(s); adapt tests/test_update.py"
    )
    path.write_text(text.replace(old, new))


def as_previous_release(tree: Path) -> None:
    readme = tree / "template" / "README.md.jinja"
    text, found = re.subn(
        r"\n## Updating\n.*?(?=\n## |\Z)", "", readme.read_text(), flags=re.DOTALL
    )
    assert found == 1, "template/README.md.jinja has no '## Updating' section"
    readme.write_text(text)
    pyproject = tree / "template" / "pyproject.toml.jinja"
    text, found = re.subn(r'"fastapi>=[0-9.]+",', f'"{OLD_FASTAPI}",', pyproject.read_text())
    assert found == 1, "template/pyproject.toml.jinja has no fastapi requirement"
    pyproject.write_text(text)
    (tree / "template" / f"{MOVED_TO}.jinja").rename(tree / "template" / f"{MOVED_FROM}.jinja")


def as_prerelease_spelling(tree: Path) -> None:
    """The database question spelled `db`, everywhere the template uses the answer."""
    replace_in(tree / "copier.yml", "\ndatabase:\n", "\ndb:\n")
    jinja_use = re.compile(r"(\{\{|\{%)([^}%]*?)\bdatabase\b")

    def respell(text: str) -> str:
        while jinja_use.search(text):
            text = jinja_use.sub(r"\1\2db", text)
        return text

    for path in sorted(tree.rglob("*"), key=lambda found: -len(found.parts)):
        if path.is_file() and path.suffix in {".jinja", ".yml", ".py"}:
            path.write_text(
                respell(path.read_text()).replace('context.get("database")', 'context.get("db")')
            )
        if respell(path.name) != path.name:
            path.rename(path.with_name(respell(path.name)))
    for path in tree.rglob("*"):
        assert not jinja_use.search(path.name), f"{path} still uses the `database` answer"
        if path.is_file() and path.suffix in {".jinja", ".yml", ".py"}:
            text = path.read_text()
            assert not jinja_use.search(text), f"{path} still uses the `database` answer"
            assert 'context.get("database")' not in text, path


def template_revisions(**changed: Any) -> tuple[dict[str, str], list[str]]:
    """The head of each branch of the template's Alembic history as the default answers
    (with `changed`) render it (a revision whose file name is a condition, `{% if has_broker
    %}...`, is only there when it holds), and every revision id the template has under any
    answers."""
    parents: dict[str, str | None] = {}
    labels: dict[str, str] = {}
    every: list[str] = []
    jinja = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    answers = {**matrix.defaults(), **changed}
    answers["has_broker"] = answers["message_broker"] != "none"
    for path in (ROOT / "template" / "migrations" / "versions").rglob("*.py*"):
        text = path.read_text()
        revision = re.search(r'^revision: str = "(\w+)"', text, re.MULTILINE)
        # A merge revision's first parent is enough: merges are only rendered with a broker.
        down = re.search(r'^down_revision: [^=]+= (?:\(?"(\w+)"|None)', text, re.MULTILINE)
        label = re.search(r'^branch_labels: [^=]+= \("(\w+)",\)', text, re.MULTILINE)
        assert revision and down, f"{path.name}: no revision/down_revision lines"
        every.append(revision.group(1))
        relative = path.relative_to(ROOT / "template").as_posix()
        rendered = jinja.from_string(relative).render(answers)
        if not rendered.endswith(".py") or "//" in rendered:  # the file or a folder is off
            continue
        parents[revision.group(1)] = down.group(1)
        if label:
            labels[revision.group(1)] = label.group(1)
    heads: dict[str, str] = {}
    for head in set(parents) - set(parents.values()):
        base = head
        while parents[base] is not None:
            base = str(parents[base])
        heads[labels[base]] = head
    return heads, sorted(every)


TEMPLATE_HEADS, TEMPLATE_REVISIONS = template_revisions()
# The revision a later template version adds to the platform's branch, numbered like the
# template's own.
NEXT_REVISION = f"{int(max(TEMPLATE_REVISIONS)) + 1:04d}"
PLATFORM_HEAD = TEMPLATE_HEADS["platform"]
TEMPLATE_REVISION = f"template/migrations/versions/platform/{NEXT_REVISION}_outbox_published_at.py"


def as_next_release(tree: Path) -> None:
    """A later template version that adds a table index and its Alembic revision."""
    tables = (
        tree
        / "template"
        / "src"
        / "{{package_name}}"
        / "platform"
        / "messaging"
        / "tables.py.jinja"
    )
    text = tables.read_text()
    assert re.search(r"^from sqlalchemy import .*\bIndex\b", text, re.MULTILINE), (
        f"{tables} does not import Index"
    )
    assert "class OutboxMessage(Base):" in text and "    published_at: Mapped" in text
    tables.write_text(
        text.rstrip("\n")
        + "\n\n\n# Publication time, for the retention clean-up of published messages.\n"
        + 'Index("ix_outbox_messages_published_at", OutboxMessage.published_at)\n'
    )
    (
        tree / TEMPLATE_REVISION
    ).write_text(f'''"""Platform: index the outbox by publication time (retention clean-up).

Revision ID: {NEXT_REVISION}
Revises: {PLATFORM_HEAD}
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "{NEXT_REVISION}"
down_revision: str | Sequence[str] | None = "{PLATFORM_HEAD}"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_messages_published_at", "outbox_messages", ["published_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_published_at", table_name="outbox_messages")
''')


@dataclass(frozen=True)
class TemplateHistory:
    repo: Path
    prerelease: str  # commit hash; no tag reaches it, like the template's commits before 0.1.0
    previous: str  # tag
    current: str  # tag
    next: str  # commit hash after `current`, untagged so that `current` stays the latest release
    released: tuple[str, ...]  # this repository's release tags before `current`


def git(cwd: Path, *args: str) -> str:
    return run(["git", *args], cwd=cwd, env=dict(os.environ)).stdout.strip()


@pytest.fixture(scope="session")
def history(
    tmp_path_factory: pytest.TempPathFactory,
    copier_template_paths: list[str],
    default_gitconfig: object,
) -> TemplateHistory:
    repo = tmp_path_factory.mktemp("template-history")
    git(repo, "init", "--quiet")

    def commit(
        message: str,
        transform: Callable[[Path], None] | None,
        tag: str | None,
        *,
        source: str | None = None,
    ) -> str:
        """Commit the working tree's template files (or those of the `source` tag), transformed."""
        for child in repo.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        if source:
            archive = subprocess.run(
                ["git", "archive", "--format=tar", source, "--", *copier_template_paths],
                cwd=ROOT,
                capture_output=True,
                check=True,
            ).stdout
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(repo, filter="data")
        for name in [] if source else copier_template_paths:
            if (ROOT / name).is_dir():
                shutil.copytree(
                    ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__")
                )
            else:
                shutil.copy2(ROOT / name, repo / name)
        if transform:
            transform(repo)
        git(repo, "add", "-A")
        git(repo, "commit", "--quiet", "-m", message)
        if tag:
            git(repo, "tag", tag)
        return git(repo, "rev-parse", "HEAD")

    current, older = current_release(), releases()
    previous = f"{current}rc1"
    assert Version(previous) < Version(current)
    prerelease = commit(
        "pre-release: the database question is spelled db", as_prerelease_spelling, None
    )
    commit("previous release", as_previous_release, previous)
    for name, ref in older:
        commit(f"release {name}, as released from this repository", None, name, source=ref)
    commit("current release", None, current)
    following = commit("next: an outbox index and its revision", as_next_release, None)
    released = tuple(name for name, _ in older)
    return TemplateHistory(repo, prerelease, previous, current, following, released)


# --- projects ---------------------------------------------------------------------------


def render(history: TemplateHistory, dst: Path, ref: str, **answers: Any) -> Path:
    run_copy(
        str(history.repo),
        dst,
        vcs_ref=ref,
        data={"project_name": PROJECT_NAME, **answers},
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    return dst


def commit_all(project: Path, message: str) -> None:
    if not (project / ".git").exists():
        git(project, "init", "--quiet")
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", message)


# Copier's command line with copier-template-extensions unimportable, as in an environment
# where only copier is installed (`uvx copier`).
PLAIN_COPIER = [
    sys.executable,
    "-c",
    (
        "import sys; sys.modules['copier_template_extensions'] = None; "
        "from copier._cli import CopierApp; CopierApp.run()"
    ),
]


def copier_update(project: Path, *options: str, trust: bool = False) -> str:
    """`copier update` exactly as the README tells users to run it (plain copier, no
    `--trust`), or with `--trust` and the extension for a project from a release that used
    it; returns its output."""
    if trust:
        command = [sys.executable, "-m", "copier", "update", "--trust", "--defaults", *options]
    else:
        command = [*PLAIN_COPIER, "update", "--defaults", *options]
    result = run(command, cwd=project, env=dict(os.environ), timeout=300)
    return result.stdout + result.stderr


def answers_of(project: Path) -> dict[str, Any]:
    return dict(yaml.safe_load((project / ANSWERS_FILE).read_text()))


def files(root: Path) -> dict[str, bytes]:
    """Every file of a project but its git data and `.env` (secrets differ per render)."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts and path.name != ".env"
    }


def assert_same_files(actual: dict[str, bytes], expected: dict[str, bytes]) -> None:
    missing, extra = (
        sorted(expected.keys() - actual.keys()),
        sorted(actual.keys() - expected.keys()),
    )
    different = sorted(
        name for name in expected.keys() & actual.keys() if expected[name] != actual[name]
    )
    details = [
        "".join(
            difflib.unified_diff(
                expected[name].decode(errors="replace").splitlines(keepends=True),
                actual[name].decode(errors="replace").splitlines(keepends=True),
                f"fresh render/{name}",
                f"updated project/{name}",
            )
        )
        for name in different[:3]
    ]
    assert not (missing or extra or different), (
        f"missing: {missing}\nunexpected: {extra}\ndifferent: {different}\n" + "\n".join(details)
    )


def assert_clean_update(project: Path) -> None:
    """No conflict in any form copier leaves one: .rej files, inline markers, unmerged paths."""
    rejects = sorted(str(path.relative_to(project)) for path in project.rglob("*.rej"))
    assert not rejects, f"copier left rejected hunks: {rejects}"
    marked = sorted(
        name
        for name, content in files(project).items()
        if any(
            line.rstrip() in CONFLICT_MARKERS
            for line in content.decode(errors="replace").splitlines()
        )
    )
    assert not marked, f"conflict markers in {marked}"
    unmerged = git(project, "diff", "--name-only", "--diff-filter=U")
    assert not unmerged, f"unmerged paths: {unmerged}"


@dataclass
class Checks:
    """The rendered project's own checks, with the seconds each took for the run's summary.

    `run_all` is every check, for a project unlike any fresh render (changed by its team).
    An update whose files equal a fresh render's needs only `migrations`: what a fresh render
    cannot show is the database the older version migrated; that render's own checks are
    the full tier's matrix, and running them again here would only repeat them.
    """

    root: Path
    env: dict[str, str]
    steps: list[tuple[str, float]]

    def step(self, name: str, *command: str) -> None:
        started = time.perf_counter()
        run([require_command("uv"), *command], cwd=self.root, env=self.env)
        self.steps.append((name, time.perf_counter() - started))

    def run_all(self, *, migrate: bool, tests: tuple[str, ...] = ()) -> None:
        """Every check; `tests` narrows pytest to those paths (without the coverage floor,
        which a part of the suite cannot reach)."""
        self.step("uv sync", "sync")
        self.step("ruff check", "run", "ruff", "check", ".")
        self.step("ruff format", "run", "ruff", "format", "--check", ".")
        self.step("mypy --strict", "run", "mypy")
        self.step("lint-imports", "run", "lint-imports")
        if migrate:
            self.step("migrate", "run", PACKAGE, "migrate")
            self.step("alembic check", "run", "alembic", "check")
        if tests:
            self.step(
                "pytest " + " ".join(tests),
                "run",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--no-cov",
                *tests,
            )
        else:
            self.step("pytest", "run", "pytest", "-q", "-p", "no:cacheprovider")

    def migrations(self) -> None:
        self.step("uv sync", "sync")
        self.step("migrate", "run", PACKAGE, "migrate")
        self.step("alembic check", "run", "alembic", "check")


@pytest.fixture
def checks(request: pytest.FixtureRequest) -> Callable[[Path, dict[str, str]], Checks]:
    def make(root: Path, env: dict[str, str]) -> Checks:
        steps: list[tuple[str, float]] = []
        request.node.user_properties.append(("timings", steps))
        return Checks(root, env, steps)

    return make


# --- 1. from the previous release ---------------------------------------------------------


@pytest.mark.slow
def test_update_from_the_previous_release(
    history: TemplateHistory, tmp_path: Path, checks: Callable[[Path, dict[str, str]], Checks]
) -> None:
    project = render(history, tmp_path / "project", history.previous)
    assert "## Updating" not in (project / "README.md").read_text()
    assert (project / MOVED_FROM).is_file() and not (project / MOVED_TO).exists()
    commit_all(project, "rendered from the previous release")
    env_before = (project / ".env").read_bytes()

    # As Renovate's copier manager runs it: no `--trust`, nothing but copier installed.
    copier_update(project, "--skip-answered")

    assert_clean_update(project)
    assert answers_of(project)["_commit"] == history.current
    # The template's three changes arrived: a section, a dependency floor, a moved module.
    assert "## Updating" in (project / "README.md").read_text()
    assert OLD_FASTAPI not in (project / "pyproject.toml").read_text()
    assert (project / MOVED_TO).is_file() and not (project / MOVED_FROM).exists()
    # Nothing else differs from a project rendered from the new release today.
    fresh = render(history, tmp_path / "fresh", history.current)
    assert_same_files(files(project), files(fresh))
    assert (project / ".env").read_bytes() == env_before
    checks(project, project_env()).migrations()


# Where a rendered project tells people how to update: the README and the CI files.
INSTRUCTED_IN = ("README.md", ".github/workflows/template-update.yml", ".gitlab-ci.yml")
COPIER_PREFIX = "uvx copier"


@pytest.mark.slow
@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_every_update_instruction_runs_as_written(
    history: TemplateHistory, tmp_path: Path, ci: str
) -> None:
    """Every `copier update` command a project shows is plain copier without `--trust`, and
    runs (`--pretend`) with nothing but copier on a project rendered from the previous
    release; the README sections they point at exist."""
    project = render(history, tmp_path / "project", history.previous, ci=ci)
    commit_all(project, "rendered")
    current = render(history, tmp_path / "current", history.current, ci=ci)
    texts = {
        name: (current / name).read_text() for name in INSTRUCTED_IN if (current / name).is_file()
    }
    headings = set(re.findall(r"^## (.+)$", texts["README.md"], re.MULTILINE))
    commands = set()
    for name, text in texts.items():
        for found in re.finditer(r"(\S+ )?copier update( --[^`'\"\n]*)", text):
            command = found[0].lstrip("\\`'\"")
            # `uvx copier ...`, or Renovate's own command as the README names it.
            assert command.startswith((COPIER_PREFIX, "copier update")), (name, command)
            assert "--trust" not in command, (name, command)
            commands.add(command.split("#")[0].strip().rstrip("\\"))  # a shell's \`
        for section in re.findall(r'README\.md, "?([A-Z][\w ]+)"?\)', text):
            assert section in headings, (name, section, headings)
        if ".rej" in text:
            assert "--conflict rej" in text, name
    assert len(commands) >= 2, commands
    for command in sorted(commands):
        words = command.removeprefix("uvx ").removeprefix("copier ").split()
        run([*PLAIN_COPIER, *words, "--pretend"], cwd=project, env=dict(os.environ))


@pytest.mark.slow
def test_a_module_added_with_new_module_survives_an_update(
    history: TemplateHistory, tmp_path: Path, checks: Callable[[Path, dict[str, str]], Checks]
) -> None:
    """A project with a broker adds a module with `new-module`, then updates: no conflict,
    the module's files as they were, and every check passes."""
    answers = {"message_broker": "rabbitmq"}
    project = render(history, tmp_path / "project", history.previous, **answers)
    commit_all(project, "rendered from the previous release")
    uv = require_command("uv")
    env = project_env(**broker_env(answers))
    run([uv, "sync"], cwd=project, env=env)
    run([uv, "run", PACKAGE, "new-module", "orders"], cwd=project, env=env)
    commit_all(project, "the orders module")
    module = {
        name: data
        for name, data in files(project).items()
        if "/orders/" in name or name.startswith("tests/modules/orders")
    }
    assert len(module) > 30

    copier_update(project)

    assert_clean_update(project)
    assert answers_of(project)["_commit"] == history.current
    after = files(project)
    assert {name: after.get(name) for name in module} == module
    assert '"(users) | (orders)"' in (project / "pyproject.toml").read_text()
    assert "%(here)s/migrations/versions/orders\n" in (project / "alembic.ini").read_text()
    try:
        # The module's own tests and the whole application's (its schema, the fuzz, the
        # architecture); the rest of the project is a fresh render's.
        checks(project, env).run_all(
            migrate=True, tests=("tests/modules/orders", "tests/e2e", "tests/unit")
        )
    finally:
        drop_broker_topology(project, env, PACKAGE)


def assert_account_kept(uv: str, project: Path, env: dict[str, str], email: str) -> None:
    """The account made before the update is still there: creating it again is refused."""
    again = subprocess.run(
        [uv, "run", PACKAGE, "create-superuser", "--email", email],
        cwd=project,
        env=env,
        input="correct horse battery staple\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 1 and "already exists" in again.stderr, again.stderr


@pytest.mark.slow
@pytest.mark.parametrize("release", RELEASES, ids=str)
def test_update_from_a_release(
    history: TemplateHistory,
    tmp_path: Path,
    checks: Callable[[Path, dict[str, str]], Checks],
    release: str | None,
) -> None:
    """The path users really take: a project rendered from one of this repository's
    releases, its database migrated by that release's code, updated to the working tree.
    The database keeps its data and reaches the new heads."""
    if release is None:
        shallow = (
            subprocess.run(
                ["git", "rev-parse", "--is-shallow-repository"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            == "true"
        )
        pytest.skip(
            f"no release before {history.current} in this checkout"
            + (" (a shallow clone: fetch the full history and tags)" if shallow else "")
        )
    project = render(history, tmp_path / "project", release)
    # A data migration of the project's own after the release's last revision, in the one
    # folder the history had then.
    assert (project / "migrations" / "versions" / "0003_users.py").is_file()
    own = project / "migrations" / "versions" / f"{DATA_REVISION}_backfill.py"
    own.write_text(data_revision("0003"))
    uv, env = require_command("uv"), project_env()
    run([uv, "sync"], cwd=project, env=env)
    run([uv, "run", PACKAGE, "migrate"], cwd=project, env=env)
    superuser = "keeper@example.com"
    run(
        [uv, "run", PACKAGE, "create-superuser", "--email", superuser],
        cwd=project,
        env=env,
        input_text="correct horse battery staple\n",
    )
    commit_all(project, f"rendered from {release}")
    env_before = (project / ".env").read_bytes()

    # The release renders with copier-template-extensions: copier needs it, and `--trust`, to
    # render the project's old version once more (the diff of the team's changes).
    copier_update(project, trust=True)

    assert_clean_update(project)
    assert answers_of(project)["_commit"] == history.current
    local = (".venv/", "uv.lock", f"{PACKAGE}.db", own.relative_to(project).as_posix())
    rendered = {name: data for name, data in files(project).items() if not name.startswith(local)}
    assert_same_files(rendered, files(render(history, tmp_path / "fresh", history.current)))
    assert own.is_file()  # the project's own revision stays where it was
    # Kept as it was: an update never rewrites .env.
    assert (project / ".env").read_bytes() == env_before
    checks(project, env).migrations()
    # The account made before the update is still there, on a database at every new head.
    assert_account_kept(uv, project, env, superuser)
    current = run([uv, "run", "alembic", "current"], cwd=project, env=env).stdout
    assert current.count("(head)") == len(TEMPLATE_HEADS), current
    assert DATA_REVISION in current  # the project's own revision now heads the users' branch


# --- 2. after the team changed the project ----------------------------------------------

# A module of the project's own: a table with its Alembic revision, a route and its test.
OWN_REVISION = "5e1f0a7c9b2d"
OWN_FILES = {
    f"src/{PACKAGE}/modules/catalog/__init__.py": '"""The catalog: products on sale."""\n',
    f"src/{PACKAGE}/modules/catalog/infrastructure/__init__.py": "",
    f"src/{PACKAGE}/modules/catalog/infrastructure/tables.py": f'''"""Tables of the catalog."""

import uuid

from sqlalchemy import Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from {PACKAGE}.platform.db.orm import Base


class Product(Base):
    __tablename__ = "catalog_products"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    price_cents: Mapped[int] = mapped_column(Integer)
''',
    f"src/{PACKAGE}/modules/catalog/module.py": f"""from {PACKAGE}.modules import Module
from {PACKAGE}.modules.catalog.api.routes import router

MODULE = Module(name="catalog", routers=[router])
""",
    f"src/{PACKAGE}/modules/catalog/api/__init__.py": "",
    f"src/{PACKAGE}/modules/catalog/api/routes.py": '''"""HTTP routes of the catalog."""

from dishka.integrations.fastapi import DishkaRoute, FromDishka
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

router = APIRouter(prefix="/v1/catalog", tags=["catalog"], route_class=DishkaRoute)


class ProductCount(BaseModel):
    total: int


@router.get("/products/count")
async def count_products(session: FromDishka[AsyncSession]) -> ProductCount:
    total = await session.scalar(text("SELECT count(*) FROM catalog_products"))
    return ProductCount(total=total or 0)
''',
    # As `alembic revision --autogenerate --head base --branch-label catalog --version-path
    # migrations/versions/catalog` writes it: a random id, the first of the catalog's branch.
    f"migrations/versions/catalog/{OWN_REVISION}_catalog_products.py": f'''"""catalog products

Revision ID: {OWN_REVISION}
Revises:
Create Date: 2026-11-27 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "{OWN_REVISION}"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("catalog",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_products",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_products")),
    )


def downgrade() -> None:
    op.drop_table("catalog_products")
''',
    "tests/e2e/test_catalog.py": """import httpx


async def test_products_are_counted(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/catalog/products/count")
    assert response.status_code == 200
    assert response.json() == {"total": 0}
""",
}
# Lines the project added to template files: (file, anchor, added), each added line right
# before its anchor. Modules plug themselves in through their `module.py`; Alembic is told
# where the catalog's branch lives, and the README's own part says what the service is.
OWN_LINES = [
    ("README.md", README_MARKER, "## Catalog\n\nProducts on sale; owned by the catalog team.\n\n"),
    ("alembic.ini", "\n# New revisions", "    %(here)s/migrations/versions/catalog\n"),
]
OWN_DESCRIPTION = "The shop's catalog service: products, prices and stock."
OWN_SETTING = b"LOG__LEVEL=DEBUG\n"


def make_own_changes(project: Path) -> None:
    for name, content in OWN_FILES.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    for name, anchor, added in OWN_LINES:
        replace_in(project / name, anchor, added + anchor)
    replace_in(
        project / "README.md",
        "\nA FastAPI service built with DDD, CQRS and Clean Architecture.\n",
        f"\n{OWN_DESCRIPTION}\n",
    )
    with (project / ".env").open("ab") as env:
        env.write(OWN_SETTING)


@pytest.mark.slow
def test_update_keeps_the_projects_own_changes(
    history: TemplateHistory, tmp_path: Path, checks: Callable[[Path, dict[str, str]], Checks]
) -> None:
    project = render(history, tmp_path / "project", history.previous)
    commit_all(project, "rendered from the previous release")
    make_own_changes(project)
    commit_all(project, "catalog module, README")
    env_before = (project / ".env").read_bytes()

    copier_update(project)

    assert_clean_update(project)
    assert answers_of(project)["_commit"] == history.current
    updated = files(project)
    # The project's own files and lines survive...
    for name, content in OWN_FILES.items():
        assert updated[name] == content.encode(), f"{name} changed"
    for name, anchor, added in OWN_LINES:
        assert (added + anchor).encode() in updated[name], f"{name} lost {added!r}"
    assert OWN_DESCRIPTION.encode() in updated["README.md"]
    assert (project / ".env").read_bytes() == env_before
    # ...and so do the template's changes.
    readme = updated["README.md"].decode()
    assert readme.index("## Catalog") < readme.index(README_MARKER) < readme.index("## Updating")
    assert OLD_FASTAPI.encode() not in updated["pyproject.toml"]
    assert MOVED_TO in updated and MOVED_FROM not in updated
    # Every file the project did not touch is the new release's.
    touched = set(OWN_FILES) | {name for name, _, _ in OWN_LINES}
    fresh = files(render(history, tmp_path / "fresh", history.current))
    assert_same_files(
        {k: v for k, v in updated.items() if k not in touched},
        {k: v for k, v in fresh.items() if k not in touched},
    )
    # Migrations up and `alembic check`: the project's table and revision still agree. The
    # tests that meet the project's own module (its e2e test, the schema and fuzz tests, the
    # architecture contracts); the untouched rest is a fresh render's, tested in the matrix.
    checks(project, project_env()).run_all(migrate=True, tests=("tests/e2e", "tests/architecture"))


# --- 2b. the template's and the project's Alembic revisions meet -------------------------


# A data migration of the project's own on the platform's branch, after the template's head.
DATA_REVISION = "7c3d9e1f2a4b"
DATA_REVISION_FILE = f"migrations/versions/platform/{DATA_REVISION}_backfill.py"
DATA_REVISION_TEMPLATE = '''"""backfill

Revision ID: {DATA_REVISION}
Revises: {DOWN}
Create Date: 2026-11-28 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "{DATA_REVISION}"
down_revision: str | Sequence[str] | None = "{DOWN}"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SELECT 1")


def downgrade() -> None:
    op.execute("SELECT 1")
'''


def data_revision(down: str) -> str:
    return DATA_REVISION_TEMPLATE.replace("{DATA_REVISION}", DATA_REVISION).replace("{DOWN}", down)


@pytest.mark.slow
def test_template_and_project_migrations_meet(
    history: TemplateHistory, tmp_path: Path, checks: Callable[[Path, dict[str, str]], Checks]
) -> None:
    """The project added a module with a branch of its own, and a data migration to the
    platform's branch; the next template version brings a platform revision too. The update
    is clean, every head applies (the platform's two included), and the documented
    `alembic merge` gives the platform's branch one head again, in a history that migrates
    both ways."""
    project = render(history, tmp_path / "project", history.current)
    commit_all(project, "rendered")
    make_own_changes(project)
    (project / DATA_REVISION_FILE).write_text(data_revision(PLATFORM_HEAD))
    commit_all(project, "catalog module, a data migration")

    copier_update(project, "--vcs-ref", history.next)

    assert_clean_update(project)
    revision = TEMPLATE_REVISION.removeprefix("template/")
    assert (project / revision).is_file()
    own_revision = next(name for name in OWN_FILES if name.startswith("migrations/"))
    assert (project / own_revision).read_text() == OWN_FILES[own_revision]
    env = project_env()
    uv = require_command("uv")
    run([uv, "sync"], cwd=project, env=env)
    heads = run([uv, "run", "alembic", "heads"], cwd=project, env=env).stdout
    branch_heads = {*TEMPLATE_HEADS.values(), NEXT_REVISION, DATA_REVISION, OWN_REVISION}
    branch_heads.discard(PLATFORM_HEAD)
    assert {line.split()[0] for line in heads.splitlines() if line.strip()} == branch_heads, heads
    # Every head applies: the catalog's branch, and both of the platform's.
    project_checks = checks(project, env)
    project_checks.step("migrate", "run", PACKAGE, "migrate")

    run(
        [
            uv,
            "run",
            "alembic",
            "merge",
            "-m",
            "merge template migrations",
            NEXT_REVISION,
            DATA_REVISION,
        ],
        cwd=project,
        env=env,
    )

    heads = run([uv, "run", "alembic", "heads"], cwd=project, env=env).stdout
    assert len(heads.strip().splitlines()) == len(branch_heads) - 1, heads
    # The merge revision passes the linters; the catalog's test runs on the merged history
    # (the rest of the suite is the previous test's).
    project_checks.run_all(migrate=True, tests=("tests/e2e",))
    project_checks.step("alembic downgrade base", "run", "alembic", "downgrade", "base")
    project_checks.step("alembic upgrade heads", "run", "alembic", "upgrade", "heads")


# --- 3. turning an option on later --------------------------------------------------------


@dataclass(frozen=True)
class Switch:
    """`copier update --defaults --data <answer>=<after>` on a project rendered with `before`."""

    answer: str
    before: Any
    after: Any
    # What copier's output must say (the update message's hint, for example).
    output: tuple[str, ...] = ()
    # Migrate the project's (SQLite) database before the update: the new version's
    # migrations must then apply on top of it.
    migrate_first: bool = False
    # A command the update's message names, run after the checks, and what it must print.
    follow_up: tuple[tuple[str, ...], str] | None = None

    def __str__(self) -> str:
        return f"{self.answer}={self.before}->{self.after}"


# One entry per option a team may turn on after the first render; include_users joins when
# the users module exists: Switch("include_users", False, True).
SWITCHES = [
    Switch(
        "database",
        "sqlite",
        "postgresql",
        output=("after changing `database` set DATABASE__URL in .env",),
    ),
    # The account made before the update gets its profile from the command the message names.
    Switch(
        "include_users",
        False,
        True,
        migrate_first=True,
        output=(f"uv run {PACKAGE} backfill-profiles",),
        follow_up=(("backfill-profiles",), "created 1 profile(s)"),
    ),
    # A broker for a project already in use: its revision (delivery_failures) on top of the
    # existing database, and its tests on this machine's broker (.env stays as it was: the
    # settings' defaults are .env.example's values).
    Switch("message_broker", "none", "rabbitmq", migrate_first=True),
]


def cli_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def applied(current: str) -> set[str]:
    """The revisions `alembic current` names (one per branch head)."""
    return {line.split()[0] for line in current.splitlines() if line.strip()}


@pytest.mark.slow
@pytest.mark.parametrize("switch", SWITCHES, ids=str)
def test_turning_an_option_on_later(
    history: TemplateHistory,
    tmp_path: Path,
    checks: Callable[[Path, dict[str, str]], Checks],
    switch: Switch,
) -> None:
    project = render(
        history, tmp_path / "project", history.current, **{switch.answer: switch.before}
    )
    commit_all(project, "rendered")
    env_before = (project / ".env").read_bytes()
    uv = require_command("uv")
    if switch.migrate_first:
        run([uv, "sync"], cwd=project, env=project_env())
        run([uv, "run", PACKAGE, "migrate"], cwd=project, env=project_env())
        run(  # a database in use has accounts
            [uv, "run", PACKAGE, "create-superuser", "--email", "early@example.com"],
            cwd=project,
            env=project_env(),
            input_text="correct horse battery staple\n",
        )
        before = run([uv, "run", "alembic", "current"], cwd=project, env=project_env()).stdout
        commit_all(project, "uv.lock")  # `uv sync` wrote it; teams commit it

    output = copier_update(project, "--data", f"{switch.answer}={cli_value(switch.after)}")

    assert_clean_update(project)
    answers = answers_of(project)
    assert answers[switch.answer] == switch.after
    assert answers["_commit"] == history.current
    fresh = render(history, tmp_path / "fresh", history.current, **{switch.answer: switch.after})
    # What the earlier migrate left behind (the environment, the lock, the database) is not
    # the template's.
    local = (".venv/", "uv.lock", f"{PACKAGE}.db")
    rendered = {name: data for name, data in files(project).items() if not name.startswith(local)}
    assert_same_files(rendered, files(fresh))
    assert (project / ".env").read_bytes() == env_before  # never rewritten
    for expected in switch.output:
        assert expected in output, output

    extra: dict[str, str] = {}
    if answers["database"] == "postgresql":
        # .env still names the SQLite file (it is never rewritten); the environment wins.
        extra["DATABASE__URL"] = (
            f"postgresql+asyncpg://postgres@127.0.0.1:5432/update_{uuid.uuid4().hex[:12]}"
        )
    extra.update(broker_env(answers))
    env = project_env(**extra)
    try:
        checks(project, env).migrations()
        if switch.migrate_first:
            # The database migrated before the update is now at the new heads, not rebuilt.
            after = run([uv, "run", "alembic", "current"], cwd=project, env=env).stdout
            assert applied(before) != applied(after), (before, after)
            assert "(head)" in after
        if switch.follow_up:
            words, printed = switch.follow_up
            done = run([uv, "run", PACKAGE, *words], cwd=project, env=env).stdout
            assert printed in done, done
    finally:
        if "DATABASE__URL" in extra:
            drop_database(project, env, extra["DATABASE__URL"])


# --- 3b. turning an option off on a migrated database --------------------------------------


@dataclass(frozen=True)
class OffSwitch:
    """An option whose Alembic revisions an update to `after` deletes: refused until every
    database downgraded them and the update acknowledges it with `--data <acknowledgement>`."""

    answer: str
    before: Any
    after: Any
    acknowledgement: str

    def __str__(self) -> str:
        return f"{self.answer}={self.before}->{self.after}"


OFF_SWITCHES = [
    OffSwitch("include_users", True, False, "users_branch_downgraded"),
    OffSwitch("message_broker", "rabbitmq", "none", "broker_revision_downgraded"),
]


@pytest.mark.slow
@pytest.mark.parametrize("switch", OFF_SWITCHES, ids=str)
def test_turning_an_option_off_on_a_migrated_database(
    history: TemplateHistory, tmp_path: Path, switch: OffSwitch
) -> None:
    """The update refuses with the command to run first; run as written, it drops the
    option's tables, the acknowledged update goes through, and `migrate` and `alembic
    check` pass on the database that had them, whose accounts are still there."""
    answers = {switch.answer: switch.before}
    project = render(history, tmp_path / "project", history.current, **answers)
    commit_all(project, "rendered")
    uv, env = require_command("uv"), project_env(**broker_env(answers))
    run([uv, "sync"], cwd=project, env=env)
    run([uv, "run", PACKAGE, "migrate"], cwd=project, env=env)
    superuser = "early@example.com"
    run(
        [uv, "run", PACKAGE, "create-superuser", "--email", superuser],
        cwd=project,
        env=env,
        input_text="correct horse battery staple\n",
    )
    commit_all(project, "uv.lock")
    data = ["--data", f"{switch.answer}={cli_value(switch.after)}"]

    refused = subprocess.run(
        [*PLAIN_COPIER, "update", "--defaults", *data],
        cwd=project,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )

    message = " ".join((refused.stdout + refused.stderr).split())
    assert refused.returncode != 0, message
    assert f"--data {switch.acknowledgement}=true" in message, message
    assert git(project, "status", "--porcelain") == "", "a refused update changed the project"
    assert answers_of(project)[switch.answer] == switch.before
    # The command the message names, run as written.
    command = re.search(r"run `(uv run alembic downgrade [^`]+)`", message)
    assert command, message
    run([uv, *command[1].split()[1:]], cwd=project, env=env)

    copier_update(project, *data, "--data", f"{switch.acknowledgement}=true")

    assert_clean_update(project)
    recorded = answers_of(project)
    assert recorded[switch.answer] == switch.after and switch.acknowledgement not in recorded
    fresh = render(history, tmp_path / "fresh", history.current, **{switch.answer: switch.after})
    local = (".venv/", "uv.lock", f"{PACKAGE}.db")
    rendered = {name: data for name, data in files(project).items() if not name.startswith(local)}
    assert_same_files(rendered, files(fresh))
    env = project_env()
    run([uv, "sync"], cwd=project, env=env)
    run([uv, "run", PACKAGE, "migrate"], cwd=project, env=env)
    run([uv, "run", "alembic", "check"], cwd=project, env=env)
    current = run([uv, "run", "alembic", "current"], cwd=project, env=env).stdout
    heads, _ = template_revisions(**{switch.answer: switch.after})
    assert applied(current) == set(heads.values()), current
    assert_account_kept(uv, project, env, superuser)


# --- 4. an answer renamed by a migration --------------------------------------------------


def test_a_renamed_answer_is_migrated(history: TemplateHistory, tmp_path: Path) -> None:
    project = render(history, tmp_path / "project", history.prerelease, db="postgresql")
    old_answers = answers_of(project)
    assert old_answers["db"] == "postgresql" and "database" not in old_answers
    assert '"asyncpg' in (project / "pyproject.toml").read_text()
    commit_all(project, "rendered from a pre-release commit")

    output = copier_update(project, trust=True)  # the answers migration is a script

    assert_clean_update(project)
    answers = answers_of(project)
    assert answers["database"] == "postgresql", "the renamed answer fell back to its default"
    assert "db" not in answers
    assert "migrate_answers: updated database" in output, output
    # The project renders as before: still PostgreSQL, identical to a fresh render.
    fresh = render(history, tmp_path / "fresh", history.current, database="postgresql")
    assert_same_files(files(project), files(fresh))


# --- the migration and the .env task, as plain programs -----------------------------------


def run_script(script: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "tasks" / script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


HEADER = "# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            {"_commit": "abc1234", "db": "postgresql", "license": "MIT"},
            {"_commit": "abc1234", "database": "postgresql", "license": "MIT"},
        ),
        ({"db": "postgres"}, {"database": "postgresql"}),
        (
            {"db": "sqlite3", "python_version": "3.13"},
            {"database": "sqlite", "python_version": "3.13"},
        ),
        # Both spellings: the current one was written by a newer copier run and wins.
        ({"db": "sqlite", "database": "postgresql"}, {"database": "postgresql"}),
    ],
)
def test_migrate_answers_renames_and_reshapes(
    tmp_path: Path, before: dict[str, Any], after: dict[str, Any]
) -> None:
    answers = tmp_path / ANSWERS_FILE
    answers.write_text(HEADER + yaml.safe_dump(before, sort_keys=False))
    first = run_script("migrate_answers.py", tmp_path, ANSWERS_FILE)
    assert first.returncode == 0, first.stderr
    text = answers.read_text()
    assert text.startswith(HEADER)
    assert yaml.safe_load(text) == after
    assert list(yaml.safe_load(text)) == list(after)
    # Idempotent: a second run (every later update) leaves the file byte for byte.
    second = run_script("migrate_answers.py", tmp_path, ANSWERS_FILE)
    assert second.returncode == 0 and second.stdout == ""
    assert answers.read_text() == text


def test_migrate_answers_leaves_current_answers_alone(tmp_path: Path) -> None:
    answers = tmp_path / ANSWERS_FILE
    original = (
        HEADER
        + "_commit: 0.1.0\n_src_path: gh:acme/copier-fastapi-ddd\ndatabase: sqlite\nproject_name: Shop\n"
    )
    answers.write_text(original)
    result = run_script("migrate_answers.py", tmp_path, ANSWERS_FILE)
    assert (result.returncode, result.stdout, answers.read_text()) == (0, "", original)


def test_migrate_answers_fails_without_an_answers_file(tmp_path: Path) -> None:
    result = run_script("migrate_answers.py", tmp_path, ANSWERS_FILE)
    assert result.returncode == 1 and "not found" in result.stderr


def test_every_migration_is_gated_released_documented_and_scripted() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert migrations(), "copier.yml has no _migrations"
    for migration in migrations():
        version = Version(str(migration["version"]))
        assert version <= Version(current_release()), (
            f"{version} is newer than CHANGELOG.md's first entry"
        )
        assert re.search(
            rf"^## {re.escape(str(migration['version']))}\b", changelog, re.MULTILINE
        ), f"no CHANGELOG entry for {version}"
        command = migration["command"]
        assert isinstance(command, list) and command[0] == "{{ _copier_python }}", (
            "run migrations with copier's interpreter"
        )
        script = command[1].replace("{{ _copier_conf.src_path }}/", "")
        assert (ROOT / script).is_file(), f"{script} is not in the template repository"
        assert Path(script).name in changelog, f"CHANGELOG.md does not mention {script}"
        assert migration.get("when") in {"{{ _stage == 'before' }}", "{{ _stage == 'after' }}"}
