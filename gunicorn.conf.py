"""gunicorn settings for ``make serve`` (production): ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be overridden from the environment (``GUNICORN_*`` below, or
gunicorn's own ``GUNICORN_CMD_ARGS``). Logs are JSON lines on stderr; the
access line is written by the app (``inspector.ops``), which knows the request
id, the user and the duration, so gunicorn's own access log stays off.
"""

import os

bind = os.environ.get(
    "GUNICORN_BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
)
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
# gthread keeps idle keep-alive connections parked off the worker; one thread per worker, because
# requests are CPU-bound: 4 threads per worker halved throughput under `make loadtest` (GIL and lock
# contention), see the README.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A stuck request is killed after this long; the client retries (pushes are idempotent).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# A connection carries one request, then closes (nginx's default towards its upstreams too).
# A kept-alive connection stays with the worker that accepted it, so a device's requests
# queue behind that worker even while another is free; closed, the next free worker takes
# the next request. Load test, 50 devices: push p95 478-609 ms kept alive, 303-438 closed.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "0"))
# Hardening: small request lines and headers (bodies are capped by MAX_CONTENT_LENGTH).
limit_request_line = 8190
limit_request_fields = 60
limit_request_field_size = 8190
# Recycle workers now and then so slow leaks cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None
proc_name = "inspector"

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "inspector.ops.JsonFormatter"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    },
    "root": {"level": os.environ.get("LOG_LEVEL", "INFO"), "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "WARNING", "handlers": ["stderr"], "propagate": False},
    },
}


def post_worker_init(worker: object) -> None:
    """Move what the worker loaded (the app, its schemas, SQLAlchemy's metadata: ~180,000
    objects) out of the garbage collector's sight: they live as long as the worker, and
    every full collection walked them again (about 10 % of a push's time, measured)."""
    import gc

    gc.freeze()
