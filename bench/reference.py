"""The reference pipeline against vidvar, side by side, in alternating rounds.

The reference pipeline is the web service this project's design grew out of: one
ffmpeg per variation, one variation after another, each turning the picture a
little (`rotate`) and nudging brightness, contrast and saturation (`eq`), with
x264 ultrafast CRF 23 under a 2500k cap at 29.97 fps and ffmpeg's default AAC.
Against it: (s) vidvar configured to the same four effects and encoder settings,
(d) vidvar with its own defaults (every effect, veryfast CRF 21). Both vidvar
modes are the daemon end to end, from the drop to every output verified; CPU is
that of the whole process tree. Also printed: how busy the cores were (busy
CPU-seconds / (wall x cores)) and how many variations vidvar encoded again.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import time
from pathlib import Path

from bench.common import (
    DaemonRun,
    children_cpu_seconds,
    drop_and_wait,
    median,
    testsrc_clip,
    workspace,
)

ROTATION = (0.001, 0.01)  # radians
BRIGHTNESS = (-0.05, 0.05)
COLOUR = (0.95, 1.05)  # contrast and saturation
REFERENCE_ENCODER = (
    *("-r", "29.97", "-b:v", "2000k", "-bufsize", "4000k", "-maxrate", "2500k"),
    *("-preset", "ultrafast", "-crf", "23", "-threads", "4", "-pix_fmt", "yuv420p"),
    *("-movflags", "+faststart", "-map_metadata", "-1"),
)
# vidvar set up to do the reference pipeline's work: its four effects, its encoder.
SAME_WORK = {
    "profiles": {
        "reference": {
            "min_distance": 0.1,
            "effects": {
                "rotation": {"range": list(ROTATION)},
                "brightness": {"range": list(BRIGHTNESS)},
                "contrast": {"range": list(COLOUR)},
                "saturation": {"range": list(COLOUR)},
            },
        }
    },
    "encoders": {
        "reference": {
            "fps": 29.97,
            "video_bitrate": "2000k",
            "max_bitrate": "2500k",
            "bufsize": "4000k",
            "preset": "ultrafast",
            "crf": 23,
        }
    },
}


def run_reference(source: Path, count: int, out: Path, rng: random.Random) -> tuple[float, float]:
    """CPU and wall seconds of the reference pipeline making `count` variations."""
    out.mkdir(parents=True, exist_ok=True)
    cpu0 = children_cpu_seconds()
    start = time.monotonic()
    for index in range(1, count + 1):
        angle = rng.uniform(*ROTATION)
        look = (
            f"rotate={angle:.6f}:fillcolor=black@0,eq=brightness={rng.uniform(*BRIGHTNESS):.4f}"
            f":contrast={rng.uniform(*COLOUR):.4f}:saturation={rng.uniform(*COLOUR):.4f}"
        )
        subprocess.run(
            [
                *("ffmpeg", "-v", "error", "-nostdin", "-y", "-i", str(source), "-vf", look),
                *REFERENCE_ENCODER,
                str(out / f"v{index}.mp4"),
            ],
            check=True,
        )
    wall = time.monotonic() - start
    cpu = children_cpu_seconds() - cpu0
    shutil.rmtree(out)
    return cpu, wall


def _encoded_again(run: DaemonRun) -> int:
    return sum(
        len(e.get("reasons", []))
        for e in run.events
        if e.get("event") == "re-planning variations out of bounds"
    )


def _replaced(run: DaemonRun) -> int:
    return sum(
        int(e.get("replaced", 0)) for e in run.events if e.get("event") == "variations auditioned"
    )


def run(rounds: int = 3, count: int = 5, seconds: float = 20, noisy: bool = False) -> int:
    work = Path(workspace()[0])
    cores = os.cpu_count() or 1
    kind = "noisy " if noisy else ""
    source = testsrc_clip(work / "clip.mp4", "1280x720", seconds, noisy=noisy)
    print(
        f"reference pipeline vs vidvar: {count} variations of a {seconds:g} s 1280x720 "
        f"{kind}clip, {rounds} round(s) in alternating order, {cores} cores"
    )
    modes = ("reference", "vidvar same work", "vidvar defaults")
    cpu: dict[str, list[float]] = {m: [] for m in modes}
    wall: dict[str, list[float]] = {m: [] for m in modes}
    busy: dict[str, list[float]] = {m: [] for m in modes}
    again = {m: 0 for m in modes}
    replaced = {m: 0 for m in modes}
    rng = random.Random(1)
    for round_number in range(rounds):
        order = modes[round_number % 3 :] + modes[: round_number % 3]
        for mode in order:
            if mode == "reference":
                used, took = run_reference(source, count, work / "ref", rng)
            else:
                done = (
                    drop_and_wait(
                        [source],
                        count,
                        {"profile": "reference", "encoder": "reference"},
                        **SAME_WORK,
                    )
                    if mode == "vidvar same work"
                    else drop_and_wait([source], count)
                )
                used, took = done.cpu, done.wall
                again[mode] += _encoded_again(done)
                replaced[mode] += _replaced(done)
            cpu[mode].append(used)
            wall[mode].append(took)
            busy[mode].append(used / (took * cores))
    base_cpu, base_wall = median(cpu["reference"]), median(wall["reference"])
    print(
        f"{'mode':<18} {'CPU s':>7} {'wall s':>7} {'CPU ratio':>10} {'wall ratio':>10} "
        f"{'busy':>6} {'again':>6} {'auditioned out':>15}"
    )
    for mode in modes:
        c, w = median(cpu[mode]), median(wall[mode])
        print(
            f"{mode:<18} {c:>7.1f} {w:>7.1f} {base_cpu / c:>9.2f}x {base_wall / w:>9.2f}x "
            f"{median(busy[mode]):>6.0%} {again[mode]:>6} {replaced[mode]:>15}"
        )
    print(
        "CPU and wall ratio: the reference pipeline's over the mode's (above 1: the mode "
        "costs less); busy: CPU / (wall x cores); again: variations encoded a second time "
        "(all rounds); auditioned out: candidates replaced before encoding (all rounds)"
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0
