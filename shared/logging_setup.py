"""Structured (JSON) logs with a request id. Only ids and endpoint names: no paths (links carry tokens),
no e-mail addresses, no form data."""

from __future__ import annotations

import json
import logging
import secrets
import sys
import time

from flask import Flask, Response, g, has_request_context, request

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        if has_request_context():
            entry["request_id"] = g.get("request_id")
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def init_logging(app: Flask) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(app.config["LOG_LEVEL"])
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # its access lines carry full paths
    request_log = logging.getLogger("ap_portal.request")

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if incoming.isalnum() and len(incoming) <= 64 else secrets.token_hex(8)
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        if request_log.isEnabledFor(logging.INFO):  # the line's fields are not worked out for a log that drops it
            request_log.info(
                "request",
                extra={
                    "method": request.method,
                    "endpoint": request.endpoint,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000, 1),
                },
            )
        return response
