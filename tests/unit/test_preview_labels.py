"""Preview sheet labels fit their cell: wrapped between values, never cut inside one, and
long names shortened in the middle."""

from __future__ import annotations

from vidvar.quality.preview import LABEL_CHARS, ellipsised, fit_label

MANY = ["v1 rot +0.23°", "zoom 1.05", "speed 0.987", "hue +3.1", "gamma 0.97", "grain", "vol"]
MANY += ["brightness +0.02", "contrast 1.05", "saturation 1.1"]


def test_a_long_label_wraps_between_values_and_marks_what_was_left_out() -> None:
    label = fit_label(MANY)
    lines = label.split("\n")
    assert len(lines) <= 3 and all(len(line) <= LABEL_CHARS for line in lines)
    assert lines[-1].endswith(" …")
    shown = [part.removesuffix(" …") for line in lines for part in line.split(", ")]
    assert all(part in MANY for part in shown), "a value was cut in the middle"
    assert fit_label(MANY[:2]) == "v1 rot +0.23°, zoom 1.05"


def test_long_names_are_shortened_in_the_middle() -> None:
    name = "spring-campaign-2026-final-final-v3-approved.mp4"
    short = ellipsised(name)
    assert len(short) == LABEL_CHARS and short.startswith("spring-") and short.endswith(".mp4")
    assert "…" in short and ellipsised("clip.mp4") == "clip.mp4"
