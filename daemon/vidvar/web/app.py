"""The web app: routes, and a guard in front of every request.

The guard lets a request through when the app is open (this machine only, no
password, and a Host header naming this machine, which also stops DNS rebinding),
or when it carries a valid session cookie or API token; pages then redirect to
the sign-in page and the API answers 401. Every POST must come from the page
itself (Origin / Sec-Fetch-Site), and a signed-in browser must send its CSRF
token. Every answer carries the security headers.
"""

from __future__ import annotations

import secrets
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from vidvar.config import Config
from vidvar.log import get_logger
from vidvar.store import JobStore
from vidvar.web import api, metrics, openapi, outputs, pages
from vidvar.web.security import (
    LOCAL_HOSTS,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    Sessions,
    same_origin,
    token_matches,
)
from vidvar.web.state import WebState

PUBLIC = ("/login", "/static/")


def _local_host(host_header: str | None) -> bool:
    """True when the Host header names this machine (`127.0.0.1:8765`, `[::1]:8765`)."""
    host = host_header or ""
    host = host[1:].split("]")[0] if host.startswith("[") else host.rsplit(":", 1)[0]
    return host in LOCAL_HOSTS


def _from_this_machine(request: Request) -> bool:
    """True when the request comes from a loopback address."""
    client = request.client
    return client is not None and (client.host == "::1" or client.host.startswith("127."))


class Guard:
    """Sign-in, CSRF and security headers around the app (a plain ASGI middleware)."""

    def __init__(self, app: ASGIApp, state: WebState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refusal = self._check(request)

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message["headers"] = headers
            await send(message)

        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _check(self, request: Request) -> Response | None:
        headers = Headers(scope=request.scope)
        path = request.url.path
        unsafe = request.method not in ("GET", "HEAD", "OPTIONS")
        if unsafe and not same_origin(
            headers.get("origin"), headers.get("sec-fetch-site"), headers.get("host")
        ):
            return JSONResponse({"error": "cross-origin requests are refused"}, status_code=403)
        request.scope["vidvar_session"] = None
        if self.state.open_access:
            if not _local_host(headers.get("host")):
                return JSONResponse({"error": "this page answers on this machine only"}, 421)
            return None
        if path.startswith(PUBLIC):
            return None
        if path == "/metrics" and _from_this_machine(request):
            return None  # a local Prometheus (or node exporter's neighbour) scrapes freely
        bearer = headers.get("authorization", "")
        if bearer.lower().startswith("bearer ") and token_matches(
            bearer[7:].strip(), self.state.config.web.api_tokens
        ):
            return None  # a script: no cookie, so no CSRF to fear
        session = self.state.sessions.read(request.cookies.get(SESSION_COOKIE))
        if session is None:
            if path.startswith("/api/") or path == "/metrics":  # scripts: no redirect
                return JSONResponse({"error": "sign in first (or send an API token)"}, 401)
            return RedirectResponse(f"/login?next={path}", status_code=303)
        request.scope["vidvar_session"] = session
        if unsafe and path != "/logout":
            sent = headers.get("x-csrf-token", "")
            if not secrets.compare_digest(sent, session.csrf):
                return JSONResponse({"error": "missing or wrong CSRF token"}, 403)
        return None


async def _http_error(request: Request, exc: Exception) -> Response:
    """404, 405 and the like: JSON under /api/, a page elsewhere; the status kept."""
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/") or exc.status_code != 404:
        words = {404: "no such address", 405: "this address does not take that method"}
        message = words.get(exc.status_code, str(exc.detail))
        return JSONResponse({"error": message}, status_code=exc.status_code)
    return pages.missing(request)


async def _crash(request: Request, exc: Exception) -> Response:
    """A bug: the log has the traceback, the client a JSON 500 (never a traceback)."""
    get_logger(component="web").error(
        "request failed", path=request.url.path, exc_info=(type(exc), exc, exc.__traceback__)
    )
    return JSONResponse({"error": "internal error (the log has the details)"}, status_code=500)


def _package_dir(name: str) -> Path:
    return Path(str(resources.files("vidvar.web").joinpath(name)))


def create_app(config: Config, store: JobStore, *, host: str) -> Starlette:
    """The app for `vidvar web` (or `vidvar run` with web.with_run)."""
    open_access = host in LOCAL_HOSTS and not config.web.password_hash
    state = WebState(config, store, Sessions(secrets.token_urlsafe(32)), open_access)
    routes = [
        Route("/", pages.queue),
        Route("/jobs/{job_id}", pages.job),
        Route("/upload", pages.upload),
        Route("/health", pages.health),
        Route("/api", pages.api_docs),
        Route("/login", pages.login, methods=["GET", "POST"]),
        Route("/logout", pages.logout, methods=["POST"]),
        Route("/api/jobs", api.jobs),
        Route("/api/jobs/{job_id}", api.job),
        Route("/api/jobs/{job_id}/zip", outputs.job_zip),
        Route("/api/jobs/{job_id}/manifest.csv", outputs.manifest),
        Route("/api/jobs/{job_id}/thumb.jpg", outputs.job_thumb),
        Route("/api/jobs/{job_id}/source", outputs.job_source),
        Route("/api/jobs/{job_id}/review", outputs.review, methods=["POST"]),
        Route("/api/jobs/{job_id}/files/{path:path}", outputs.job_file),
        Route("/api/jobs/{job_id}/cancel", api.cancel, methods=["POST"]),
        Route("/api/jobs/{job_id}/retry", api.retry, methods=["POST"]),
        Route("/api/uploads", api.upload, methods=["POST"]),
        Route("/api/uploads/{upload_id}", api.upload_state),
        Route("/api/events", api.events),
        Route("/api/pause", api.pause_state),
        Route("/api/pause", api.pause, methods=["POST"]),
        Route("/api/resume", api.resume, methods=["POST"]),
        Route("/api/health", api.health),
        Route("/api/openapi.json", openapi.openapi),
        Route("/metrics", metrics.metrics),
        Mount("/static", app=StaticFiles(directory=_package_dir("static")), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, Exception: _crash},
    )
    app.state.vidvar = state
    app.add_middleware(Guard, state=state)
    return app
