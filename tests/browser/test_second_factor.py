"""The second factor in the PWA: a reviewer (whose role needs one, the default policy) logs in,
is sent to the enrolment, enrols an authenticator app from the key on screen, logs out, and
logs in again with a code."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.support import DEMO_PASSWORD, check_screen, install_db_helpers, set_pin

pytestmark = pytest.mark.browser


@pytest.fixture
def policy(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(live_server.app.config, "MFA_REQUIRED_ROLES", frozenset({"reviewer", "admin"}))


def log_in(page: Any, username: str) -> None:
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.usefixtures("policy")
def test_a_reviewer_enrols_at_first_login_then_logs_in_with_a_code(
    context: Any, page: Any, live_server: Any
) -> None:
    install_db_helpers(context)
    page.goto(live_server.url + "/")
    log_in(page, "reviewer")
    set_pin(page)

    # Sent to the enrolment, and kept there
    expect(page.get_by_role("heading", name="Security")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="Your role needs a second factor")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/account$"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    check_screen(page, "security (enrolment required)")

    # Enrol: the key on screen goes into the "phone" (pyotp), its code comes back
    page.get_by_role("button", name="Set up an authenticator app").click()
    key = page.get_by_label("Secret key")
    expect(key).to_be_visible()
    secret = key.get_attribute("data-secret")
    assert secret and re.sub(r"\s", "", key.inner_text()) == secret
    uri = page.get_by_role("link", name=re.compile("^otpauth:"))
    assert uri.get_attribute("href") == pyotp.TOTP(secret).provisioning_uri(
        name="reviewer", issuer_name="Inspector"
    )
    check_screen(page, "security (enrolling)")
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert").filter(has_text="Wrong code")).to_be_visible()
    enrolled_at = time.time()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).at(enrolled_at))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_label("Second factor status")).to_contain_text("On since")
    expect(page.get_by_role("alert").filter(has_text="Your role needs a second factor")).to_have_count(0)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    expect(page.get_by_role("heading", name="Review")).to_be_visible()

    # Log out, log in again: the password alone is not enough
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Sync")).click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("User name")).to_be_visible()
    log_in(page, "reviewer")
    expect(page.get_by_role("alert")).to_contain_text("6-digit code")
    code_field = page.get_by_label("Authenticator code")
    expect(code_field).to_be_visible()
    # the code of the step after the enrolment's (a code is taken once)
    code_field.fill(pyotp.TOTP(secret).at(enrolled_at + 30))
    page.get_by_role("button", name="Log in").click()
    set_pin(page)
    expect(page.get_by_role("heading", name="Review")).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"/account$"))
