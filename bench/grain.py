"""What grain strength costs: CPU and size of one variation, and how much grain the
encoder keeps (SSIM against the same variation without grain), per strength."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench.common import children_cpu_seconds, video_ssim, workspace
from vidvar import effects
from vidvar.config import EncoderProfile
from vidvar.ffmpeg.commands import OutputSpec, encode_args
from vidvar.ffmpeg.probe import MediaInfo, probe
from vidvar.ffmpeg.tools import input_url
from vidvar.render import picture

ENCODER = EncoderProfile(name="default")
STRENGTHS = range(0, 9)
SOURCES = {
    "testsrc2": "testsrc2=size=1280x720:rate=30",
    "mandelbrot": "mandelbrot=size=1280x720:rate=30",
}
# One mid-range variation of the default profile; only the grain changes.
BASE: dict[str, Any] = {
    "rotation": 0.005,
    "brightness": 0.01,
    "contrast": 1.02,
    "saturation": 0.98,
    "hue": 3.0,
    "gamma": 1.01,
    "zoom": 1.05,
    "zoom_x": 0.3,
    "zoom_y": 0.6,
    "speed": 1.0,
}


def _encode(source: Path, info: MediaInfo, params: dict[str, Any], out: Path) -> float:
    spec = OutputSpec(
        path=out,
        video_graph=lambda a, b: effects.video_graph(params, picture(info), a, b, ENCODER.fps),
        audio_chain=None,
    )
    before = children_cpu_seconds()
    subprocess.run(
        encode_args(input_url(source), info, [spec], ENCODER), check=True, capture_output=True
    )
    return children_cpu_seconds() - before


def run(seconds: int = 8) -> int:
    work = Path(workspace()[0])
    print(
        f"grain strength: one variation of {seconds} s 1280x720, {ENCODER.preset} crf "
        f"{ENCODER.crf}; CPU and size relative to no grain; SSIM to the same variation "
        "without grain (1.0: the encoder dropped the grain)"
    )
    print(
        f"{'clip':<11} {'grain':>5} {'CPU s':>6} {'CPU x':>6} {'MB':>6} {'size x':>7} {'SSIM':>7}"
    )
    for name, graph in SOURCES.items():
        source = work / f"{name}.mp4"
        subprocess.run(
            [
                *("ffmpeg", "-v", "error", "-y", "-nostdin", "-f", "lavfi", "-i", graph),
                *("-t", str(seconds), "-c:v", "libx264", "-preset", "fast", "-crf", "16"),
                str(source),
            ],
            check=True,
        )
        info = probe(source)
        plain = work / f"{name}-0.mp4"
        base_cpu = _encode(source, info, BASE, plain)
        base_size = plain.stat().st_size
        for strength in STRENGTHS:
            if strength == 0:
                cpu, out, ssim = base_cpu, plain, 1.0
            else:
                out = work / f"{name}-{strength}.mp4"
                params = {**BASE, "grain": strength, "grain_seed": 12345}
                cpu = _encode(source, info, params, out)
                ssim = video_ssim(out, plain)
            size = out.stat().st_size
            print(
                f"{name:<11} {strength:>5} {cpu:6.1f} {cpu / base_cpu:6.2f} "
                f"{size / 1e6:6.2f} {size / base_size:7.2f} {ssim:7.4f}"
            )
    shutil.rmtree(work, ignore_errors=True)
    return 0
