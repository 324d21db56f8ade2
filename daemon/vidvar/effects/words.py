"""A variation's effects in plain words for people ("zoomed 5 %, turned 0.2° left, 1.3 %
faster, slightly warmer"), beside the exact values that the page shows in its details."""

from __future__ import annotations

import math

from vidvar.effects.catalogue import Params


def _amount(value: float, slight: float) -> str:
    return "slightly " if abs(value) < slight else ""


def _parts(p: Params) -> list[str]:
    parts = []
    zoom = float(p.get("zoom", 1.0))
    if abs(zoom - 1) >= 0.005:
        parts.append(f"zoomed {round((zoom - 1) * 100)} %")
    turn = math.degrees(float(p.get("rotation", 0.0)))
    if abs(turn) >= 0.05:
        parts.append(f"turned {abs(turn):.1f}° {'right' if turn > 0 else 'left'}")
    if p.get("mirror"):
        parts.append("mirrored")
    speed = float(p.get("speed", 1.0))
    if abs(speed - 1) >= 0.001:
        parts.append(f"{abs(speed - 1) * 100:.1f} % {'faster' if speed > 1 else 'slower'}")
    brightness = float(p.get("brightness", 0.0))
    if abs(brightness) >= 0.005:
        parts.append(_amount(brightness, 0.04) + ("brighter" if brightness > 0 else "darker"))
    contrast = float(p.get("contrast", 1.0)) - 1
    if abs(contrast) >= 0.01:
        parts.append(_amount(contrast, 0.06) + ("more" if contrast > 0 else "less") + " contrast")
    saturation = float(p.get("saturation", 1.0)) - 1
    if abs(saturation) >= 0.01:
        word = "stronger" if saturation > 0 else "softer"
        parts.append(_amount(saturation, 0.08) + word + " colour")
    gamma = float(p.get("gamma", 1.0)) - 1
    if abs(gamma) >= 0.01:
        word = "lighter" if gamma > 0 else "darker"
        parts.append(_amount(gamma, 0.06) + word + " mid-tones")
    hue = float(p.get("hue", 0.0))
    if abs(hue) >= 0.5:
        parts.append(_amount(hue, 4) + ("warmer" if hue < 0 else "cooler"))
    if p.get("grain"):
        parts.append("film grain")
    volume = float(p.get("volume", 1.0))
    if abs(volume - 1) >= 0.01:
        parts.append(f"{abs(volume - 1) * 100:.0f} % {'louder' if volume > 1 else 'quieter'}")
    return parts


def in_words(params: Params) -> str:
    """The effects of one variation as a short sentence; "as the source" when none."""
    return ", ".join(_parts(params)) or "as the source"
