"""Password hashing: argon2id at OWASP's cost, and verification that never raises."""

from __future__ import annotations

from argon2 import extract_parameters

from inspector.auth.passwords import hash_password, verify_password


def test_hashes_are_argon2id_at_owasp_cost(real_hashing: None) -> None:
    hashed = hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$")
    parameters = extract_parameters(hashed)
    # OWASP: at least m=19 MiB with t=2, or more memory with t=1.
    assert parameters.memory_cost >= 19 * 1024
    assert parameters.time_cost >= 2
    assert hash_password("correct horse battery staple") != hashed  # salted


def test_verify(real_hashing: None) -> None:
    hashed = hash_password("correct horse battery staple")
    assert verify_password(hashed, "correct horse battery staple") is True
    assert verify_password(hashed, "correct horse battery stapler") is False
    assert verify_password(None, "correct horse battery staple") is False
    assert verify_password("not a hash", "anything") is False
    assert verify_password(None, "not-a-real-password-only-for-timing") is False
