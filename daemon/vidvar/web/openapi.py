"""GET /api/openapi.json: the OpenAPI 3.1 document of the JSON API.

Each operation is declared here once, with the summary its handler's docstring gives;
a test checks that every /api route of the app is in it and nothing else, so the
document cannot drift from the routes.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from vidvar import __version__

_ERROR = {
    "description": "an error, in plain words",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_BINARY = {"description": "a file", "content": {"application/octet-stream": {}}}
_JOB_ID = {
    "name": "job_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9a-f]{12}$"},
}


def _json(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    body = schema or {"type": "object"}
    return {"description": description, "content": {"application/json": {"schema": body}}}


def _op(summary: str, ok: dict[str, Any], *errors: int, **extra: Any) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": ok}
    for status in errors:
        responses[str(status)] = _ERROR
    return {"summary": summary, "responses": responses, **extra}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _paths() -> dict[str, Any]:
    """Every operation of the API, by address."""
    return {**_job_paths(), **_output_paths(), **_action_paths(), **_other_paths()}


def _job_paths() -> dict[str, Any]:
    job = [_JOB_ID]
    return {
        "/api/jobs": {
            "get": _op(
                "Newest jobs first, with state, phase, progress, speed, time left and name.",
                _json("the overview", {"$ref": "#/components/schemas/Overview"}),
                400,
                parameters=[
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    {"name": "name", "in": "query", "schema": {"type": "string"}},
                ],
            )
        },
        "/api/jobs/{job_id}": {
            "get": _op(
                "The job's status document, as status.json.", _json("it"), 404, parameters=job
            )
        },
        "/api/jobs/{job_id}/zip": {
            "get": _op(
                "Outputs and manifest.csv as one ZIP: all, ?verdict=approved, or ?outputs=a,b.",
                {"description": "a ZIP", "content": {"application/zip": {}}},
                400,
                404,
                parameters=[
                    *job,
                    {
                        "name": "verdict",
                        "in": "query",
                        "schema": {"enum": ["approved", "rejected"]},
                    },
                    {"name": "outputs", "in": "query", "schema": {"type": "string"}},
                ],
            )
        },
    }


def _output_paths() -> dict[str, Any]:
    job = [_JOB_ID]
    binary = _BINARY
    return {
        "/api/jobs/{job_id}/manifest.csv": {
            "get": _op(
                "One row per output: file, variation, format, path, size, duration, effects, "
                "seed, verdict.",
                {"description": "CSV", "content": {"text/csv": {}}},
                404,
                parameters=job,
            )
        },
        "/api/jobs/{job_id}/source": {
            "get": _op(
                "A file's source where it is now (inbox or archive); byte ranges give 206.",
                binary,
                404,
                416,
                parameters=[*job, {"name": "file", "in": "query", "schema": {"type": "string"}}],
            )
        },
        "/api/jobs/{job_id}/thumb.jpg": {
            "get": _op(
                "A poster frame (JPEG) of one output, the first by default.",
                {"description": "a JPEG", "content": {"image/jpeg": {}}},
                404,
                parameters=[*job, {"name": "path", "in": "query", "schema": {"type": "string"}}],
            )
        },
        "/api/jobs/{job_id}/review": {
            "post": _op(
                "A person's verdict on one output (null clears it).",
                _json("the verdict kept"),
                400,
                404,
                parameters=job,
                requestBody=_body({"$ref": "#/components/schemas/Review"}),
            )
        },
        "/api/jobs/{job_id}/files/{path}": {
            "get": _op(
                "One output or the preview; byte ranges give 206.",
                binary,
                404,
                416,
                parameters=[
                    *job,
                    {"name": "path", "in": "path", "required": True, "schema": {"type": "string"}},
                ],
            )
        },
    }


def _action_paths() -> dict[str, Any]:
    job = [_JOB_ID]
    return {
        "/api/jobs/{job_id}/cancel": {
            "post": _op(
                "Cancel a queued job or stop a running one.",
                _json("its state"),
                404,
                409,
                parameters=job,
            )
        },
        "/api/jobs/{job_id}/retry": {
            "post": _op(
                "Failed files again, or a waiting job at once.",
                _json("how many"),
                404,
                409,
                parameters=job,
            )
        },
    }


def _other_paths() -> dict[str, Any]:
    return {
        "/api/uploads": {
            "post": {
                "summary": "Videos into an inbox (multipart: watch, variations, then files).",
                "requestBody": {"required": True, "content": {"multipart/form-data": {}}},
                "responses": {
                    "201": _json("where they were placed, and the upload's id"),
                    "400": _ERROR,
                    "413": _ERROR,
                    "507": _ERROR,
                },
            }
        },
        "/api/uploads/{upload_id}": {
            "get": _op(
                "The job made of that upload, once queued.",
                _json("its job id, or null while it settles"),
                404,
                parameters=[
                    {
                        "name": "upload_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
            )
        },
        "/api/events": {
            "get": _op(
                "Server-sent events: one `job` event per change of a job.",
                {"description": "an event stream", "content": {"text/event-stream": {}}},
            )
        },
        "/api/pause": {
            "get": _op("Whether new files wait, and why.", _json("the pause")),
            "post": _op(
                "Hold new files (for a while; `now` stops running encodes too).",
                _json("the pause"),
                400,
                requestBody=_body(
                    {
                        "type": "object",
                        "properties": {"for": {"type": "string"}, "now": {"type": "boolean"}},
                    }
                ),
            ),
        },
        "/api/resume": {"post": _op("End a pause.", _json("the pause"))},
        "/api/health": {
            "get": _op("Disk, queue, workers, version and the config in force.", _json("it"))
        },
        "/api/openapi.json": {"get": _op("This document.", _json("OpenAPI 3.1"))},
    }


def document() -> dict[str, Any]:
    """The OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "vidvar",
            "version": __version__,
            "description": "The JSON API behind vidvar's page. Off this machine, sign in "
            'or send `Authorization: Bearer TOKEN`. Every error is {"error": "…"}.',
        },
        "paths": _paths(),
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}},
                },
                "Overview": {
                    "type": "object",
                    "properties": {
                        "queue_depth": {"type": "integer"},
                        "jobs": {"type": "array", "items": {"type": "object"}},
                        "workers": {"type": "array", "items": {"type": "object"}},
                    },
                },
                "Review": {
                    "type": "object",
                    "required": ["file", "variation", "verdict"],
                    "properties": {
                        "file": {"type": "string"},
                        "variation": {"type": "integer"},
                        "verdict": {"enum": ["approved", "rejected", None]},
                    },
                },
            },
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
    }


def openapi(request: Request) -> JSONResponse:
    """GET /api/openapi.json."""
    return JSONResponse(document(), headers={"Cache-Control": "no-cache"})
