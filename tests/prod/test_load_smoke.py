"""CI's short load test: ``make loadtest`` in small (8 devices pushing for 20 seconds, about
30 in all, against production gunicorn with PostgreSQL and Redis, production rate limits included).

Latency is not judged here (CI machines vary); correctness is: no errors, every
device finished, and the audit finds every receipted change stored exactly once.
Needs PostgreSQL (``TEST_DATABASE_URL``) and Redis (``TEST_REDIS_URL``).
"""

from __future__ import annotations

import json
import os

import pytest
import sqlalchemy as sa

from bench import loadtest
from tests.conftest import PG_URL
from tests.prod.test_gunicorn import REDIS_URL, drop_database, redis_client

DEVICES = 8
SECONDS = 20

pytestmark = [pytest.mark.postgres_only, pytest.mark.xdist_group("gunicorn")]


def test_a_short_load_loses_nothing_and_duplicates_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if not PG_URL:
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    if redis_client() is None:
        pytest.skip(f"needs Redis at {REDIS_URL}")
    monkeypatch.setenv("LOADTEST_REDIS_URL", REDIS_URL)
    url = sa.engine.make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    database = url.set(database=f"{url.database}_load_{os.getpid()}").render_as_string(hide_password=False)
    try:
        loadtest.main(
            [
                f"--devices={DEVICES}",
                "--batches=40",
                "--changes=25",
                "--think=1.0",
                "--workers=2",
                f"--duration={SECONDS}",
                f"--max-seconds={SECONDS + 30}",
                "--p95-target-ms=1e9",  # latency is the full load test's business
                f"--database-url={database}",
            ]
        )
    finally:
        drop_database(database)
    output = capsys.readouterr().out
    figures = json.loads(output.strip().splitlines()[-2])
    assert figures["finished"] == DEVICES, output
    assert figures["errors"] == 0, output
    assert figures["lost"] == 0 and figures["duplicates"] == 0, output
    assert figures["unreceipted"] == 0 and figures["rejected"] == 0, output
    assert figures["acknowledged"] == figures["changes"] > DEVICES * 25, output
