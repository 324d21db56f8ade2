"""`vidvar check-config`, `init`, `health` and `completion`: the admin's commands."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import re
import sys
from importlib import resources
from pathlib import Path

import yaml

from vidvar.cli.common import fail, print_json
from vidvar.config import Config, config_as_dict, load_config
from vidvar.config.jsonschema import SCHEMA_FILE, settings_schema
from vidvar.config.locate import lookup_finds
from vidvar.config.topology import folders_in_use
from vidvar.errors import ConfigError, StoreUnavailable
from vidvar.ffmpeg.tools import check_tools
from vidvar.store import open_store

EXAMPLE = "vidvar.yaml"
_SHARE_PATHS = re.compile(r"(?m)^(\s*(?:inbox|output|archive_dir|failed_dir):\s*)share/")


def check_config(config: Config, *, quiet: bool, as_json: bool) -> int:
    """Validate the config and ffmpeg; print the config in force (loadable as a config)."""
    tools = check_tools()
    if quiet:
        return 0
    data = config_as_dict(config)
    if as_json:
        print_json({"config": str(config.path), "ffmpeg": tools.ffmpeg_version, **data})
        return 0
    sys.stdout.write(f"# {config.path}\n# {tools.ffmpeg_version}\n# {tools.ffprobe_version}\n")
    sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return 0


def example_config() -> str:
    """The documented example config shipped with vidvar."""
    return resources.files("vidvar").joinpath("data", EXAMPLE).read_text(encoding="utf-8")


def init(dir_: str | None, *, config: str | None, share: str | None, force: bool) -> int:
    """Write the example config (unless one is there) and create every folder it names."""
    target = Path(dir_) / EXAMPLE if dir_ else Path(config) if config else Path(EXAMPLE)
    target = target.absolute()
    if target.exists() and not force:
        print(f"kept the existing {target} (--force writes the example over it)")
    else:
        text = example_config()
        if share:
            where = Path(share).absolute()
            with contextlib.suppress(ValueError):  # outside the config's folder: absolute
                where = where.relative_to(target.parent)
            text = _SHARE_PATHS.sub(lambda m: f"{m.group(1)}{where.as_posix()}/", text)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    try:
        loaded = load_config(target, require_folders=False)
    except ConfigError as exc:
        return fail(f"configuration error: {exc}", code=78)
    missing = 0
    for label, folder in _folders(loaded):
        missing += not _create(label, folder)
    if missing:
        print(f"{missing} folder(s) could not be created: create them, then `vidvar run`")
        return 1
    _write_schema(target.parent)
    if lookup_finds(target):
        print("ready: vidvar run")
    else:
        print(f"ready: vidvar run -c {target}")
        print(f"  (or once: export VIDVAR_CONFIG={target}; then plain `vidvar run`)")
    return 0


def _write_schema(folder: Path) -> None:
    """The JSON Schema beside the config, which its first line points editors to."""
    path = folder / SCHEMA_FILE
    with contextlib.suppress(OSError):  # a read-only folder: editors just do without
        path.write_text(json.dumps(settings_schema(), indent=2) + "\n", encoding="utf-8")


def config_schema() -> int:
    """Print the JSON Schema of vidvar.yaml."""
    print_json(settings_schema())
    return 0


def _folders(config: Config) -> list[tuple[str, Path]]:
    folders = [
        (f"{key.replace('_dir', '')} of {w.name}", folder)
        for w in config.watches
        for key, folder in folders_in_use(w)
    ]
    if "://" not in config.database:
        folders.append(("database folder", Path(config.database).parent))
    return folders


def _create(label: str, folder: Path) -> bool:
    if folder.is_dir():
        print(f"  exists   {folder}  ({label})")
        return True
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        reason = "permission denied" if exc.errno in (errno.EACCES, errno.EPERM) else exc.strerror
        print(f"  MISSING  {folder}  ({label}): cannot create it: {reason}")
        return False
    print(f"  created  {folder}  ({label})")
    return True


def health(config: Config, *, as_json: bool) -> int:
    """0 when a daemon on this machine beats and its worker and watchers live, else 1;
    the reason in plain words either way."""
    from vidvar.machine import hostname

    try:
        store = open_store(config.database, readonly=True)
    except StoreUnavailable as exc:
        return _health(False, f"vidvar cannot be checked: {exc.message}", as_json)
    try:
        workers = [w for w in store.workers() if w.host == hostname()]
    finally:
        store.close()
    if not workers:
        return _health(
            False,
            f"vidvar is not running on this machine ({hostname()}): no daemon has checked in "
            "with the database in its config",
            as_json,
        )
    problems = []
    for w in workers:
        beat = w.beat_age()
        if not w.alive(config.worker.lease_seconds):
            problems.append(f"vidvar (pid {w.pid}) has not checked in for {beat:.0f} s")
        elif w.info.get("worker_alive") is False:
            problems.append(f"vidvar (pid {w.pid}) runs, but its worker stopped")
        elif w.info.get("role") == "run" and w.info.get("watchers_alive") is False:
            problems.append(f"vidvar (pid {w.pid}) runs, but it stopped watching the inboxes")
        else:
            limits = f"; it may use {w.info['limits']}" if w.info.get("limits") else ""
            return _health(
                True,
                f"vidvar is running (pid {w.pid}, checked in {beat:.0f} s ago){limits}",
                as_json,
            )
    return _health(False, "; ".join(problems), as_json)


def _health(ok: bool, reason: str, as_json: bool) -> int:
    if as_json:
        print_json({"healthy": ok, "reason": reason})
    else:
        print(("healthy: " if ok else "unhealthy: ") + reason)
    return 0 if ok else 1


def completion(parser: argparse.ArgumentParser, shell: str) -> int:
    """Print a completion script (generated by shtab from the parser itself)."""
    import shtab

    sys.stdout.write(shtab.complete(parser, shell=shell))
    return 0


def web(config: Config, *, host: str | None, port: int | None) -> int:
    """Serve the dashboard and API until SIGTERM/SIGINT."""
    from vidvar.web.server import listen_address, serve

    where, number = listen_address(config, host, port)
    store = open_store(config.database)
    try:
        return serve(config, store, where, number)
    finally:
        store.close()


def web_secrets(*, hash_password: bool) -> int:
    """Print a password's hash (read from the terminal or stdin), or a new API token."""
    import getpass

    from vidvar.web.security import hash_password as make_hash
    from vidvar.web.security import new_token

    if not hash_password:
        token, digest = new_token()
        print(f"token (give it to the script, as 'Authorization: Bearer <token>'): {token}")
        print(f"its hash (add it to web.api_tokens): {digest}")
        return 0
    if sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            return fail("the two passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        return fail("use a password of at least 8 characters")
    print(make_hash(password))
    return 0
