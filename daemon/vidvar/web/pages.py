"""The HTML pages: server-rendered (Jinja2), kept live by a little JavaScript."""

from __future__ import annotations

import asyncio
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from vidvar import __version__
from vidvar.web.security import SESSION_COOKIE, SESSION_SECONDS, check_password
from vidvar.web.state import WebState
from vidvar.web.views import job_view, queue_view

TEMPLATES = Jinja2Templates(directory=str(Path(str(resources.files("vidvar.web"))) / "templates"))


def _state(request: Request) -> WebState:
    state: WebState = request.app.state.vidvar
    return state


def _render(request: Request, template: str, **context: Any) -> Response:
    state = _state(request)
    session = request.scope.get("vidvar_session")
    context.update(
        version=__version__,
        csrf=session.csrf if session else "",
        signed_in=session is not None,
        watches=[w.name for w in state.config.watches],
    )
    return TEMPLATES.TemplateResponse(request, template, context)


def queue(request: Request) -> Response:
    """The queue: what runs now, and the history with search, filters and pages."""
    view = queue_view(_state(request), dict(request.query_params))
    return _render(request, "queue.html", page="queue", **view)


def job(request: Request) -> Response:
    """One job: its variations to watch, compare, review and download."""
    state = _state(request)
    job_id = request.path_params["job_id"]
    found = state.store.get_job(job_id) if len(job_id) == 12 else None
    if found is None:
        return missing(request)
    return _render(request, "job.html", page="job", **job_view(state, found))


def api_docs(request: Request) -> Response:
    """The API, read from its OpenAPI document (linked from every page's footer)."""
    from vidvar.web.openapi import document

    return _render(request, "api.html", page="api", **document())


def missing(request: Request) -> Response:
    """The page for a job or address that is not there, with HTTP 404."""
    response = _render(request, "missing.html", page="queue")
    response.status_code = 404
    return response


def upload(request: Request) -> Response:
    state = _state(request)
    return _render(
        request,
        "upload.html",
        page="upload",
        max_mb=state.config.web.max_upload_mb,
        default_variations=state.config.watches[0].variations,
        default_formats=", ".join(f.aspect for f in state.config.watches[0].formats),
        format_choices=FORMAT_CHOICES,
    )


# What the upload form offers: each aspect and where it is used.
FORMAT_CHOICES = (
    ("source", "the source's shape"),
    ("9:16", "9:16 Reels, TikTok, Shorts"),
    ("1:1", "1:1 feed"),
    ("4:5", "4:5 feed"),
    ("16:9", "16:9 landscape"),
)


def health(request: Request) -> Response:
    return _render(request, "health.html", page="health")


async def login(request: Request) -> Response:
    state = _state(request)
    target = request.query_params.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"  # only this site: no open redirect
    if state.open_access:
        return RedirectResponse(target, status_code=303)
    if request.method == "GET":
        return _render(request, "login.html", page="login", failed=False, next=target)
    form = await request.form()
    password = str(form.get("password", ""))
    stored = state.config.web.password_hash or ""
    if not stored or not check_password(password, stored):
        await asyncio.sleep(1.0)  # slow down guessing
        return _render(request, "login.html", page="login", failed=True, next=target)
    cookie, _session = state.sessions.issue()
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
