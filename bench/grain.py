"""What grain strength costs: CPU and size of one variation, and how much grain the
encoder keeps (SSIM against the same variation without grain), per strength, for
the still grain vidvar draws and for the moving grain of earlier releases."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench.common import children_cpu_seconds, earlier_graph, video_ssim, workspace
from vidvar import effects
from vidvar.config import EncoderProfile
from vidvar.engine.render import picture
from vidvar.ffmpeg.commands import OutputSpec, encode_args
from vidvar.ffmpeg.probe import MediaInfo, probe
from vidvar.ffmpeg.tools import input_url

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


def _encode(
    source: Path, info: MediaInfo, params: dict[str, Any], out: Path, moving: bool = False
) -> float:
    frame = picture(info)
    spec = OutputSpec(
        path=out,
        video_graph=earlier_graph(params, frame, ENCODER.fps)
        if moving
        else lambda a, b: effects.video_graph(params, frame, a, b, ENCODER.fps),
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
        "without grain (1.0: the encoder dropped the grain); still (vidvar's) and moving "
        "(earlier releases') grain; 'still~moving': SSIM between the two"
    )
    print(
        f"{'clip':<11} {'grain':>5} {'CPU x':>6} {'size x':>7} {'SSIM':>7} | {'CPU x':>6} "
        f"{'size x':>7} {'SSIM':>7} | {'still~moving':>12}"
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
        for strength in STRENGTHS[1:]:
            figures = []
            outs = []
            for moving in (False, True):
                out = work / f"{name}-{strength}-{'moving' if moving else 'still'}.mp4"
                params = {**BASE, "grain": strength, "grain_seed": 12345}
                cpu = _encode(source, info, params, out, moving)
                figures += [cpu / base_cpu, out.stat().st_size / base_size, video_ssim(out, plain)]
                outs.append(out)
            print(
                f"{name:<11} {strength:>5} {figures[0]:6.2f} {figures[1]:7.2f} {figures[2]:7.4f} | "
                f"{figures[3]:6.2f} {figures[4]:7.2f} {figures[5]:7.4f} | "
                f"{video_ssim(outs[0], outs[1]):>12.4f}"
            )
        # How far moving grain is from itself with another seed: the yardstick for
        # "still grain looks the same".
        other = work / f"{name}-reseeded.mp4"
        _encode(source, info, {**BASE, "grain": 4, "grain_seed": 54321}, other, moving=True)
        print(
            f"{name:<11} moving grain 4 against itself with another seed: SSIM "
            f"{video_ssim(work / f'{name}-4-moving.mp4', other):.4f}"
        )
    shutil.rmtree(work, ignore_errors=True)
    return 0
