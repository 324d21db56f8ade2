"""The distribution of measured distances for the default profile, on generated clips
with smooth colour and motion (the evidence behind distinctness.min_sibling_distance and
max_source_distance), and the CPU the measurement adds next to the encode."""

from __future__ import annotations

import resource
import shutil
import subprocess
from pathlib import Path

from bench.common import children_cpu_seconds, median, workspace
from vidvar import effects
from vidvar.config import EncoderProfile, default_effects_profile
from vidvar.engine.render import picture
from vidvar.ffmpeg.commands import OutputSpec, Samples, encode_args
from vidvar.ffmpeg.probe import probe
from vidvar.ffmpeg.tools import input_url
from vidvar.quality import figures as fig

SOURCES = {
    "mandelbrot": "mandelbrot=size=640x360:rate=25",
    # Seeded: both filters draw their pictures at random, and the figures should agree
    # from one run to the next.
    "gradients": "gradients=size=640x360:rate=25:seed=1:speed=0.03:"
    "c0=0x2a6f97:c1=0xf4a261:c2=0x2a9d8f",
    "life": "life=size=640x360:rate=25:seed=1:mold=10:ratio=0.3:"
    "death_color=#1d3557:life_color=#e9c46a,gblur=sigma=2",
    "testsrc2": "testsrc2=size=640x360:rate=25",
}


def _cpu() -> float:
    """ffmpeg's CPU and this process's own (the measuring is done here, in Python)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return children_cpu_seconds() + own.ru_utime + own.ru_stime


def run(variations: int = 5, seconds: int = 6) -> int:
    work = Path(workspace()[0])
    profile = default_effects_profile()
    encoder = EncoderProfile(name="default")
    rows: dict[str, list[float]] = {"source": [], "nearest": [], "ssim": []}
    encode_cpu = measure_cpu = 0.0
    furthest: dict[str, float] = {}  # per clip: the largest distance to source
    for name, graph in SOURCES.items():
        source = work / f"{name}.mp4"
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                graph,
                "-t",
                str(seconds),
                "-c:v",
                "libx264",
                "-preset",
                "fast",
                "-pix_fmt",
                "yuv420p",
                str(source),
            ],
            check=True,
        )
        info = probe(source)
        frame = picture(info)
        plan = effects.plan_variations(profile, variations, effects.file_seed("cal", name))
        specs = [
            OutputSpec(
                work / f"{name}-v{v.index}.mp4",
                lambda a, b, tap=None, p=v.params, r=frame: effects.video_graph(
                    p, r, a, b, tap=tap
                ),
                None,
                sample_path=work / f"{name}-v{v.index}.frames",
            )
            for v in plan
        ]
        source_frames = work / f"{name}.frames"
        taps = Samples(tuple(fig.sample_times(info.duration, 4)), source_frames)
        plain = [OutputSpec(s.path, s.video_graph, None) for s in specs]
        # Encoding with the sample taps against encoding without: the measurement's cost.
        start = _cpu()
        subprocess.run(
            encode_args(input_url(source), info, plain, encoder),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        middle = _cpu()
        subprocess.run(
            encode_args(input_url(source), info, specs, encoder, taps),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        src = fig.load(source_frames, 4)
        samples = [fig.load(s.sample_path, 4) for s in specs if s.sample_path]
        for i, sample in enumerate(samples):
            figures = fig.output_figures(src, sample, samples[:i] + samples[i + 1 :])
            rows["source"].append(figures["source_distance"])
            rows["nearest"].append(figures["nearest_variation_distance"])
            rows["ssim"].append(figures["ssim"])
            furthest[name] = max(furthest.get(name, 0.0), figures["source_distance"])
        end = _cpu()
        encode_cpu += middle - start
        measure_cpu += (end - middle) - (middle - start)
    print(
        f"default profile, {variations} variations of {len(SOURCES)} generated "
        f"{seconds} s 640x360 clips ({', '.join(SOURCES)}), 4 sample frames each"
    )
    for key, label in (
        ("source", "pHash distance to source"),
        ("nearest", "pHash distance to nearest sibling"),
        ("ssim", "SSIM to source"),
    ):
        values = sorted(rows[key])
        print(
            f"  {label:<36} min {values[0]:6.2f}  median {median(values):6.2f}  "
            f"max {values[-1]:6.2f}"
        )
    print(
        "  largest pHash distance to source per clip: "
        + ", ".join(f"{name} {value:.2f}" for name, value in furthest.items())
    )
    share = measure_cpu / (encode_cpu + measure_cpu)
    print(
        f"  measurement CPU (encode with sample taps and hashing, minus the same encode "
        f"without) {measure_cpu:.1f} s next to encoding {encode_cpu:.1f} s: {share:+.1%}"
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0
