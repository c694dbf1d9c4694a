"""The floor of receiving an upload at all: a bare Flask endpoint that takes the file the app's upload form sends
and stores it with nothing else: `FileStorage.save` into UPLOAD_FOLDER, or, when S3_BUCKET is set, boto3's
`upload_fileobj` with boto3's default transfer configuration (up to 10 threads and 10 parts of 8 MiB in memory).

Served by gunicorn exactly as the real app is, with the same environment (MAX_UPLOAD_MB, S3_*), so that the real
app's figures divided by these leave what the app's own pipeline costs: checks, spooled copy, storage.
"""

from __future__ import annotations

import os
import uuid
from functools import cache
from pathlib import Path

import boto3
from flask import Flask, request

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024


@cache
def _s3_client():
    """One client per worker, as the app keeps one storage per app."""
    return boto3.client("s3", endpoint_url=os.environ.get("S3_ENDPOINT_URL"), region_name=os.environ.get("S3_REGION"))


@app.get("/")
def ready() -> str:
    return "ready"


@app.post("/upload")
def upload() -> str:
    file = request.files["file"]
    key = f"bare/{uuid.uuid4()}"
    bucket = os.environ.get("S3_BUCKET")
    if bucket:
        _s3_client().upload_fileobj(file.stream, bucket, key)
    else:
        path = Path(os.environ["UPLOAD_FOLDER"], key)
        path.parent.mkdir(parents=True, exist_ok=True)
        file.save(path)
    return "saved"
