"""The `vidvar` command line: parsing and subcommands, presentation only.

Global options (-c/--config, --log-level, --json) work before or after the
subcommand. Errors go to stderr (as JSON with --json); a closed pipe ends
quietly; bare `vidvar` prints help.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from vidvar.cli.common import fail
from vidvar.cli.parser import COMMANDS, build_parser
from vidvar.errors import AlreadyRunning, ConfigError, ConfigErrors, PortBusy, VidvarError

EX_USAGE = 2
EX_UNAVAILABLE = 69  # sysexits.h: the web page's port is taken
EX_CONFIG = 78

__all__ = ["COMMANDS", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `vidvar` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    as_json = bool(getattr(args, "json", False))
    try:
        return int(args.func(args))
    except ConfigErrors as exc:
        told = "\n".join(f"  {e.message}" for e in exc.errors)
        heading = f"{len(exc.errors)} configuration errors:\n"
        return fail(heading + told, as_json=as_json, code=EX_CONFIG)
    except ConfigError as exc:
        return fail(f"configuration error: {exc}", as_json=as_json, code=EX_CONFIG)
    except AlreadyRunning as exc:
        return fail(exc.message, as_json=as_json, code=EX_CONFIG)
    except PortBusy as exc:
        return fail(exc.message, as_json=as_json, code=EX_UNAVAILABLE)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`vidvar status | head`): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (VidvarError, OSError) as exc:
        return fail(getattr(exc, "message", None) or str(exc), as_json=as_json)
