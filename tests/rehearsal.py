"""A rehearsal of `docker build` and `docker run` without a Docker engine.

The Dockerfile's instructions are carried out on this machine, in a folder standing in for
the image's file system (`/app` becomes `<fs>/app`): COPY takes files from the build
context as .dockerignore filters it, RUN runs through `sh -c` with the stage's ENV, and the
runtime stage starts empty and receives only what its `COPY --from=builder` lines take. The
host's uv and `python<version>` stand in for the base images' (the Dockerfile copies uv from
its image and uses the base image's Python). Then the image's own commands run: the
one-off `migrate` (as compose.yaml runs it), the ENTRYPOINT + CMD server, and the
HEALTHCHECK command against it.

What it cannot prove: that the base images exist and contain what the host has, and the
`groupadd`/`useradd` line (it needs root on the real system); those are left to the CI
job that builds the image and to hadolint.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests import delivery

IMAGE_ROOT = "/app"
# RUN lines that change the real system's users; the only ones the rehearsal does not run.
SYSTEM_ONLY = {"groupadd", "useradd"}
# Host settings that a build's network access needs here (a proxy, its certificates); a
# Docker build gets the same from the builder's network.
NETWORK_SETTING = re.compile(r"proxy|cert|ssl|ca_bundle|^uv_cache_dir$", re.IGNORECASE)


def network_settings(env: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in env.items() if NETWORK_SETTING.search(name)}


@dataclass
class Image:
    fs: Path
    workdir: Path
    env: dict[str, str]
    user: str = "0"
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    exposed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def map(self, value: str) -> str:
        """Image paths (`/app`, `/app/...`) to their stand-ins under `fs`."""
        return re.sub(rf"{IMAGE_ROOT}(?=/|$|[\s\"':])", str(self.fs / IMAGE_ROOT.strip("/")), value)


# Variables in a Dockerfile's ENV and in compose's `environment:`: `${NAME}`, `$NAME`,
# `${NAME:-default}` (unset or empty), `${NAME-default}` (unset), and compose's `$$` for `$`.
COMPOSE_VARIABLE = re.compile(r"\$(?:(\$)|\{(\w+)(?:(:?-)([^}]*))?\}|(\w+))")


def interpolate(value: str, env: dict[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        escaped, name, operator, default, bare = match.groups()
        if escaped:
            return "$"
        if bare:
            return env.get(bare, "")
        found = env.get(name)
        if operator == ":-" and not found or operator == "-" and found is None:
            return default
        return found or ""

    return COMPOSE_VARIABLE.sub(substitute, value)


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)


def build(project: Path, root: Path, host_env: dict[str, str], python: str) -> Image:
    """Carry out the Dockerfile of `project`; `root` receives the stand-in file systems.
    `python` names the host interpreter standing in for the base image's."""
    _, stages = delivery.parse_dockerfile((project / "Dockerfile").read_text())
    context = delivery.build_context(project)
    fs = root / "fs"
    built: dict[str, Path] = {}
    image: Image | None = None
    previous: str | None = None
    for stage in stages:
        if previous is not None:
            # A new stage starts from an empty file system at the same path, as in the image,
            # so that what COPY --from=... takes keeps working where it lands.
            built[previous] = fs.rename(root / f"stage-{previous}")
        fs.mkdir(parents=True)
        # The base image's PATH, with the host's tools (uv, python) standing in for it.
        env = {
            "PATH": host_env["PATH"],
            "HOME": host_env.get("HOME", os.environ["HOME"]),
            "UV_PYTHON": python,
        }
        image = Image(fs=fs, workdir=fs, env=env | network_settings(host_env))
        for instruction in stage.instructions:
            _apply(instruction, image, project, context, built)
        previous = stage.name
    assert image is not None
    return image


def _apply(
    instruction: delivery.Instruction,
    image: Image,
    project: Path,
    context: list[str],
    built: dict[str, Path],
) -> None:
    keyword, value = instruction.keyword, instruction.value
    where = f"Dockerfile line {instruction.line}"
    if keyword == "WORKDIR":
        image.workdir = Path(image.map(value))
        image.workdir.mkdir(parents=True, exist_ok=True)
    elif keyword == "ENV":
        for name, raw in delivery.env_pairs(value):
            image.env[name] = image.map(interpolate(raw, image.env))
    elif keyword == "COPY":
        *sources, raw_target = shlex.split(value)
        origin = instruction.flags.get("from")
        if origin is not None and origin not in built:
            # An external image: only uv's is expected, and the host's uv stands in for it.
            assert origin.startswith("ghcr.io/astral-sh/uv:"), f"{where}: unexpected image {origin}"
            assert shutil.which("uv", path=image.env["PATH"]), (
                "uv must be on PATH for the rehearsal"
            )
            image.skipped.append(f"COPY --from={origin} (the host's uv)")
            return
        into_folder = raw_target.endswith("/") or len(sources) > 1
        target = (
            Path(image.map(raw_target))
            if raw_target.startswith("/")
            else image.workdir / raw_target
        )
        for source in sources:
            if origin is not None:
                path = built[origin] / source.lstrip("/")
                assert path.exists(), f"{where}: {source} does not exist in stage {origin}"
                _copy(path, target / path.name if into_folder else target)
                continue
            name = source.removeprefix("./").rstrip("/")
            if any(char in name for char in "*?["):
                for match in (
                    entry
                    for entry in context
                    if "/" not in entry and fnmatch.fnmatchcase(entry, name)
                ):
                    _copy(project / match, target / match)
            elif (project / name).is_dir():
                inside = [entry for entry in context if entry.startswith(name + "/")]
                assert inside, f"{where}: the folder {name} is empty in the build context"
                for entry in inside:
                    _copy(project / entry, target / Path(entry).relative_to(name))
            else:
                assert name in context, (
                    f"{where}: {name} is not in the build context (.dockerignore?)"
                )
                _copy(project / name, target / name if into_folder else target)
    elif keyword == "RUN":
        commands = [words[0] for words in delivery.shell_commands(value)]
        if commands and set(commands) <= SYSTEM_ONLY:
            image.skipped.append(f"RUN {value}")
            return
        result = subprocess.run(
            ["sh", "-c", image.map(value)],
            cwd=image.workdir,
            env=image.env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, (
            f"{where}: RUN {value}\nexit {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    elif keyword == "USER":
        image.user = value
    elif keyword == "EXPOSE":
        image.exposed.extend(value.split())
    elif keyword == "HEALTHCHECK":
        form = delivery.Instruction(
            "CMD", {}, value.removeprefix("CMD").strip(), instruction.line
        ).exec_form()
        assert form, f"{where}: HEALTHCHECK should use the exec form"
        image.healthcheck = form
    elif keyword in {"ENTRYPOINT", "CMD"}:
        form = instruction.exec_form()
        assert form, f"{where}: {keyword} should use the exec form (signals reach the server)"
        setattr(image, keyword.lower(), form)
    elif keyword not in {"LABEL", "ARG"}:
        raise AssertionError(f"{where}: the rehearsal does not know {keyword}")


def resolve(image: Image, argv: list[str]) -> list[str]:
    """The container's argv with its executable found on the image's PATH."""
    executable = shutil.which(argv[0], path=image.env["PATH"])
    assert executable, f"{argv[0]} is not on the image's PATH"
    return [executable, *argv[1:]]
