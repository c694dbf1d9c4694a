"""The yardstick: a bare Flask app that answers "hello", served by gunicorn exactly as the real app is.

Dividing the real app's requests per second by this app's cancels out most of what the machine, gunicorn and the
load generator cost, which leaves what our own code (database, templates, sessions) costs.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
