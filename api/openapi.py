"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json. A test validates it and checks that every
route of the API is in it, so a new endpoint cannot be left out."""

from __future__ import annotations

from functools import cache

from shared.attendance_codes import AbsenceReason, MarkKind

VERSION = "1.0.0"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _error_response(description: str, schema: str = "Error") -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _json(description: str, schema: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


COMMON_ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorised"},
    "429": {"$ref": "#/components/responses/TooManyRequests"},
    "500": {"$ref": "#/components/responses/ServerError"},
}

DATE = {"type": "string", "format": "date", "examples": ["2026-11-30"]}
SESSION = {"type": "string", "enum": ["AM", "PM"]}
NULLABLE_TEXT = {"type": ["string", "null"]}

SCHEMAS = {
    "Pupil": {
        "type": "object",
        "description": "All the API gives of a pupil: the name people use and the year group.",
        "required": ["name", "year_group"],
        "properties": {"name": {"type": "string"}, "year_group": NULLABLE_TEXT},
        "additionalProperties": False,
    },
    "School": {
        "type": "object",
        "description": "The school that placed the pupil: each mark goes to it only. A provider working with several "
        "schools has pupils from each in the same lists.",
        "required": ["id", "name"],
        "properties": {"id": {"type": "string", "format": "uuid"}, "name": {"type": "string"}},
        "additionalProperties": False,
    },
    "RecordedMark": {
        "type": "object",
        "required": ["mark", "code", "submitted_late", "recorded_at", "source"],
        "properties": {
            "mark": {"type": "string", "enum": [k.value for k in MarkKind]},
            "late_minutes": {"type": ["integer", "null"]},
            "reason": {"type": ["string", "null"], "enum": [r.value for r in AbsenceReason] + [None]},
            "reason_text": NULLABLE_TEXT,
            "code": {"type": "string", "description": "The statutory code in the school's register, e.g. B, I, N."},
            "submitted_late": {"type": "boolean", "description": "First recorded after the session's deadline."},
            "recorded_at": {"type": "string", "format": "date-time"},
            "amended_at": {"type": ["string", "null"], "format": "date-time"},
            "source": {"type": "string", "enum": ["web", "grid", "csv", "api"]},
        },
    },
    "ExpectedSession": {
        "type": "object",
        "required": ["placement_id", "pupil", "school", "date", "session", "deadline", "mark"],
        "properties": {
            "placement_id": {"type": "string", "format": "uuid"},
            "pupil": _ref("Pupil"),
            "school": _ref("School"),
            "date": DATE,
            "session": SESSION,
            "deadline": {
                "type": "string",
                "format": "date-time",
                "description": "When the mark is due, in the school's time zone. A later mark is recorded as late.",
            },
            "mark": {"oneOf": [{"type": "null"}, _ref("RecordedMark")]},
        },
    },
    "SessionList": {
        "type": "object",
        "required": ["date", "sessions"],
        "properties": {"date": DATE, "sessions": {"type": "array", "items": _ref("ExpectedSession")}},
    },
    "MarkInput": {
        "type": "object",
        "required": ["placement_id", "date", "session", "mark"],
        "properties": {
            "placement_id": {"type": "string", "format": "uuid"},
            "date": DATE,
            "session": SESSION,
            "mark": {"type": "string", "enum": [k.value for k in MarkKind]},
            "late_minutes": {
                "type": ["integer", "null"],
                "minimum": 1,
                "maximum": 240,
                "description": "Only for a late mark, and needed for one.",
            },
            "reason": {
                "type": ["string", "null"],
                "enum": [r.value for r in AbsenceReason] + [None],
                "description": "Only for an absence, and needed for one.",
            },
            "reason_text": {
                "type": ["string", "null"],
                "maxLength": 500,
                "description": "The reason in your words, needed when reason is 'other'.",
            },
            "amendment_reason": {
                "type": ["string", "null"],
                "maxLength": 500,
                "description": "Needed to change a session that already has a different mark.",
            },
        },
    },
    "MarksRequest": {
        "type": "object",
        "required": ["marks"],
        "properties": {"marks": {"type": "array", "minItems": 1, "maxItems": 500, "items": _ref("MarkInput")}},
    },
    "MarkResult": {
        "type": "object",
        "required": ["index", "placement_id", "date", "session", "status", "code", "submitted_late"],
        "properties": {
            "index": {"type": "integer", "description": "The item's position in the request, from 0."},
            "placement_id": {"type": "string", "format": "uuid"},
            "date": DATE,
            "session": SESSION,
            "status": {
                "type": "string",
                "enum": ["created", "unchanged", "amended"],
                "description": "'unchanged' when the session already had exactly this mark: posting twice is safe.",
            },
            "code": {"type": "string"},
            "submitted_late": {"type": "boolean"},
        },
    },
    "MarksResponse": {
        "type": "object",
        "required": ["results"],
        "properties": {"results": {"type": "array", "items": _ref("MarkResult")}},
    },
    "MarkList": {
        "type": "object",
        "required": ["from", "to", "marks"],
        "properties": {
            "from": DATE,
            "to": DATE,
            "marks": {
                "type": "array",
                "items": {
                    "allOf": [
                        {
                            "type": "object",
                            "required": ["placement_id", "pupil", "school", "date", "session"],
                            "properties": {
                                "placement_id": {"type": "string", "format": "uuid"},
                                "pupil": _ref("Pupil"),
                                "school": _ref("School"),
                                "date": DATE,
                                "session": SESSION,
                            },
                        },
                        _ref("RecordedMark"),
                    ]
                },
            },
        },
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "examples": ["unauthorised", "not_found", "too_many_requests"]},
                    "message": {"type": "string", "description": "What went wrong, in plain English."},
                },
            }
        },
    },
    "ItemErrors": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "errors"],
                "properties": {
                    "code": {"type": "string", "const": "invalid"},
                    "message": {"type": "string"},
                    "errors": {
                        "type": "array",
                        "description": "Every problem found, in item order. An item with several problems appears "
                        "once for each (one entry per field), so a sender can correct them all before trying again.",
                        "items": {
                            "type": "object",
                            "required": ["index", "field", "message"],
                            "properties": {
                                "index": {
                                    "type": ["integer", "null"],
                                    "description": "The item's position, or null for the request as a whole.",
                                },
                                "field": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        },
                    },
                },
            }
        },
    },
    "Conflicts": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "conflicts"],
                "properties": {
                    "code": {"type": "string", "const": "conflict"},
                    "message": {"type": "string"},
                    "conflicts": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["index", "placement_id", "date", "session", "message", "existing"],
                            "properties": {
                                "index": {"type": "integer"},
                                "placement_id": {"type": "string", "format": "uuid"},
                                "date": DATE,
                                "session": SESSION,
                                "message": {"type": "string"},
                                "existing": _ref("RecordedMark"),
                            },
                        },
                    },
                },
            }
        },
    },
}

PATHS = {
    "/sessions": {
        "get": {
            "operationId": "listExpectedSessions",
            "summary": "The sessions your placed pupils are expected on a day, with any marks already recorded",
            "parameters": [
                {
                    "name": "date",
                    "in": "query",
                    "required": False,
                    "schema": DATE,
                    "description": "The day (default: today, in the school's time zone).",
                }
            ],
            "responses": {
                "200": _json("The expected sessions", "SessionList"),
                "422": _error_response("The date is not a date", "ItemErrors"),
                **COMMON_ERRORS,
            },
        }
    },
    "/marks": {
        "get": {
            "operationId": "listMarks",
            "summary": "Your marks for a range of days (at most 31)",
            "parameters": [
                {"name": "from", "in": "query", "required": False, "schema": DATE, "description": "Default: today."},
                {"name": "to", "in": "query", "required": False, "schema": DATE, "description": "Default: 'from'."},
            ],
            "responses": {
                "200": _json("The marks", "MarkList"),
                "422": _error_response("The dates are not right", "ItemErrors"),
                **COMMON_ERRORS,
            },
        },
        "post": {
            "operationId": "postMarks",
            "summary": "Record up to 500 marks, all or nothing",
            "description": (
                "Each session has one mark. Sending the same mark again changes nothing (status 'unchanged'). "
                "A different mark for a session that already has one needs an amendment_reason, otherwise the "
                "answer is 409. If any item is invalid the answer is 422 with every problem, and nothing is saved. "
                "If another request marks the same sessions at the same moment the batch is tried once more; should "
                "that clash too, the answer is 409 naming each session taken, and nothing is saved. "
                "Past school days are accepted; a mark sent after the session's deadline is recorded as late."
            ),
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("MarksRequest")}}},
            "responses": {
                "200": _json("Every mark was recorded (or already was)", "MarksResponse"),
                "409": _error_response(
                    "A session already has a different mark, or another request was marking it; nothing was saved",
                    "Conflicts",
                ),
                "413": _error_response("The request body is larger than 1 MB"),
                "422": _error_response("Some items are invalid; nothing was saved", "ItemErrors"),
                **COMMON_ERRORS,
            },
        },
    },
    "/openapi.json": {
        "get": {
            "operationId": "openApiDocument",
            "summary": "This document",
            "security": [],
            "responses": {"200": {"description": "The OpenAPI document", "content": {"application/json": {}}}},
        }
    },
}


@cache
def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "AP Portal attendance API",
            "version": VERSION,
            "description": (
                "For providers with their own systems: read the sessions your placed pupils are expected and send "
                "their AM/PM attendance marks. Your provider manager creates a token on the portal's API tokens "
                "page; send it as 'Authorization: Bearer <token>'. Each token may make 600 requests a minute."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerToken": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token from the portal, starting 'app_'.",
                }
            },
            "responses": {
                "Unauthorised": _error_response("The token is missing, not recognised, revoked, or not approved"),
                "TooManyRequests": {
                    **_error_response("Too many requests with this token"),
                    "headers": {
                        "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."},
                    },
                },
                "ServerError": _error_response("Something went wrong on our side; nothing was saved"),
            },
            "schemas": SCHEMAS,
        },
    }
