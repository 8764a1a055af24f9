"""Slow tier: the rendered service's docs in a real browser, with no network beyond loopback.

The default project is rendered and served; headless Chromium (Debian's `chromium` and
`chromium-driver`, installed by .ci/run) opens /docs, logs in with Swagger UI's Authorize
button (the OAuth 2.0 password flow against /v1/auth/token), runs "Try it out" on
GET /v1/auth/me and sees 200, then opens /redoc. Every request Swagger UI made, read from
the browser's DevTools performance log, went to the service on 127.0.0.1, and so did every
script, style and font of ReDoc: both load from the service, not from a CDN.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pytest_copier.plugin import CopierFixture
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import project_env, require_command, run
from tests.servers import Server

PACKAGE = "docs_service"
ADMIN = "admin@example.com"
PASSWORD = "correct horse battery staple"
# Chromium's own traffic (updates, field trials, safe browsing) off: what is left is the page's.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
]


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    # Both paths given, so Selenium Manager never looks for (or downloads) a browser.
    options.binary_location = require_command("chromium")
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(require_command("chromedriver")))
    try:
        yield driver
    finally:
        driver.quit()


def requests_made(driver: webdriver.Chrome) -> list[tuple[str, str]]:
    """(URL, resource type) of every request the browser sent since the last call, from
    DevTools' Network domain."""
    made = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            made.append((message["params"]["request"]["url"], message["params"].get("type", "")))
    return made


def off_loopback(made: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [
        (url, kind)
        for url, kind in made
        if urlsplit(url).scheme not in {"data", "blob"} and urlsplit(url).hostname != "127.0.0.1"
    ]


def visible(driver: webdriver.Chrome, css: str, timeout: float = 20) -> WebElement:
    wait = WebDriverWait(driver, timeout)
    element: WebElement = wait.until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css))
    )
    return element


def click(driver: webdriver.Chrome, css: str) -> None:
    wait = WebDriverWait(driver, 20)
    wait.until(expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, css))).click()


@pytest.mark.slow
def test_swagger_ui_logs_in_and_tries_an_operation_offline(
    copier: CopierFixture, tmp_path: Path, browser: webdriver.Chrome
) -> None:
    uv = require_command("uv")
    root = copier.copy(
        tmp_path / "project", project_name="Docs Service", ci="none", docker=False
    ).path
    env = project_env(
        APP__ENVIRONMENT="development",
        MAIL__BACKEND="console",
        AUTH__REFRESH_COOKIE_SECURE="false",
        DATABASE__URL=f"sqlite+aiosqlite:///{tmp_path / 'docs.db'}",
        PYTHONUNBUFFERED="1",
    )
    run([uv, "sync"], cwd=root, env=env)
    run([uv, "run", PACKAGE, "migrate"], cwd=root, env=env)
    create = [uv, "run", PACKAGE, "create-superuser", "--email", ADMIN]
    run(create, cwd=root, env=env, input_text=f"{PASSWORD}\n")
    server = Server(root, PACKAGE, env, tmp_path / "server.log")
    try:
        server.wait_ready()
        browser.get(f"{server.base}/docs")
        visible(browser, ".swagger-ui .information-container .title")

        click(browser, ".swagger-ui .auth-wrapper .authorize")
        visible(browser, "#oauth_username").send_keys(ADMIN)
        visible(browser, "#oauth_password").send_keys(PASSWORD)
        click(browser, ".auth-container .auth-btn-wrapper .authorize")
        # Authorized: the dialog offers to log out instead.
        try:
            WebDriverWait(browser, 20).until(
                lambda _: any(
                    button.text == "Logout"
                    for button in browser.find_elements(By.CSS_SELECTOR, ".auth-btn-wrapper button")
                )
            )
        except TimeoutException:
            dialog = browser.find_element(By.CSS_SELECTOR, ".auth-container").text
            pytest.fail(f"Authorize did not log in:\n{dialog}\n{server.output()[-3000:]}")
        click(browser, ".auth-container .auth-btn-wrapper .btn-done")

        me = '.opblock-get .opblock-summary-path[data-path="/v1/auth/me"]'
        click(browser, me)
        operation = browser.find_element(By.CSS_SELECTOR, me).find_element(
            By.XPATH, "ancestor::div[contains(@class, 'opblock-get')]"
        )
        operation.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
        operation.find_element(By.CSS_SELECTOR, ".btn.execute").click()
        status = WebDriverWait(browser, 20).until(
            lambda _: operation.find_element(
                By.CSS_SELECTOR, ".live-responses-table .response .response-col_status"
            )
        )
        assert status.text.strip() == "200", operation.text[-2000:]
        body = operation.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight")
        assert json.loads(body.text)["email"] == ADMIN

        made = requests_made(browser)
        urls = [url for url, _ in made]
        assert f"{server.base}/v1/auth/token" in urls and f"{server.base}/v1/auth/me" in urls
        assert not off_loopback(made), f"Swagger UI left loopback: {off_loopback(made)}"

        browser.get(f"{server.base}/redoc")
        visible(browser, "h1")  # ReDoc rendered the document's title
        assert "Docs Service" in browser.find_element(By.CSS_SELECTOR, "h1").text
        # ReDoc's "API docs by Redocly" footer shows a logo from Redocly's CDN; offline it
        # is not shown. Nothing else (scripts, styles, fonts, the schema) leaves loopback.
        outside = off_loopback(requests_made(browser))
        assert all(kind == "Image" for _, kind in outside), f"ReDoc left loopback: {outside}"
    finally:
        server.stop()
