"""Which x264 preset: CPU, size and SSIM of each against a slow-preset reference, same crf."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from bench.common import children_cpu_seconds, video_ssim, workspace

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
            cpu = children_cpu_seconds() - before
            rows[preset] = (cpu, out.stat().st_size, video_ssim(out, source))
        ref_cpu, ref_size, _ = rows["slow"]
        for preset, (cpu, size, ssim) in rows.items():
            print(
                f"{name:<11} {preset:<10} {cpu:6.1f} {cpu / ref_cpu:6.2f} "
                f"{size / ref_size:7.2f} {ssim:7.4f}"
            )
    shutil.rmtree(work, ignore_errors=True)
    return 0
