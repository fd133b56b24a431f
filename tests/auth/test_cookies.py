"""The PWA's cookie session: HttpOnly tokens, readable CSRF cookies, double submit."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.auth.support import API, assert_problem, audit_rows, bearer, family_row
from tests.factories import PASSWORD, World


def set_cookies(response: Any) -> dict[str, dict[str, str | bool]]:
    """Set-Cookie headers by cookie name: {"value": ..., "httponly": bool, "path": ...}."""
    cookies: dict[str, dict[str, str | bool]] = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        name, _, value = first.partition("=")
        cookie: dict[str, str | bool] = {"value": value, "httponly": False}
        for attribute in attributes:
            key, _, attr_value = attribute.partition("=")
            cookie[key.lower()] = attr_value or True
        cookies[name] = cookie
    return cookies


def cookie_login(world: World) -> tuple[FlaskClient, Any]:
    client = world.app.test_client()
    response = client.post(
        f"{API}/auth/login",
        json={
            "username": world.investigator.username,
            "password": PASSWORD,
            "device_id": str(world.investigator.device_id),
        },
    )
    assert response.status_code == 200, response.json
    return client, response


def cookie(client: FlaskClient, name: str, path: str) -> str:
    found = client.get_cookie(name, path=path)
    assert found is not None, name
    return found.value


def test_login_sets_httponly_token_cookies_and_readable_csrf_cookies(world: World) -> None:
    _client, response = cookie_login(world)
    cookies = set_cookies(response)
    assert {"access_token_cookie", "refresh_token_cookie"} <= cookies.keys()
    assert {"csrf_access_token", "csrf_refresh_token"} <= cookies.keys()
    for name in ("access_token_cookie", "refresh_token_cookie"):
        assert cookies[name]["httponly"] is True, cookies[name]
        assert cookies[name]["samesite"] == "Strict"
    for name in ("csrf_access_token", "csrf_refresh_token"):
        assert cookies[name]["httponly"] is False, cookies[name]
        assert cookies[name]["value"]
    assert cookies["access_token_cookie"]["path"] == "/api/"
    assert cookies["refresh_token_cookie"]["path"] == "/api/v1/auth/"
    # The body is the profile; the tokens travel only in the HttpOnly cookies.
    body = response.json
    assert set(body) == {"user", "expires_in"}
    assert body["user"]["username"] == world.investigator.username
    assert body["user"]["device_id"] == str(world.investigator.device_id)
    text = response.get_data(as_text=True)
    assert str(cookies["access_token_cookie"]["value"]) not in text
    assert str(cookies["refresh_token_cookie"]["value"]) not in text


def test_cookie_get_needs_no_csrf_header(world: World) -> None:
    client, _ = cookie_login(world)
    response = client.get(f"{API}/auth/me")
    assert response.status_code == 200, response.json
    assert response.json["username"] == world.investigator.username


def test_cookie_unsafe_request_without_csrf_header_fails(world: World) -> None:
    client, _ = cookie_login(world)
    body = assert_problem(client.post(f"{API}/auth/logout"), "csrf-failed", 401)
    assert "X-CSRF-TOKEN" in body["detail"]
    # Nothing happened: the session is alive.
    assert client.get(f"{API}/auth/me").status_code == 200
    assert audit_rows(world.app, "logout") == []


def test_cookie_unsafe_request_with_a_wrong_csrf_header_fails(world: World) -> None:
    client, _ = cookie_login(world)
    csrf_refresh = cookie(client, "csrf_refresh_token", "/")
    response = client.post(f"{API}/auth/logout", headers={"X-CSRF-TOKEN": csrf_refresh})
    assert_problem(response, "csrf-failed", 401)
    assert client.get(f"{API}/auth/me").status_code == 200


def test_cookie_unsafe_request_with_csrf_header_succeeds(world: World) -> None:
    client, _ = cookie_login(world)
    access_cookie = cookie(client, "access_token_cookie", "/api/")
    csrf = cookie(client, "csrf_access_token", "/")
    response = client.post(f"{API}/auth/logout", headers={"X-CSRF-TOKEN": csrf})
    assert response.status_code == 204, response.get_data(as_text=True)
    assert response.get_data() == b""
    # The cookies are cleared, and the family is revoked for anyone holding a copy.
    cleared = set_cookies(response)
    assert cleared["access_token_cookie"]["value"] == ""
    assert cleared["refresh_token_cookie"]["value"] == ""
    assert_problem(
        world.app.test_client().get(f"{API}/auth/me", headers=bearer(access_cookie)),
        "token-revoked",
        401,
    )
    assert family_row(world.app, access_cookie)["revoked_reason"] == "logout"


def test_cookie_refresh_rotates_the_cookies(world: World) -> None:
    client, _ = cookie_login(world)
    old_access = cookie(client, "access_token_cookie", "/api/")
    csrf_refresh = cookie(client, "csrf_refresh_token", "/")
    assert_problem(client.post(f"{API}/auth/refresh"), "csrf-failed", 401)
    response = client.post(f"{API}/auth/refresh", headers={"X-CSRF-TOKEN": csrf_refresh})
    assert response.status_code == 200, response.json
    rotated = set_cookies(response)
    assert rotated["access_token_cookie"]["value"] not in ("", old_access)
    assert rotated["access_token_cookie"]["httponly"] is True
    assert rotated["refresh_token_cookie"]["httponly"] is True
    # HttpOnly is moot if the body hands the same tokens to JavaScript.
    text = response.get_data(as_text=True)
    assert str(rotated["access_token_cookie"]["value"]) not in text
    assert str(rotated["refresh_token_cookie"]["value"]) not in text
    assert response.json == {"expires_in": 15 * 60}
    assert client.get(f"{API}/auth/me").status_code == 200
