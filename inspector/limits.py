"""The body cap for bodies streamed without a length (``Transfer-Encoding: chunked``).

``MAX_CONTENT_LENGTH`` refuses a declared ``Content-Length`` over the cap up
front. A chunked body declares none: werkzeug then stops reading at the cap
without saying so, and the view would get the body cut short (a 400 for
malformed JSON at best, a valid prefix followed by nothing at worst). Such a
body is read here, once, and refused with 413 when it reaches the cap.
"""

from __future__ import annotations

from flask import Flask, request

from inspector.problems import Problem

#: Routes that read their raw body themselves, under a limit of their own (blob uploads).
OWN_LIMIT_PREFIXES = ("/api/v1/blobs/",)


def init_app(app: Flask) -> None:
    @app.before_request
    def _cap_streamed_bodies() -> None:
        if request.content_length is not None or request.path.startswith(OWN_LIMIT_PREFIXES):
            return
        if "chunked" not in request.headers.get("Transfer-Encoding", "").lower():
            return
        limit = app.config["MAX_CONTENT_LENGTH"]
        data = request.get_data(cache=True)  # the stream stops at the cap
        if limit is not None and len(data) >= limit:
            raise Problem("payload-too-large", f"The body may be at most {limit} bytes.")
