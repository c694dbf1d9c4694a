"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from shared.app import create_app

app = create_app()
