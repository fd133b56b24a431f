"""Time-based one-time passwords (RFC 6238), the second factor: pure rules, no Flask, no database.

A code is good for its 30-second step and one step either side (clock drift
between a phone and the server), and only once: the caller keeps the last
step it accepted and passes it back, so a code seen over a shoulder or
replayed from a log is refused.
"""

from __future__ import annotations

import re
import time

import pyotp

#: one step of drift either way (a phone's clock, typing time).
VALID_WINDOW = 1
STEP_SECONDS = 30
CODE = re.compile(r"\d{6}")


def now() -> float:
    """The clock codes are checked against (tests move it)."""
    return time.time()


def new_secret() -> str:
    """A random base32 secret of 160 bits (RFC 4226's recommendation)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    """The ``otpauth://`` URI authenticator apps read (as text or as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def current_code(secret: str, at: float | None = None) -> str:
    return pyotp.TOTP(secret).at(int(at if at is not None else now()))


def accepted_step(secret: str, code: str, last_step: int | None, at: float | None = None) -> int | None:
    """The step ``code`` belongs to, when it is right and newer than ``last_step``; else None.

    Steps are compared, not codes, so a code used once cannot be used again,
    nor can an older one that is still inside the drift window.
    """
    code = code.strip().replace(" ", "")
    if not CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    step_now = int(at if at is not None else now()) // STEP_SECONDS
    for step in range(step_now - VALID_WINDOW, step_now + VALID_WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.at(step * STEP_SECONDS), code):
            return step
    return None
