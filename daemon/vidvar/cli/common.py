"""Helpers the subcommands share: loading the config, output for people and scripts."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from vidvar.config import Config, find_config_path, load_config
from vidvar.log import setup_logging, under_journald
from vidvar.store import Job, JobStore
from vidvar.units import ago


def load(args: argparse.Namespace, *, require_folders: bool = True) -> Config:
    """The config the command uses, with logging set up and its warnings said."""
    config = load_config(find_config_path(args.config), require_folders=require_folders)
    setup_logging(args.log_level or config.logging.level, config.logging.format)
    prefix = "<4>" if under_journald() else ""  # journald's priority: warning
    for warning in config.warnings:
        print(f"{prefix}vidvar: warning: {warning}", file=sys.stderr)
    return config


def print_json(data: Any) -> None:
    """JSON for scripts on stdout."""
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def fail(message: str, *, as_json: bool = False, code: int = 1) -> int:
    """Say what went wrong on stderr (as JSON with --json); returns the exit code."""
    if as_json:
        json.dump({"error": message, "exit_code": code}, sys.stderr, ensure_ascii=False)
        sys.stderr.write("\n")
    else:
        print(f"vidvar: {message}", file=sys.stderr)
    return code


def age(ts: float | None) -> str:
    """`5s`, `3m`, `2h`, `4d` since `ts`."""
    return "-" if ts is None else ago(time.time() - ts)


def one_job(store: JobStore, job_ref: str, as_json: bool) -> Job | int:
    """The job `job_ref` names, or the exit code after saying why there is none."""
    matches = store.match_jobs(job_ref, limit=10)
    if not matches:
        return fail(f"no job matches {job_ref!r} (give the id or a unique prefix)", as_json=as_json)
    if len(matches) > 1:
        listed = ", ".join(j.id for j in matches)
        return fail(
            f"{job_ref!r} matches several jobs ({listed}); give more of the id", as_json=as_json
        )
    return matches[0]
