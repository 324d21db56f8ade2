"""Benchmarks (not tests): throughput against the naive loop, latency, and scale.

    python -m bench throughput [--rounds N] [--variations N] [--clips 720p,1080p,hevc10]
    python -m bench scale [--files N] [--jobs N]
    python -m bench distances
    python -m bench presets
    python -m bench grain
    python -m bench effects [--rounds 3] [--sizes 720p,1080p]
    python -m bench reference [--rounds 3] [--variations 5] [--seconds 20] [--noisy]
    python -m bench utilisation [--concurrency 1,2] [--rounds 2] [--files 5]
    python -m bench progress [--seconds 60] [--size 1920x1080] [--variations 5]
    python -m bench web [--jobs 10000]
    python -m bench formats [--seconds 10]
    python -m bench faults [--cases scan,stop,watchdog,pause,overlap] [--before REV]

Every figure comes from runs made side by side in this one invocation, so ratios
compare like with like on whatever machine runs it.
"""

from __future__ import annotations

import argparse
import sys

from bench import (
    distances,
    effects,
    faults,
    formats,
    grain,
    presets,
    progress,
    reference,
    scale,
    throughput,
    utilisation,
    web,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="what", required=True)
    t = sub.add_parser("throughput", help="naive loop vs bare fan-out vs the daemon end to end")
    t.add_argument("--rounds", type=int, default=3, help="alternating rounds per clip (default 3)")
    t.add_argument("--variations", type=int, default=5)
    t.add_argument(
        "--clips",
        default="720p,1080p,hevc10",
        help=f"comma-separated, from {', '.join(throughput.CLIPS)}",
    )
    s = sub.add_parser("scale", help="10,000 files dropped at once; status on 100,000 jobs")
    s.add_argument("--files", type=int, default=10_000)
    s.add_argument("--jobs", type=int, default=100_000)
    sub.add_parser("distances", help="figures of the default profile; CPU of measuring")
    sub.add_parser("presets", help="x264 presets: CPU, size and SSIM against 'slow'")
    sub.add_parser("grain", help="grain strength: CPU, size and what the encoder keeps")
    e = sub.add_parser("effects", help="CPU of each effect alone and of the profiles")
    e.add_argument("--rounds", type=int, default=3)
    e.add_argument("--sizes", default="720p,1080p", help="comma-separated: 720p, 1080p")
    r = sub.add_parser("reference", help="the reference pipeline vs vidvar, side by side")
    r.add_argument("--rounds", type=int, default=3)
    r.add_argument("--variations", type=int, default=5)
    r.add_argument("--seconds", type=float, default=20)
    r.add_argument("--noisy", action="store_true", help="a clip with moving noise")
    u = sub.add_parser("utilisation", help="how busy the cores are over a 5-file batch")
    u.add_argument("--concurrency", default="1,2", help="worker.concurrency values, first: base")
    u.add_argument("--rounds", type=int, default=2)
    u.add_argument("--files", type=int, default=5)
    u.add_argument("--seconds", type=float, default=10)
    pr = sub.add_parser("progress", help="how soon progress shows, how many values a job writes")
    pr.add_argument("--seconds", type=float, default=60)
    pr.add_argument("--size", default="1920x1080")
    pr.add_argument("--variations", type=int, default=5)
    w = sub.add_parser("web", help="the queue page's weight and time to first byte, 10,000 jobs")
    w.add_argument("--jobs", type=int, default=10_000)
    f = sub.add_parser("formats", help="framing on the subject; CPU of extra formats")
    f.add_argument("--seconds", type=float, default=10)
    fa = sub.add_parser("faults", help="vidvar under its own trouble, before and after a fix")
    fa.add_argument("--cases", default=",".join(faults.CASES), help="comma-separated")
    fa.add_argument("--before", metavar="REV", help="also run a git commit of vidvar, first")
    args = parser.parse_args(argv)
    if args.what == "faults":
        return faults.run(args.cases.split(","), args.before)
    if args.what == "formats":
        return formats.run(args.seconds)
    if args.what == "web":
        return web.run(args.jobs)
    if args.what == "progress":
        return progress.run(args.seconds, args.size, args.variations)
    if args.what == "utilisation":
        levels = [int(n) for n in args.concurrency.split(",")]
        return utilisation.run(levels, args.rounds, args.files, args.seconds)
    if args.what == "reference":
        return reference.run(args.rounds, args.variations, args.seconds, args.noisy)
    if args.what == "effects":
        return effects.run(args.rounds, args.sizes.split(","))
    if args.what == "grain":
        return grain.run()
    if args.what == "presets":
        return presets.run()
    if args.what == "distances":
        return distances.run()
    if args.what == "throughput":
        return throughput.run(args.clips.split(","), args.rounds, args.variations)
    return scale.run(args.files, args.jobs)


sys.exit(main())
