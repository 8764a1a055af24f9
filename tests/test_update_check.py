"""The scheduled template-update jobs, run as written against a real template history: a
git copy of this template with release tags, a project rendered from its first release, and
a newer release appearing later."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests import delivery
from tests.conftest import ROOT, project_env, require_command, run

TEMPLATE_PATHS = ["copier.yml", "extensions", "tasks", "template"]


def git_env() -> dict[str, str]:
    return project_env(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
    )


@pytest.fixture
def released_template(tmp_path: Path) -> Path:
    git = require_command("git")
    template = tmp_path / "template"
    template.mkdir()
    for name in TEMPLATE_PATHS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, template / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, template / name)
    env = git_env()
    for command in (
        ["init", "--quiet"],
        ["add", "--all"],
        ["commit", "--quiet", "-m", "release"],
        ["tag", "v1.0.0"],
    ):
        run([git, *command], cwd=template, env=env)
    return template


def render_and_commit(template: Path, where: Path, ci: str) -> Path:
    git = require_command("git")
    copier = str(Path(sys.executable).with_name("copier"))
    env = git_env()
    # A repository URL, as a team renders from (a local folder would be refused by the job).
    run(
        [
            copier,
            "copy",
            "--defaults",
            "--vcs-ref",
            "v1.0.0",
            "--data",
            f"ci={ci}",
            f"git+file://{template}",
            str(where),
        ],
        cwd=where.parent,
        env=env,
    )
    for command in (["init", "--quiet"], ["add", "--all"], ["commit", "--quiet", "-m", "rendered"]):
        run([git, *command], cwd=where, env=env)
    return where


def release(template: Path, tag: str) -> None:
    git = require_command("git")
    env = git_env()
    (template / "template" / "CHANGES.md").write_text(f"{tag}\n")
    for command in (["add", "--all"], ["commit", "--quiet", "-m", tag], ["tag", tag]):
        run([git, *command], cwd=template, env=env)


def github_compare_step(project: Path) -> str:
    workflow = yaml.safe_load(
        (project / ".github" / "workflows" / "template-update.yml").read_text()
    )
    steps = workflow["jobs"]["check-update"]["steps"]
    return next(step["run"] for step in steps if step.get("id") == "compare")


def run_step(script: str, project: Path, output: Path) -> tuple[int, str]:
    env = project_env(GITHUB_OUTPUT=str(output))
    result = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def test_the_github_job_opens_an_issue_only_when_a_release_is_out(
    released_template: Path, tmp_path: Path
) -> None:
    require_command("uvx")
    project = render_and_commit(released_template, tmp_path / "project", "github")
    script = github_compare_step(project)
    output = tmp_path / "github-output"

    code, log = run_step(script, project, output)
    assert code == 0, log
    result = json.loads(output.read_text().split("result=", 1)[1])
    assert result["update_available"] is False  # the "Open an issue" step is skipped

    release(released_template, "v1.1.0")
    output.write_text("")
    code, log = run_step(script, project, output)
    assert code == 0, log
    result = json.loads(output.read_text().split("result=", 1)[1])
    assert (result["update_available"], result["current_version"], result["latest_version"]) == (
        True,
        "1.0.0",
        "1.1.0",
    )
    workflow = yaml.safe_load(
        (project / ".github" / "workflows" / "template-update.yml").read_text()
    )
    issue = next(
        step
        for step in workflow["jobs"]["check-update"]["steps"]
        if step.get("name") == "Open an issue"
    )
    assert issue["if"] == "fromJSON(steps.compare.outputs.result).update_available"


def test_the_github_job_refuses_a_project_rendered_from_a_local_folder(
    released_template: Path, tmp_path: Path
) -> None:
    project = render_and_commit(released_template, tmp_path / "project", "github")
    answers = project / ".copier-answers.yml"
    answers.write_text(
        re.sub(
            r"^_src_path: .*$",
            f"_src_path: {released_template}",
            answers.read_text(),
            flags=re.MULTILINE,
        )
    )
    code, log = run_step(github_compare_step(project), project, tmp_path / "out")
    assert code == 1
    assert "not a repository URL" in log


def test_the_gitlab_job_fails_only_when_a_release_is_out(
    released_template: Path, tmp_path: Path
) -> None:
    require_command("uvx")
    project = render_and_commit(released_template, tmp_path / "project", "gitlab")
    pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    script = "\n".join(str(line) for line in pipeline["template-update"]["script"])
    assert delivery.shell_commands(script)
    code, log = run_step(script, project, tmp_path / "out")
    assert code == 0, log
    release(released_template, "v1.1.0")
    code, log = run_step(script, project, tmp_path / "out")
    assert code == 1, log
    assert "A newer copier-fastapi-ddd release is out" in log
