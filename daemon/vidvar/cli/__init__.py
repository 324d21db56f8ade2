"""The `vidvar` command line: parsing and subcommands, no business logic."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import yaml

from vidvar import __version__
from vidvar.config import (
    EX_CONFIG,
    Config,
    ConfigError,
    config_as_dict,
    find_config_path,
    load_config,
)
from vidvar.log import setup_logging

EPILOG = """\
config file: -c/--config, else $VIDVAR_CONFIG, else /etc/vidvar/vidvar.yaml, else
./config/vidvar.yaml. Exit codes: 0 ok, 1 failure, 2 usage, 78 configuration error.
"""


def _config(args: argparse.Namespace) -> Config:
    config = load_config(find_config_path(args.config))
    setup_logging(args.log_level or config.logging.level, config.logging.format)
    for warning in config.warnings:
        print(f"vidvar: warning: {warning}", file=sys.stderr)
    return config


def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate and print the resolved config."""
    config = _config(args)
    sys.stdout.write(yaml.safe_dump(config_as_dict(config), sort_keys=False, allow_unicode=True))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """The daemon: watchers and one worker."""
    from vidvar.supervisor import Supervisor

    return Supervisor(_config(args), watch=True).run()


def cmd_worker(args: argparse.Namespace) -> int:
    """A worker only."""
    from vidvar.supervisor import Supervisor

    return Supervisor(_config(args), watch=False).run()


def cmd_status(args: argparse.Namespace) -> int:
    """Jobs with state and progress."""
    if args.follow:
        from vidvar.cli import follow

        return follow.follow(_config(args), as_json=args.json, limit=args.limit)
    from vidvar.cli import status as cli_status

    return cli_status.show(_config(args), args.job, as_json=args.json, limit=args.limit)


def cmd_enqueue(args: argparse.Namespace) -> int:
    """Queue files or folders by hand."""
    from vidvar.cli import actions as cli_actions

    return cli_actions.enqueue(
        _config(args),
        args.paths,
        variations=args.variations,
        watch_name=args.watch,
        sample=args.sample,
    )


def cmd_retry(args: argparse.Namespace) -> int:
    """Re-queue the failed files of a job."""
    from vidvar.cli import actions as cli_actions

    return cli_actions.retry(_config(args), args.job)


def cmd_cancel(args: argparse.Namespace) -> int:
    """Stop a job."""
    from vidvar.cli import actions as cli_actions

    return cli_actions.cancel(_config(args), args.job)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-c", "--config", metavar="FILE", help="config file (see below)")
    common.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        help="override logging.level of the config",
    )
    parser = argparse.ArgumentParser(
        prog="vidvar",
        description="Turn videos dropped into hot folders into unique variations.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"vidvar {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Any, help_text: str, description: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            parents=[common],
            help=help_text,
            description=description,
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=func)
        return p

    add(
        "run",
        cmd_run,
        "the daemon: watchers + one worker, until SIGTERM/SIGINT",
        "Watch every hot folder and process jobs, in the foreground, until SIGTERM or "
        "SIGINT (Ctrl-C). The running encode is stopped and its file re-queued; a second "
        "signal stops at once. Exit 0 after a clean stop.",
    )
    add(
        "worker",
        cmd_worker,
        "a worker only (more processes or machines)",
        "Process queued jobs without watching folders: add one per extra process, or per "
        "machine sharing a PostgreSQL database and the same share paths.",
    )
    p = add(
        "status",
        cmd_status,
        "jobs with state and progress",
        "Show recent jobs (state, progress, files, name, age) and the workers' health; "
        "with JOB (an id or a unique prefix), that job's files and outputs.",
    )
    p.add_argument("job", nargs="?", metavar="JOB", help="job id or unique prefix")
    p.add_argument("--json", action="store_true", help="machine-readable output for scripts")
    p.add_argument("--limit", type=int, default=20, help="how many recent jobs (default 20)")
    p.add_argument(
        "--follow",
        "-f",
        action="store_true",
        help="live view until Ctrl-C; with --json one object per change, one per line",
    )
    p = add(
        "enqueue",
        cmd_enqueue,
        "queue files or folders by hand",
        "Queue videos without dropping them into an inbox. A file is a job of one file, "
        "a folder one batch job of every video under it. Sources queued by hand stay "
        "where they are: never moved or deleted.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="video files or folders")
    p.add_argument(
        "--variations", type=int, metavar="N", help="outputs per video (default: the hot folder's)"
    )
    p.add_argument(
        "--watch",
        metavar="NAME",
        help="hot folder whose output and settings to use (default: the first)",
    )
    p.add_argument(
        "--sample",
        action="store_true",
        help="generate a short test clip into the hot folder's inbox, to see it work",
    )
    p = add(
        "retry",
        cmd_retry,
        "re-queue the failed files of a job",
        "Put the failed (and cancelled) files of a finished job back in the queue; "
        "sources moved to failed_dir are read from there.",
    )
    p.add_argument("job", metavar="JOB", help="job id or unique prefix")
    p = add(
        "cancel",
        cmd_cancel,
        "stop a job",
        "Cancel a queued job, or stop a running one: its ffmpeg is killed and partial "
        "outputs removed. Sources stay where they are.",
    )
    p.add_argument("job", metavar="JOB", help="job id or unique prefix")
    add(
        "check-config",
        cmd_check_config,
        "validate and print the resolved config",
        "Validate the config and print it with defaults filled in and paths resolved; "
        "exit 0, or 78 with the file, the key path and the problem.",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `vidvar` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"vidvar: configuration error: {exc}", file=sys.stderr)
        return EX_CONFIG
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from vidvar.errors import VidvarError

        if isinstance(exc, VidvarError | OSError):
            print(f"vidvar: {exc}", file=sys.stderr)
            return 1
        raise
