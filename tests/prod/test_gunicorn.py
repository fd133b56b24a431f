"""The production server for real: gunicorn with two workers on PostgreSQL and Redis.

Rate limits hold across workers because their counters live in Redis, and the
probes answer through gunicorn. Needs PostgreSQL (``TEST_DATABASE_URL``) and a
Redis at ``TEST_REDIS_URL`` (default the local one); skipped without them.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from bench.prodserver import PASSWORD, Server, free_port, rebuild_database, seed, server_env
from tests.conftest import PG_URL

#: Each pytest-xdist worker counts in a Redis database of its own (13, 12, ...): the tests
#: clear their counters, and two workers' servers must not clear or fill each other's.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_URL = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{13 - _WORKER}")
LIMIT = 4
PUSH_LIMIT = 5

pytestmark = [pytest.mark.postgres_only, pytest.mark.xdist_group("gunicorn")]


def drop_database(database: str) -> None:
    url = sa.engine.make_url(database)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def redis_client() -> object | None:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        return None
    return client


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    if not PG_URL:
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    if redis_client() is None:
        pytest.skip(f"needs Redis at {REDIS_URL}")
    url = sa.engine.make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    database = url.set(database=f"{url.database}_gunicorn_{os.getpid()}").render_as_string(
        hide_password=False
    )
    rebuild_database(database)
    seed(database, users=1, inspections_per_user=1)
    port = free_port()
    env = server_env(database, port, workers=2)
    env.update(
        {
            "REDIS_URL": REDIS_URL,
            "INSPECTOR_LOGIN_RATE_LIMIT": f"{LIMIT} per minute",
            "INSPECTOR_PUSH_RATE_LIMIT": f"{PUSH_LIMIT} per minute",
        }
    )
    running = Server(env, port)
    running.start()
    try:
        yield running
    finally:
        running.stop()
        drop_database(database)


def test_probes_answer_through_gunicorn(server: Server) -> None:
    assert len(server.workers()) == 2
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/readyz")
    assert ready.status_code == 200, ready.text


def test_login_limit_holds_across_workers_through_redis(server: Server) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter("LIMITS*"):  # this test's own Redis database
        client.delete(key)
    statuses = []
    for _ in range(LIMIT + 2):
        # A new connection each time, so requests spread over both workers.
        response = httpx.post(
            f"{server.url}/api/v1/auth/token",
            json={"username": "load000", "password": PASSWORD, "device_id": str(uuid.uuid4())},
            headers={"Connection": "close"},
        )
        statuses.append(response.status_code)
    assert statuses == [200] * LIMIT + [429, 429], statuses
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/rate-limited"
    assert int(response.headers["Retry-After"]) > 0
    assert list(client.scan_iter("LIMITS*")), "the counters are not in Redis"


def clear_counters() -> Any:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter("LIMITS*"):  # this test's own Redis database
        client.delete(key)
    return client


def wait_for_workers(server: Server, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(server.workers()) == count and httpx.get(f"{server.url}/readyz").status_code == 200:
            return
        time.sleep(0.2)
    raise AssertionError(f"gunicorn has not got {count} workers back")


def test_push_limit_holds_across_workers_and_their_restarts(server: Server) -> None:
    """Pushes are counted per device in Redis: spread over both workers, and even after every
    worker is killed and replaced (fresh memory), the device stays limited."""
    client = clear_counters()
    device = str(uuid.uuid4())
    login = httpx.post(
        f"{server.url}/api/v1/auth/token",
        json={"username": "load000", "password": PASSWORD, "device_id": device},
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}", "Connection": "close"}
    body = {"device_id": device, "schema_version": 1, "changes": []}

    def push() -> httpx.Response:
        return httpx.post(f"{server.url}/api/v1/sync/push", json=body, headers=headers)

    statuses = [push().status_code for _ in range(PUSH_LIMIT - 2)]
    for worker in server.workers():
        os.kill(worker, signal.SIGKILL)
    wait_for_workers(server, 2)
    statuses += [push().status_code for _ in range(4)]
    assert statuses == [200] * PUSH_LIMIT + [429, 429], statuses
    limited = push()
    assert limited.status_code == 429
    assert limited.headers["Content-Type"] == "application/problem+json"
    assert limited.json()["type"] == "/problems/rate-limited"
    assert int(limited.headers["Retry-After"]) > 0
    assert any(b"push:" + device.encode() in key for key in client.scan_iter("LIMITS*"))
    # another device of the same person, from the same address, is not held back
    other = str(uuid.uuid4())
    token = httpx.post(
        f"{server.url}/api/v1/auth/token",
        json={"username": "load000", "password": PASSWORD, "device_id": other},
    ).json()["access_token"]
    response = httpx.post(
        f"{server.url}/api/v1/sync/push",
        json={**body, "device_id": other},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text


def test_a_chunked_body_over_the_cap_is_413(server: Server) -> None:
    """No Content-Length to check up front: the cap still holds while the body streams in."""
    clear_counters()

    def chunks() -> Iterator[bytes]:
        yield b'{"username": "'
        for _ in range(6 * 1024):  # 6 MiB, over the 5 MiB cap
            yield b"x" * 1024
        yield b'", "password": "p"}'

    response = httpx.post(
        f"{server.url}/api/v1/auth/token",
        content=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413, response.text[:300]
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/payload-too-large"

    def small() -> Iterator[bytes]:
        yield b'{"username": "load000", '
        yield b'"password": "' + PASSWORD.encode() + b'"}'

    fine = httpx.post(
        f"{server.url}/api/v1/auth/token", content=small(), headers={"Content-Type": "application/json"}
    )
    assert fine.status_code == 200, fine.text  # under the cap a streamed body is read whole
