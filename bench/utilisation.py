"""How busy the daemon keeps the cores over a batch: five files dropped at once.

Utilisation is busy CPU-seconds / (wall x cores), from the drop to the last job's
status.json saying completed, with the CPU of the daemon and every ffmpeg it ran.
Each `worker.concurrency` asked for runs side by side in alternating rounds with
the first one given (the baseline the ratios are against).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from bench.common import drop_and_wait, median, testsrc_clip, workspace


def run(
    concurrency: list[int], rounds: int = 2, files: int = 5, seconds: float = 10, count: int = 5
) -> int:
    work = Path(workspace()[0])
    cores = os.cpu_count() or 1
    clip = testsrc_clip(work / "clip.mp4", "1280x720", seconds)
    sources = []
    for index in range(1, files + 1):
        sources.append(work / f"clip{index}.mp4")
        shutil.copyfile(clip, sources[-1])
    print(
        f"utilisation: {files} files of {seconds:g} s 1280x720 dropped at once, {count} "
        f"variations each, default profile and encoder, {cores} cores, {rounds} round(s)"
    )
    figures: dict[int, dict[str, list[float]]] = {
        n: {"cpu": [], "wall": [], "busy": []} for n in concurrency
    }
    for round_number in range(rounds):
        order = concurrency if round_number % 2 == 0 else list(reversed(concurrency))
        for n in order:
            done = drop_and_wait(sources, count, worker={"concurrency": n})
            figures[n]["cpu"].append(done.cpu)
            figures[n]["wall"].append(done.wall)
            figures[n]["busy"].append(done.busy(cores))
    base = concurrency[0]
    print(
        f"{'concurrency':>11} {'CPU s':>7} {'wall s':>7} {'busy':>6} {'wall vs ' + str(base):>10}"
    )
    for n in concurrency:
        wall = median(figures[n]["wall"])
        print(
            f"{n:>11} {median(figures[n]['cpu']):>7.1f} {wall:>7.1f} "
            f"{median(figures[n]['busy']):>6.1%} {wall / median(figures[base]['wall']):>10.2f}"
        )
    shutil.rmtree(work, ignore_errors=True)
    return 0
