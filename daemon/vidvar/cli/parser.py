"""The command line's shape: every subcommand with its help, examples and arguments, and
the options every subcommand takes (before or after it)."""

from __future__ import annotations

import argparse
from typing import Any

from vidvar import __version__
from vidvar.cli.commands import (
    cmd_cancel,
    cmd_check_config,
    cmd_config,
    cmd_enqueue,
    cmd_health,
    cmd_init,
    cmd_pause,
    cmd_resume,
    cmd_retry,
    cmd_run,
    cmd_status,
    cmd_web,
    cmd_worker,
)

# What shell completion offers for JOB: recent job ids, asked of vidvar itself
# (shtab turns this into each shell's own form).
JOB_IDS = {
    "bash": "_vidvar_job_ids",
    "zsh": "($(vidvar status --ids 2>/dev/null))",
    "fish": "(vidvar status --ids 2>/dev/null)",
    "tcsh": "`vidvar status --ids`",
    "preamble": {
        "bash": "_vidvar_job_ids() {\n"
        '  compgen -W "$(vidvar status --ids 2>/dev/null)" -- "$1"\n'
        "}\n"
    },
}

EPILOG = """\
The config file is -c/--config, else $VIDVAR_CONFIG, else ./vidvar.yaml, else
~/.config/vidvar/vidvar.yaml (not for root), else /etc/vidvar/vidvar.yaml.
Exit codes: 0 ok, 1 failure, 2 usage, 69 the web port is taken, 78 configuration
error (or a daemon already running on the same store).
"""


def cmd_completion(args: argparse.Namespace) -> int:
    """`vidvar completion SHELL`: here, beside the parser it describes."""
    from vidvar.cli import admin

    return admin.completion(build_parser(), args.shell)


COMMANDS: list[tuple[str, Any, str, str, str]] = [
    (
        "run",
        cmd_run,
        "the daemon: watchers + workers, until SIGTERM/SIGINT",
        "Watch every hot folder and process jobs, in the foreground, until SIGTERM or\n"
        "SIGINT (Ctrl-C); worker.concurrency files are encoded at once. Running\n"
        "encodes are stopped and their files re-queued; a second signal stops at\n"
        "once. Exit 0 after a clean stop.",
        "  vidvar run -c /etc/vidvar/vidvar.yaml",
    ),
    (
        "worker",
        cmd_worker,
        "workers only (more machines)",
        "Process queued jobs without watching folders (worker.concurrency files at\n"
        "once): on machines sharing a PostgreSQL database and the same share paths.",
        "  vidvar worker -c /etc/vidvar/vidvar.yaml",
    ),
    (
        "status",
        cmd_status,
        "jobs with state and progress; --follow for a live view",
        "Workers' health, files settling in the inboxes, and recent jobs (state,\n"
        "phase, progress, name, age); with JOB (an id or a unique prefix) that job's\n"
        "files, speed, time left and outputs. Never creates the database.",
        "  vidvar status\n  vidvar status 3f9a --json\n  vidvar status --follow --json | jq .",
    ),
    (
        "enqueue",
        cmd_enqueue,
        "queue files or folders by hand",
        "Queue videos without dropping them into an inbox: a file is a job of one\n"
        "file, a folder one batch job of every video under it. Sources queued by\n"
        "hand stay where they are, never moved or deleted.",
        "  vidvar enqueue ~/clips/ad.mp4 --variations 10\n"
        "  vidvar enqueue ~/clips/ad.mp4 --formats source,9:16,1:1,4:5\n"
        "  vidvar enqueue ~/clips/campaign/ --watch social\n"
        "  vidvar enqueue --sample          # a generated test clip into the inbox",
    ),
    (
        "retry",
        cmd_retry,
        "re-queue the failed files of a job, or wake a waiting one",
        "Put the failed (and cancelled) files of a finished job back in the queue,\n"
        "reading sources moved to failed_dir from there; a job waiting on an\n"
        "environmental cause (a folder not writable, a full disk) is tried at once.",
        "  vidvar retry 3f9a",
    ),
    (
        "cancel",
        cmd_cancel,
        "stop a job",
        "Cancel a queued job, or stop a running one: its ffmpeg is killed and\n"
        "partial outputs removed. Sources stay where they are.",
        "  vidvar cancel 3f9a",
    ),
    (
        "pause",
        cmd_pause,
        "hold new files (running encodes finish; --now stops them)",
        "Hold new files on every daemon sharing the store, until `vidvar resume` or for\n"
        "a while (--for). Running encodes finish first; with --now they stop and their\n"
        "files go back to the queue, no attempt counted. The page has the same buttons.",
        "  vidvar pause --for 2h\n  vidvar pause --now\n  vidvar resume",
    ),
    (
        "resume",
        cmd_resume,
        "end a pause",
        "End a pause: queued files start again (inside the schedule, if one is set).",
        "  vidvar resume",
    ),
    (
        "check-config",
        cmd_check_config,
        "validate and print the resolved config",
        "Validate the config and ffmpeg, and print the config with defaults filled\n"
        "in and paths resolved (passwords as ***); exit 0, or 78 with the file, the\n"
        "key path and the problem. The output loads as a config.",
        "  vidvar check-config -c /etc/vidvar/vidvar.yaml\n"
        "  vidvar check-config --quiet && systemctl reload vidvar",
    ),
    (
        "config",
        cmd_config,
        "print the config file's JSON Schema",
        "Print the JSON Schema of vidvar.yaml, generated from the settings themselves,\n"
        "for editors (the YAML language server) and for checks in CI. `vidvar init`\n"
        "writes it beside the config as vidvar.schema.json.",
        "  vidvar config schema > vidvar.schema.json",
    ),
    (
        "init",
        cmd_init,
        "write the example config and create its folders",
        "Write the documented example config (DIR/vidvar.yaml, or -c FILE) unless\n"
        "one is there already, then create every folder it names: inbox, output,\n"
        "archive, failed and the database's. Says which it could not create.",
        "  vidvar init ~/vidvar                       # ~/vidvar/vidvar.yaml, ~/vidvar/share/...\n"
        "  vidvar init /config --share /data         # the folders on another disk\n"
        "  sudo vidvar -c /etc/vidvar/vidvar.yaml init  # folders of an existing config",
    ),
    (
        "health",
        cmd_health,
        "exit 0 when the daemon is alive, else 1 (for monitors)",
        "Exit 0 when a daemon on this machine has a fresh heartbeat and its worker\n"
        "and watchers are alive, else 1 with the reason. For monitoring and\n"
        "container health checks; never creates the database.",
        "  vidvar health && echo ok",
    ),
    (
        "web",
        cmd_web,
        "the web dashboard and JSON API",
        "Serve the dashboard (queue, jobs, upload, health) and its JSON API, by\n"
        "default on 127.0.0.1:8765. Another address needs web.password_hash; for\n"
        "TLS put it behind a reverse proxy (docs: Using it, The web page).",
        "  vidvar web                          # http://127.0.0.1:8765/\n"
        "  vidvar web --hash-password          # for web.password_hash\n"
        "  vidvar web --new-token              # a token for scripts, and its hash",
    ),
    (
        "completion",
        cmd_completion,
        "print a shell completion script",
        "Print the completion script for bash, zsh, fish or tcsh: subcommands, options,\n"
        "and the ids of recent jobs where a JOB is asked for.",
        "  vidvar completion bash | sudo tee /etc/bash_completion.d/vidvar\n"
        "  vidvar completion zsh > ~/.zfunc/_vidvar\n"
        "  vidvar completion fish > ~/.config/fish/completions/vidvar.fish",
    ),
]


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # On subcommands the defaults are SUPPRESS, so that an option given before the
    # subcommand is not overwritten by the subcommand's default.
    default: Any = None if top else argparse.SUPPRESS
    parser.add_argument(
        "-c", "--config", metavar="FILE", default=default, help="the config file (see below)"
    )
    parser.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default=default,
        help="override logging.level of the config",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="machine-readable output (and errors) for scripts",
    )


def _enqueue_arguments(p: argparse.ArgumentParser) -> None:
    """`vidvar enqueue`'s own arguments."""
    p.add_argument("paths", nargs="*", metavar="PATH", help="video files or folders")
    p.add_argument(
        "--variations", type=int, metavar="N", help="outputs per video (default: the hot folder's)"
    )
    p.add_argument(
        "--formats",
        metavar="LIST",
        help="shapes, comma-separated: source, 9:16, 1:1, 4:5, 16:9 (default: the hot folder's)",
    )
    p.add_argument(
        "--watch", metavar="NAME", help="hot folder whose settings to use (default: the first)"
    )
    p.add_argument(
        "--sample", action="store_true", help="generate a short test clip into the inbox"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="queue again even what was done before (new variations)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="vidvar",
        description="Turn videos dropped into hot folders into unique variations.",
        epilog=EPILOG
        + "\nStart with: vidvar init, then vidvar run. `vidvar COMMAND --help` says more.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"vidvar {__version__}")
    _common(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers = {}
    for name, func, help_text, description, examples in COMMANDS:
        p = sub.add_parser(
            name,
            help=help_text,
            description=description,
            epilog=f"examples:\n{examples}\n\n{EPILOG}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _common(p, top=False)
        p.set_defaults(func=func)
        subparsers[name] = p
    _arguments(subparsers)
    return parser


def _arguments(subparsers: dict[str, argparse.ArgumentParser]) -> None:
    """Each subcommand's own arguments."""
    p = subparsers["status"]
    job = p.add_argument("job", nargs="?", metavar="JOB", help="job id or unique prefix")
    job.complete = JOB_IDS  # type: ignore[attr-defined]
    p.add_argument("--limit", type=int, default=20, help="how many recent jobs (default 20)")
    p.add_argument(
        "-f", "--follow", action="store_true", help="live view until Ctrl-C (--json: changes)"
    )
    p.add_argument(
        "--ids", action="store_true", help="recent job ids only, one per line (for completion)"
    )
    _enqueue_arguments(subparsers["enqueue"])
    for name in ("retry", "cancel"):
        job = subparsers[name].add_argument("job", metavar="JOB", help="job id or unique prefix")
        job.complete = JOB_IDS  # type: ignore[attr-defined]
    p = subparsers["pause"]
    p.add_argument(
        "--for", dest="for_", metavar="DURATION", help="for a while only: 2h, 90m, 1h30m, 1d"
    )
    p.add_argument(
        "--now", action="store_true", help="stop running encodes too (their files go back)"
    )
    subparsers["check-config"].add_argument(
        "-q", "--quiet", action="store_true", help="print nothing when the config is valid"
    )
    subparsers["config"].add_argument("what", choices=("schema",), help="what to print")
    p = subparsers["init"]
    p.add_argument("dir", nargs="?", metavar="DIR", help="where vidvar.yaml goes (default: .)")
    p.add_argument(
        "--share", metavar="PATH", help="where inbox/output/archive/failed go (default: DIR/share)"
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing config")
    subparsers["completion"].add_argument("shell", choices=("bash", "zsh", "fish", "tcsh"))
    p = subparsers["web"]
    p.add_argument("--host", help="address to listen on (default: web.host, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: web.port, 8765)")
    p.add_argument(
        "--hash-password", action="store_true", help="read a password, print its hash, exit"
    )
    p.add_argument(
        "--new-token", action="store_true", help="print a new API token and its hash, exit"
    )
