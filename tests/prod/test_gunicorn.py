"""The production server for real: gunicorn with two workers on PostgreSQL and Redis.

Rate limits hold across workers because their counters live in Redis, and the
probes answer through gunicorn. Needs PostgreSQL (``TEST_DATABASE_URL``) and a
Redis at ``TEST_REDIS_URL`` (default the local one); skipped without them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from bench.prodserver import PASSWORD, Server, free_port, rebuild_database, seed, server_env
from tests.conftest import PG_URL

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
LIMIT = 4

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
    env.update({"REDIS_URL": REDIS_URL, "INSPECTOR_LOGIN_RATE_LIMIT": f"{LIMIT} per minute"})
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
