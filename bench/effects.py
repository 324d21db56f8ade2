"""What each effect costs: CPU per output second of one variation with that effect alone,
of the default and subtle profiles, and of the encoder alone (the floor: decode once +
x264 at the same settings, no filter), at 720p and 1080p, in one invocation.

Every run is one ffmpeg built by vidvar's own encode_args (video only: audio costs
the same with or without effects). Modes run in a different order each round and
the figures are medians, so a machine slowing down under sustained load does not
always penalise the same one.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench.common import (
    children_cpu_seconds,
    earlier_graph,
    median,
    shared_work_args,
    workspace,
)
from vidvar import effects
from vidvar.config import EffectSpec, EffectsProfile, EncoderProfile, default_effects_profile
from vidvar.effects import Picture
from vidvar.engine.render import picture
from vidvar.ffmpeg.commands import OutputSpec, encode_args
from vidvar.ffmpeg.probe import MediaInfo, probe
from vidvar.ffmpeg.tools import input_url

ENCODER = EncoderProfile(name="default")
SIZES = {"720p": "1280x720", "1080p": "1920x1080"}
VARIATIONS = 5  # per profile run, encoded as one fan-out like the daemon does

# One variation per effect, at the middle of its default range.
ALONE: dict[str, dict[str, Any]] = {
    "rotation": {"rotation": 0.0055},
    "zoom": {"zoom": 1.055, "zoom_x": 0.3, "zoom_y": 0.7},
    "brightness": {"brightness": 0.025},
    "contrast": {"contrast": 1.025},
    "saturation": {"saturation": 1.025},
    "gamma": {"gamma": 1.025},
    "hue": {"hue": 3.0},
    "speed": {"speed": 1.015},
    "grain": {"grain": 4, "grain_seed": 12345},
    "mirror": {"mirror": True},
}
# The reference pipeline's four effects: a small turn, brightness, contrast, saturation.
SUBTLE = EffectsProfile(
    name="subtle",
    min_distance=0.1,
    effects=(
        EffectSpec("rotation", 1.0, 0.001, 0.01),
        EffectSpec("brightness", 1.0, -0.05, 0.05),
        EffectSpec("contrast", 1.0, 0.95, 1.05),
        EffectSpec("saturation", 1.0, 0.95, 1.05),
    ),
)


def _clip(size: str, seconds: int, folder: Path) -> Path:
    path = folder / f"clip-{size}.mp4"
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-y", "-nostdin", "-f", "lavfi"),
            *("-i", f"testsrc2=size={size}:rate=30:duration={seconds}"),
            *("-c:v", "libx264", "-preset", "fast", "-pix_fmt", "yuv420p", str(path)),
        ],
        check=True,
    )
    return path


# The grain of earlier releases, for comparison: new noise every frame.
MOVING_GRAIN = "noise=alls=4:allf=t:all_seed=12345"


def _graph(params: dict[str, Any], frame: Picture) -> Any:
    if params.get("moving grain"):
        return lambda a, b: f"[{a}]{MOVING_GRAIN},setsar=1,format=yuv420p[{b}]"
    if params.get("as before"):
        rest = {k: v for k, v in params.items() if k != "as before"}
        return earlier_graph(rest, frame, ENCODER.fps)
    return lambda a, b: effects.video_graph(params, frame, a, b, ENCODER.fps)


def _encode(
    source: Path, info: MediaInfo, plans: list[dict[str, Any]], frame: Picture, out: Path
) -> tuple[float, float]:
    """(CPU seconds, output seconds) of one fan-out encoding `plans`."""
    specs = [
        OutputSpec(
            path=out / f"v{i}.mp4",
            video_graph=_graph(params, frame),
            audio_chain=None,
        )
        for i, params in enumerate(plans)
    ]
    out.mkdir(parents=True, exist_ok=True)
    before = children_cpu_seconds()
    subprocess.run(
        encode_args(input_url(source), info, specs, ENCODER), check=True, stdout=subprocess.DEVNULL
    )
    cpu = children_cpu_seconds() - before
    shutil.rmtree(out)
    seconds = sum(info.duration / float(p.get("speed", 1.0)) for p in plans)
    return cpu, seconds


def _modes(info: MediaInfo) -> dict[str, tuple[list[dict[str, Any]], Picture]]:
    exact = picture(info)
    old = Picture(info.aspect, None)  # no exact size: geometry always through perspective
    modes: dict[str, tuple[list[dict[str, Any]], Picture]] = {"encoder alone": ([{}], exact)}
    modes |= {name: ([params], exact) for name, params in ALONE.items()}
    modes["zoom via perspective"] = ([ALONE["zoom"]], old)
    modes["moving grain"] = ([{"moving grain": True}], exact)
    modes["rotation + zoom"] = ([ALONE["rotation"] | ALONE["zoom"]], exact)
    for profile in (default_effects_profile(), SUBTLE):
        plan = effects.plan_variations(profile, VARIATIONS, effects.file_seed("bench", "effects"))
        modes[f"profile {profile.name}"] = ([v.params for v in plan], exact)
        modes[f"{profile.name}, as before"] = (
            [v.params | {"as before": True} for v in plan],
            exact,
        )
    return modes


def run(rounds: int = 3, sizes: list[str] | None = None, seconds: int = 6) -> int:
    work = Path(workspace()[0])
    print(
        f"effects: CPU per output second, {ENCODER.preset} crf {ENCODER.crf}, {seconds} s "
        f"testsrc2 at 30 fps, medians of {rounds} round(s); profiles as a {VARIATIONS}-output "
        "fan-out, per variation. 'extra' is over the encoder alone; 'share' is that extra "
        "as a part of one default-profile variation's cost"
    )
    for name in sizes or list(SIZES):
        source = _clip(SIZES[name], seconds, work)
        info = probe(source)
        modes = _modes(info)
        cpu: dict[str, list[float]] = {mode: [] for mode in modes}
        decode: list[float] = []
        for round_number in range(rounds):
            order = list(modes) if round_number % 2 == 0 else list(reversed(modes))
            for mode in order:
                plans, frame = modes[mode]
                used, out_seconds = _encode(source, info, plans, frame, work / "out")
                cpu[mode].append(used / out_seconds)
            before = children_cpu_seconds()
            subprocess.run(shared_work_args(source, info), check=True)
            decode.append((children_cpu_seconds() - before) / info.duration)
        figures = {mode: median(values) for mode, values in cpu.items()}
        floor = figures["encoder alone"]
        variation = figures["profile default"]
        print(f"\n{name} ({SIZES[name]})")
        print(f"  {'mode':<22} {'CPU/out-s':>9} {'x floor':>8} {'extra':>7} {'share':>7}")
        print(f"  {'decode + common chain':<22} {median(decode):>9.3f}")
        for mode, value in figures.items():
            extra = value - floor
            print(
                f"  {mode:<22} {value:>9.3f} {value / floor:>8.2f} {extra:>+7.3f} "
                f"{extra / variation:>+7.1%}"
            )
        saving = figures["zoom via perspective"] - figures["zoom"]
        print(
            f"  a zoom alone through crop + scale instead of perspective saves {saving:.3f} "
            f"CPU s per output second ({saving / figures['zoom via perspective']:.0%} of that "
            "variation)"
        )
        saving = figures["moving grain"] - figures["grain"]
        print(
            f"  grain as a still pattern instead of moving noise saves {saving:.3f} CPU s per "
            f"output second ({saving / figures['moving grain']:.0%} of that variation)"
        )
    shutil.rmtree(work, ignore_errors=True)
    return 0
