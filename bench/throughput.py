"""(a) the naive loop, one ffmpeg per variation; (b) the bare fan-out commands the daemon
issues; (c) the daemon end to end, from drop to all outputs verified. Alternating runs.

All three encode the same variations: those the daemon planned in the round's c run
(from its status.json). Effect values change the encoder's work a lot (grain
strength 7 costs x264 about twice the CPU of strength 2), so comparing the daemon's
random plan with a fixed one would measure the plans, not the orchestration."""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import (
    children_cpu_seconds,
    drop_and_wait,
    median,
    shared_work_args,
    workspace,
)
from vidvar import effects
from vidvar.config import EncoderProfile, WorkerConfig
from vidvar.engine.render import picture
from vidvar.ffmpeg.commands import OutputSpec, encode_args
from vidvar.ffmpeg.probe import MediaInfo, probe
from vidvar.ffmpeg.tools import input_url

Params = dict[str, Any]  # one variation's effects, as status.json lists them

CLIPS: dict[str, list[str]] = {
    "720p": [
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=1280x720:rate=30:duration=10",
        "-f",
        "lavfi",
        "-i",
        "sine=duration=10",
        "-c:v",
        "libx264",
        "-preset",
        "fast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
    ],
    "1080p": [
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=1920x1080:rate=30:duration=6",
        "-f",
        "lavfi",
        "-i",
        "sine=duration=6",
        "-c:v",
        "libx264",
        "-preset",
        "fast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
    ],
    "hevc10": [
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=1920x1080:rate=30:duration=6",
        "-f",
        "lavfi",
        "-i",
        "sine=duration=6",
        "-c:v",
        "libx265",
        "-x265-params",
        "log-level=error",
        "-preset",
        "fast",
        "-pix_fmt",
        "yuv420p10le",
        "-c:a",
        "aac",
    ],
}
ENCODER = EncoderProfile(name="default")  # the daemon's default profile, for all three


def make_clip(name: str, folder: Path) -> Path:
    path = folder / f"{name}.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-nostdin", *CLIPS[name], str(path)], check=True)
    return path


def _specs(info: MediaInfo, group: list[Params], first: int, out: Path) -> list[OutputSpec]:
    return [
        OutputSpec(
            path=out / f"v{first + offset + 1}.mp4",
            video_graph=lambda a, b, p=params: effects.video_graph(
                p, picture(info), a, b, ENCODER.fps
            ),
            audio_chain=effects.audio_chain(params) if info.has_audio else None,
        )
        for offset, params in enumerate(group)
    ]


def run_commands(
    source: Path, plan: list[Params], group_size: int, out: Path
) -> tuple[float, float]:
    """CPU and wall seconds of the encodes of `plan` in groups of `group_size` (1: the
    naive loop)."""
    info = probe(source)
    out.mkdir(parents=True, exist_ok=True)
    cpu0 = children_cpu_seconds()
    start = time.monotonic()
    for first in range(0, len(plan), group_size):
        group = plan[first : first + group_size]
        subprocess.run(
            encode_args(input_url(source), info, _specs(info, group, first, out), ENCODER),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    wall = time.monotonic() - start
    cpu1 = children_cpu_seconds()
    shutil.rmtree(out)
    return cpu1 - cpu0, wall


def run_shared(source: Path) -> float:
    """CPU seconds of what one fan-out shares between its outputs: decode + common chain."""
    cpu0 = children_cpu_seconds()
    subprocess.run(shared_work_args(source, probe(source)), check=True)
    return children_cpu_seconds() - cpu0


def run_daemon(source: Path, count: int) -> tuple[dict[str, float], list[Params]]:
    """Drop the clip into a running daemon's inbox; measure until status.json says
    completed. Returns the figures and the effects of the variations it made."""
    done = drop_and_wait([source], count, worker={"fanout": WorkerConfig().fanout})
    [status] = done.statuses
    plan = [o["effects"] for o in sorted(status["files"][0]["outputs"], key=_variation)]
    events = done.events
    queued = _ts(next(e for e in events if e.get("event") == "queued"))
    started = _ts(next(e for e in events if e.get("event") == "ffmpeg started"))
    encoding = sum(float(e["seconds"]) for e in events if e.get("event") == "ffmpeg finished")
    audition = sum(float(e["seconds"]) for e in events if e.get("event") == "variations auditioned")
    replanned = sum(
        len(e.get("reasons", []))
        for e in events
        if e.get("event") == "re-planning variations out of bounds"
    )
    return {
        "cpu": done.cpu,
        "wall": done.wall,
        "replanned": float(replanned),
        # Drop to done, less the daemon's own encodes: what orchestration costs, free
        # of the run-to-run noise that separates c from b.
        "orchestration": done.wall - encoding,
        # Settle to the encode starting, less the audition (choosing the variations,
        # itself a short ffmpeg run), which is reported on its own.
        "latency": started - queued - audition,
        "audition": audition,
        "daemon_rss": done.daemon_rss,
        "ffmpeg_rss": done.ffmpeg_rss,
    }, plan


def _spread(numerators: list[float], denominators: list[float]) -> str:
    """Per-round ratios, lowest to highest: how much one round can be trusted."""
    ratios = sorted(n / d for n, d in zip(numerators, denominators, strict=True))
    return f"{ratios[0]:.2f}..{ratios[-1]:.2f}"


def _variation(output: dict[str, Any]) -> int:
    return int(output["variation"])


def _ts(event: dict[str, str]) -> float:
    return datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")).timestamp()


def run(clips: list[str], rounds: int, count: int) -> int:
    work = Path(workspace()[0])
    fanout = WorkerConfig().fanout
    print(
        f"vidvar throughput: {count} variations per clip, fanout {fanout}, encoder "
        f"{ENCODER.preset} crf {ENCODER.crf}, {rounds} round(s) of c, then a and b in "
        "alternating order, all three on the variations c planned"
    )
    print(
        f"{'clip':<8} {'mode':<16} {'CPU s':>8} {'wall s':>8} {'CPU/out-s':>10} {'wall/out-s':>10}"
    )
    for name in clips:
        source = make_clip(name, work)
        seconds = probe(source).duration * count
        results: dict[str, list[float]] = {
            k: []
            for k in (
                "a_cpu",
                "a_wall",
                "b_cpu",
                "b_wall",
                "c_cpu",
                "c_wall",
                "shared_cpu",
                "replanned",
                "orchestration",
                "latency",
                "audition",
                "daemon_rss",
                "ffmpeg_rss",
            )
        }
        for round_number in range(rounds):
            # The daemon goes first because its plan is only known once it has run; a
            # and b swap places each round, so that a machine slowing down under
            # sustained load does not always penalise the same one.
            measured, plan = run_daemon(source, count)
            for key, value in measured.items():
                results["c_" + key if key in ("cpu", "wall") else key].append(value)
            for mode in "ab" if round_number % 2 == 0 else "ba":
                group = 1 if mode == "a" else fanout
                cpu, wall = run_commands(source, plan, group, work / mode)
                results[f"{mode}_cpu"].append(cpu)
                results[f"{mode}_wall"].append(wall)
            results["shared_cpu"].append(run_shared(source))
        for mode, label in (("a", "a naive loop"), ("b", "b bare fan-out"), ("c", "c daemon")):
            cpu, wall = median(results[f"{mode}_cpu"]), median(results[f"{mode}_wall"])
            print(
                f"{name:<8} {label:<16} {cpu:>8.1f} {wall:>8.1f} {cpu / seconds:>10.2f} "
                f"{wall / seconds:>10.2f}"
            )
        a_cpu = median(results["a_cpu"])
        c_a = median(results["c_cpu"]) / a_cpu
        b_a = median(results["b_cpu"]) / a_cpu
        c_b = median(results["c_wall"]) / median(results["b_wall"])
        shared = median(results["shared_cpu"])
        # The naive loop does the shared work `count` times, a fan-out once: the best
        # CPU ratio any one-decode fan-out can reach on this clip.
        floor = (a_cpu - (count - 1) * shared) / a_cpu
        print(
            f"{name:<8} shared work (decode + common chain) {shared:.1f} CPU s = "
            f"{shared * count / a_cpu:.0%} of the naive loop; fan-out floor {floor:.2f}"
        )
        print(
            f"{name:<8} ratios: CPU b/a {b_a:.2f}, c/a {c_a:.2f} (goal <= 0.80; per round "
            f"{_spread(results['c_cpu'], results['a_cpu'])}), wall c/b {c_b:.3f} (goal <= 1.03; "
            f"per round {_spread(results['c_wall'], results['b_wall'])})"
        )
        orchestration = [
            o / w for o, w in zip(results["orchestration"], results["c_wall"], strict=True)
        ]
        print(
            f"{name:<8} orchestration (c's wall less its own ffmpeg's) "
            f"{median(results['orchestration']):.2f} s = {median(orchestration):.1%} of c "
            f"(per round {min(orchestration):.1%}..{max(orchestration):.1%})"
        )
        print(
            f"{name:<8} latency settle->ffmpeg {median(results['latency']):.3f} s (goal < 0.5) "
            f"plus the audition {median(results['audition']):.3f} s; "
            f"peak RSS daemon {median(results['daemon_rss']):.0f} MB, ffmpeg "
            f"{median(results['ffmpeg_rss']):.0f} MB; variations the daemon re-planned "
            f"(distinctness) {sum(results['replanned']):.0f} in {rounds} round(s)"
        )
    shutil.rmtree(work, ignore_errors=True)
    return 0
