"""The default project, served by uvicorn as its README says, walked through over real HTTP:
the auth and users journeys end to end, emails read from the console mailer's output."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from pytest_copier.plugin import CopierFixture

from tests.conftest import project_env, require_command, run
from tests.servers import Server

PASSWORD = "correct horse battery staple"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.slow
def test_the_served_default_project_walks_through_auth_and_users(
    copier: CopierFixture, tmp_path: Path
) -> None:
    uv = require_command("uv")
    root = copier.copy(tmp_path / "project", project_name="Walk Service").path
    env = project_env()
    run([uv, "sync"], cwd=root, env=env)
    run([uv, "run", "walk_service", "migrate"], cwd=root, env=env)
    server = Server(root, "walk_service", env, tmp_path / "server.log")
    try:
        server.wait_ready()
        http = httpx.Client(base_url=server.base, timeout=10)
        email = "walker@example.com"
        body = {"email": email, "password": PASSWORD, "confirm_password": PASSWORD}
        assert http.post("/v1/auth/register", json=body).status_code == 202
        token, seen = server.mail_link("/verify-email", 0)
        assert http.post("/v1/auth/verify", json={"token": token}).status_code == 200
        tokens = http.post("/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
        assert (
            http.get("/v1/auth/me", headers=bearer(tokens["access_token"])).json()["email"] == email
        )

        first = tokens["refresh_token"]
        second = http.post("/v1/auth/refresh-token", json={"refresh_token": first}).json()
        third = http.post(
            "/v1/auth/refresh-token", json={"refresh_token": second["refresh_token"]}
        ).json()
        assert http.post("/v1/auth/refresh-token", json={"refresh_token": first}).status_code == 401
        assert (
            http.post(
                "/v1/auth/refresh-token", json={"refresh_token": third["refresh_token"]}
            ).status_code
            == 401
        )

        tokens = http.post("/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
        changed = "a changed passphrase here"
        response = http.post(
            "/v1/auth/change-password",
            headers=bearer(tokens["access_token"]),
            json={
                "old_password": PASSWORD,
                "new_password": changed,
                "confirm_new_password": changed,
            },
        )
        assert response.status_code == 200
        assert (
            http.post("/v1/auth/request-password-reset", json={"email": email}).status_code == 202
        )
        token, seen = server.mail_link("/reset-password", seen)
        final = "the final passphrase of the day"
        reset = {"token": token, "new_password": final, "confirm_new_password": final}
        assert http.post("/v1/auth/reset-password", json=reset).status_code == 200
        tokens = http.post("/v1/auth/login", json={"email": email, "password": final}).json()

        profile = None
        for _ in range(50):
            response = http.get("/v1/users/me", headers=bearer(tokens["access_token"]))
            if response.status_code == 200:
                profile = response.json()
                break
            time.sleep(0.1)
        assert profile is not None and profile["email"] == email
        patched = http.patch(
            "/v1/users/me", headers=bearer(tokens["access_token"]), json={"bio": "Walking."}
        )
        assert patched.json()["bio"] == "Walking."

        admin = "admin@example.com"
        run(
            [
                "bash",
                "-c",
                f"printf '%s\\n' '{PASSWORD}' | {uv} run walk_service create-superuser --email {admin}",
            ],
            cwd=root,
            env=env,
        )
        admin_token = http.post(
            "/v1/auth/login", json={"email": admin, "password": PASSWORD}
        ).json()["access_token"]
        listed = http.get("/v1/users", headers=bearer(admin_token)).json()
        assert profile["id"] in [item["id"] for item in listed["items"]]
        assert (
            http.delete(f"/v1/users/{profile['id']}", headers=bearer(admin_token)).status_code
            == 204
        )
        refused = False
        for _ in range(50):
            if http.get("/v1/auth/me", headers=bearer(tokens["access_token"])).status_code == 401:
                refused = True
                break
            time.sleep(0.1)
        assert refused, "the deleted user's access token still works"
        assert (
            http.post(
                "/v1/auth/refresh-token", json={"refresh_token": tokens["refresh_token"]}
            ).status_code
            == 401
        )

        out = http.post("/v1/auth/logout", headers=bearer(admin_token))
        assert out.status_code == 204
        assert http.get("/v1/auth/me", headers=bearer(admin_token)).status_code == 401
    finally:
        server.stop()
    assert "Traceback" not in server.output()
