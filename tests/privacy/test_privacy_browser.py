"""The "my data" centre in a real headless Chromium, in zh-CN and in English."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import need

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def browser():
    need(os.path.exists(CHROMIUM), "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.mark.parametrize("locale,title,withdraw", [("zh-CN", "我的数据", "撤回授权"), ("en", "My data", "Withdraw")])
def test_my_data_page_in_both_languages(browser, live_gateway, svc, locale, title, withdraw, tmp_path):
    import secrets

    username, password = "b" + secrets.token_hex(4), "Browser-Pass-2026!"
    account = svc.accounts.create(username, password, name="浏览器用户")
    record, _ = svc.clients.create(name="浏览器门户", redirect_uris=["https://b.weifang.example/cb"],
                                   scope="openid profile")
    svc.consents.grant(account.id, svc.clients.get(record.client_id), "openid profile", ["name"])
    context = browser.new_context(locale=locale, extra_http_headers={"Accept-Language": locale})
    page = context.new_page()
    page.goto(f"{live_gateway}/login")
    page.locator("details").evaluate("d => d.open = true")
    page.fill("details input[name=username]", username)
    page.fill("details input[name=password]", password)
    page.click("details button")
    page.goto(f"{live_gateway}/account")
    assert page.locator("h1").first.inner_text() == title
    page.screenshot(path=str(tmp_path / f"my-data-{locale}.png"), full_page=True)
    assert page.evaluate("document.documentElement.lang") == ("en" if locale == "en" else "zh-CN")
    assert page.get_by_role("button", name=withdraw).count() == 1
    assert "浏览器门户" in page.content()
    context.close()
