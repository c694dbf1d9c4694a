"""Absolute links for e-mails, built from BASE_URL (inside or outside a request)."""

from flask import current_app, has_request_context, url_for


def absolute_url(endpoint: str, **values) -> str:
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context():
            path = url_for(endpoint, **values)
    return current_app.config["BASE_URL"] + path
