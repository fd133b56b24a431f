from collections.abc import Iterator

import pytest
from flask import Flask

from tests.auth.support import cheap_hashing, no_secret_leaks, real_hashing
from tests.conftest import dispose, make_app

__all__ = ["cheap_hashing", "no_secret_leaks", "real_hashing"]


@pytest.fixture(autouse=True)
def _checked_and_fast(no_secret_leaks: list[str], cheap_hashing: None) -> None:
    """Every response is checked for password hashes; new hashes are cheap to make."""


@pytest.fixture
def limited_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """An app on the test database whose login, token and refresh allow 3 calls a minute."""
    from inspector.extensions import limiter

    limited = make_app(database_url, LOGIN_RATE_LIMIT="3 per minute")
    limiter.reset()
    yield limited
    limiter.reset()
    dispose(limited)
