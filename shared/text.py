"""Tidying what people type into forms (and files) before it is checked and stored: one set of rules, so every form
treats white space and empty answers the same way."""

from __future__ import annotations

from typing import overload

from shared.services.errors import RuleBroken


def clean(value: str | None) -> str | None:
    """The text with the white space at either end taken off, or None when nothing is left."""
    return (value or "").strip() or None


@overload
def checked(value: str | None, field_name: str, *, required: str, limit: int | None = None) -> str: ...


@overload
def checked(value: str | None, field_name: str, *, required: None = None, limit: int | None = None) -> str | None: ...


def checked(value: str | None, field_name: str, *, required: str | None = None, limit: int | None = None) -> str | None:
    """clean(value), checked: `required` is the message when nothing was given (None: it may be left out), `limit`
    the most characters it may have. Raises RuleBroken naming the field."""
    value = clean(value)
    if value is None and required:
        raise RuleBroken(required, field_name)
    if value is not None and limit is not None and len(value) > limit:
        raise RuleBroken(f"Keep this to {limit} characters or fewer", field_name)
    return value


def one_line(value: str | None) -> str:
    """Every run of white space (new lines and tabs too) as one space, none at either end: '' for nothing."""
    return " ".join((value or "").split())
