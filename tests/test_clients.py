"""Slow tier: clients generated from a rendered project's OpenAPI document are usable.

A project with users and EdDSA (every route the template renders) writes its document;
`openapi-typescript` (npm, through npx) turns it into TypeScript types that `tsc --strict`
compiles together with code that names operations and schemas by their short ids, and
`openapi-python-client` (PyPI, through uvx) into a package whose every module imports with
warnings as errors. Neither generator may warn, and the names they produce come from the
operation ids and schema names (`auth_token`, `TokenForm`), not from FastAPI's defaults.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from pytest_copier.plugin import CopierFixture

from tests.conftest import project_env, require_command, run

PACKAGE = "client_service"
DUMP = "import json; from client_service.main import app; print(json.dumps(app.openapi()))"
# Uses the generated types the way a front end would; `tsc --strict` must accept it.
USAGE_TS = """\
import type { components, operations, paths } from "./schema";

type TokenForm = components["schemas"]["TokenForm"];
const form: TokenForm = { grant_type: "refresh_token", refresh_token: "opaque" };
type Login = operations["auth-login"]["requestBody"]["content"]["application/json"];
const login: Login = { email: "a@example.com", password: "secret" };
type Profile = paths["/v1/users/{user_id}"]["get"]["responses"][200]["content"]["application/json"];
type Keys = operations["auth-jwks"]["responses"][200]["content"]["application/json"];
const use = (profile: Profile, keys: Keys): string => profile.display_name + keys.keys[0].kid;
export { form, login, use };
"""
IMPORT_ALL = """
import importlib, pkgutil, client
names = [module.name for module in pkgutil.walk_packages(client.__path__, "client.")]
for name in names:
    importlib.import_module(name)
from client.api.auth import auth_login, auth_token
from client.api.users import users_get
from client.models import JsonWebKeySet, TokenForm
print(len(names))
"""


@pytest.mark.slow
def test_generated_typescript_and_python_clients_build_without_warnings(
    copier: CopierFixture, tmp_path: Path
) -> None:
    uv, npx = require_command("uv"), require_command("npx")
    uvx = require_command("uvx")
    root = copier.copy(
        tmp_path / "project",
        project_name="Client Service",
        include_users=True,
        jwt_algorithm="EdDSA",
        ci="none",
        docker=False,
    ).path
    env = project_env()
    run([uv, "sync"], cwd=root, env=env)
    out = tmp_path / "clients"
    out.mkdir()
    document = out / "openapi.json"
    document.write_text(run([uv, "run", "python", "-c", DUMP], cwd=root, env=env).stdout)

    typescript = run(
        [npx, "--yes", "openapi-typescript", str(document), "-o", "schema.d.ts"], out, env
    )
    assert "warn" not in (typescript.stdout + typescript.stderr).lower(), typescript.stderr
    (out / "usage.ts").write_text(USAGE_TS)
    tsc = [npx, "--yes", "-p", "typescript", "tsc", "--noEmit", "--strict", "usage.ts"]
    run(tsc, out, env)

    generate = [uvx, "openapi-python-client", "generate", "--path", str(document)]
    python = run([*generate, "--output-path", "client", "--meta", "none"], out, env)
    assert "warning" not in (python.stdout + python.stderr).lower(), python.stdout + python.stderr
    assert not list((out / "client" / "models").glob("body_*.py"))  # every body has a name
    assert importlib.util.find_spec("client") is None  # the import below is the generated one
    with_deps = ["--with", "httpx", "--with", "attrs", "--with", "python-dateutil"]
    imported = run(
        [uv, "run", "--no-project", *with_deps, "python", "-W", "error", "-c", IMPORT_ALL],
        out,
        env,
    )
    assert int(imported.stdout.split()[-1]) > 20, imported.stdout
