import pytest

from tests.auth.support import cheap_hashing, no_secret_leaks, real_hashing

__all__ = ["cheap_hashing", "no_secret_leaks", "real_hashing"]


@pytest.fixture(autouse=True)
def _checked_and_fast(no_secret_leaks: list[str], cheap_hashing: None) -> None:
    """Every response is checked for password hashes; new hashes are cheap to make."""
