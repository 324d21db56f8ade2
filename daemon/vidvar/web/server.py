"""Serving the web app with uvicorn: `vidvar web`, or beside `vidvar run` (web.with_run)."""

from __future__ import annotations

import errno
import socket
import threading

import uvicorn

from vidvar.config import Config
from vidvar.errors import ConfigError, PortBusy
from vidvar.log import get_logger
from vidvar.store import JobStore
from vidvar.web.app import create_app
from vidvar.web.security import LOCAL_HOSTS


def listen_address(config: Config, host: str | None, port: int | None) -> tuple[str, int]:
    """Where to listen; ConfigError when that is beyond this machine without a password."""
    host = host or config.web.host
    port = port or config.web.port
    if host not in LOCAL_HOSTS and not config.web.password_hash:
        raise ConfigError(
            config.path,
            "web.password_hash",
            f"listening on {host} needs a password: set web.password_hash (vidvar web "
            "--hash-password prints one), or listen on 127.0.0.1 behind a reverse proxy",
        )
    return host, port


# Why a port cannot be had, in words, by errno.
_BIND_REFUSALS = {
    errno.EADDRINUSE: "is already in use by another program (another vidvar web?): stop it, or",
    errno.EACCES: "may not be used by this user (ports below 1024 need root):",
}


def bind(host: str, port: int) -> socket.socket:
    """The listening socket of the page; PortBusy in plain words when it is taken."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family, backlog=128)
    except OSError as exc:
        why = _BIND_REFUSALS.get(exc.errno or 0)
        if why is None:
            raise PortBusy(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}", str(exc)
            ) from None
        message = f"port {port} on {host} {why} choose another port with --port or web.port"
        raise PortBusy(message, str(exc)) from None


def make_server(config: Config, store: JobStore, host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for the app (its own signal handling only on the main thread)."""
    app = create_app(config, store, host=host)
    settings = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=True,  # behind a reverse proxy on this machine: its scheme and client
        forwarded_allow_ips="127.0.0.1",
        timeout_graceful_shutdown=3,
    )
    return uvicorn.Server(settings)


def serve(config: Config, store: JobStore, host: str, port: int) -> int:
    """`vidvar web` in the foreground until SIGTERM/SIGINT (PortBusy when it cannot listen)."""
    listening = bind(host, port)
    get_logger(component="web").info("web page", url=f"http://{host}:{port}/")
    make_server(config, store, host, port).run(sockets=[listening])
    return 0


class Background:
    """The web app on a thread of `vidvar run`."""

    def __init__(self, config: Config, store: JobStore) -> None:
        host, port = listen_address(config, None, None)
        self.socket = bind(host, port)  # a taken port stops `vidvar run` before it starts
        self.server = make_server(config, store, host, port)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, name="web", daemon=True
        )
        self.url = f"http://{host}:{port}/"

    def start(self) -> None:
        self.thread.start()
        get_logger(component="web").info("web page", url=self.url)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
