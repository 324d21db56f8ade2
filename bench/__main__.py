"""Benchmarks (not tests): throughput against the naive loop, latency, and scale.

    python -m bench throughput [--rounds N] [--variations N] [--clips 720p,1080p,hevc10]
    python -m bench scale [--files N] [--jobs N]
    python -m bench distances
    python -m bench presets
    python -m bench grain
    python -m bench progress [--seconds 60] [--size 1920x1080] [--variations 5]
    python -m bench web [--jobs 1000]

Every figure comes from runs made side by side in this one invocation, so ratios
compare like with like on whatever machine runs it.
"""

from __future__ import annotations

import argparse
import sys

from bench import distances, grain, presets, progress, scale, throughput, web


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
    pr = sub.add_parser("progress", help="how soon progress shows, how many values a job writes")
    pr.add_argument("--seconds", type=float, default=60)
    pr.add_argument("--size", default="1920x1080")
    pr.add_argument("--variations", type=int, default=5)
    w = sub.add_parser("web", help="the queue page's weight and time to first byte, 1,000 jobs")
    w.add_argument("--jobs", type=int, default=1000)
    args = parser.parse_args(argv)
    if args.what == "web":
        return web.run(args.jobs)
    if args.what == "progress":
        return progress.run(args.seconds, args.size, args.variations)
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
