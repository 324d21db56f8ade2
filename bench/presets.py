"""Which x264 preset: CPU, size and SSIM of each against a slow-preset reference, same crf."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from bench.common import children_cpu_seconds, workspace

PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow")
SOURCES = {
    "mandelbrot": ["-f", "lavfi", "-i", "mandelbrot=size=1280x720:rate=30"],
    "gradients": [
        "-f",
        "lavfi",
        "-i",
        "gradients=size=1280x720:rate=30:speed=0.02,noise=alls=8:allf=t",
    ],
}


def _ssim(a: Path, b: Path) -> float:
    done = subprocess.run(
        ["ffmpeg", "-nostdin", "-i", str(a), "-i", str(b), "-lavfi", "ssim", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"All:([0-9.]+)", done.stderr)
    return float(found.group(1)) if found else float("nan")


def run(crf: int = 21, seconds: int = 8) -> int:
    work = Path(workspace()[0])
    print(
        f"x264 presets at crf {crf}, {seconds} s 1280x720 generated clips; "
        "size and CPU relative to 'slow', SSIM to the lossless source"
    )
    print(f"{'clip':<11} {'preset':<10} {'CPU s':>6} {'CPU x':>6} {'size x':>7} {'SSIM':>7}")
    for name, source_args in SOURCES.items():
        source = work / f"{name}.mkv"
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-nostdin",
                *source_args,
                "-t",
                str(seconds),
                "-c:v",
                "ffv1",
                "-pix_fmt",
                "yuv420p",
                str(source),
            ],
            check=True,
        )
        rows = {}
        for preset in PRESETS:
            out = work / f"{name}-{preset}.mp4"
            before = children_cpu_seconds()
            subprocess.run(
                [
                    "ffmpeg",
                    "-v",
                    "error",
                    "-y",
                    "-nostdin",
                    "-i",
                    str(source),
                    "-c:v",
                    "libx264",
                    "-preset",
                    preset,
                    "-crf",
                    str(crf),
                    "-pix_fmt",
                    "yuv420p",
                    str(out),
                ],
                check=True,
            )
            rows[preset] = (children_cpu_seconds() - before, out.stat().st_size, _ssim(out, source))
        ref_cpu, ref_size, _ = rows["slow"]
        for preset, (cpu, size, ssim) in rows.items():
            print(
                f"{name:<11} {preset:<10} {cpu:6.1f} {cpu / ref_cpu:6.2f} "
                f"{size / ref_size:7.2f} {ssim:7.4f}"
            )
    shutil.rmtree(work, ignore_errors=True)
    return 0
