"""The WSGI entry point: ``gunicorn wsgi:app``."""

from inspector import create_app

app = create_app()
