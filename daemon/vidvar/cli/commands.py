"""What each subcommand does with its parsed arguments: load the config, then hand over
to the module that does the work (imported on use, so `vidvar --help` stays quick)."""

from __future__ import annotations

import argparse

from vidvar.cli.common import load


def cmd_run(args: argparse.Namespace) -> int:
    from vidvar.engine.supervisor import run_daemon

    config = load(args)
    services = []
    if config.web.with_run:
        from vidvar.web.server import Background

        services.append(lambda store: Background(config, store))
    return run_daemon(config, watch=True, services=services)


def cmd_worker(args: argparse.Namespace) -> int:
    from vidvar.engine.supervisor import run_daemon

    return run_daemon(load(args), watch=False)


def cmd_status(args: argparse.Namespace) -> int:
    config = load(args, require_folders=False)
    if args.follow:
        from vidvar.cli import follow

        return follow.follow(config, as_json=args.json, limit=args.limit)
    from vidvar.cli import status

    if args.ids:
        return status.print_ids(config, args.limit)
    return status.show(config, args.job, as_json=args.json, limit=args.limit)


def cmd_enqueue(args: argparse.Namespace) -> int:
    from vidvar.cli import actions

    return actions.enqueue(
        load(args),
        args.paths,
        variations=args.variations,
        formats=args.formats,
        watch_name=args.watch,
        sample=args.sample,
        force=args.force,
        as_json=args.json,
    )


def cmd_retry(args: argparse.Namespace) -> int:
    from vidvar.cli import actions

    return actions.retry(load(args), args.job, as_json=args.json)


def cmd_cancel(args: argparse.Namespace) -> int:
    from vidvar.cli import actions

    return actions.cancel(load(args), args.job, as_json=args.json)


def cmd_pause(args: argparse.Namespace) -> int:
    from vidvar.cli import actions

    return actions.pause(
        load(args, require_folders=False), for_=args.for_, now=args.now, as_json=args.json
    )


def cmd_resume(args: argparse.Namespace) -> int:
    from vidvar.cli import actions

    return actions.resume(load(args, require_folders=False), as_json=args.json)


def cmd_check_config(args: argparse.Namespace) -> int:
    from vidvar.cli import admin

    return admin.check_config(load(args), quiet=args.quiet, as_json=args.json)


def cmd_init(args: argparse.Namespace) -> int:
    from vidvar.cli import admin

    return admin.init(args.dir, config=args.config, share=args.share, force=args.force)


def cmd_health(args: argparse.Namespace) -> int:
    from vidvar.cli import admin

    return admin.health(load(args, require_folders=False), as_json=args.json)


def cmd_web(args: argparse.Namespace) -> int:
    from vidvar.cli import admin

    if args.hash_password or args.new_token:
        return admin.web_secrets(hash_password=args.hash_password)
    return admin.web(load(args), host=args.host, port=args.port)


def cmd_config(args: argparse.Namespace) -> int:
    from vidvar.cli import admin

    return admin.config_schema()
