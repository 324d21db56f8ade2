"""Measured distinctness: how far each variation is from the source and from its siblings.

Figures come from a few small grayscale frames per video (64x64, taken at the
same moments of the source timeline by the encode itself: the frames handed to
the encoder, so measuring costs no second decode): a 64-bit DCT perceptual
hash (pHash, compared by Hamming distance, 0 = same picture, ~32 = unrelated) and
SSIM against the source frame (1 = identical).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from vidvar.ffmpeg.frames import read_samples

FRAME = 64


@cache
def _cosines(n: int, k: int) -> tuple[tuple[float, ...], ...]:
    return tuple(
        tuple(math.cos(math.pi * (2 * x + 1) * u / (2 * n)) for x in range(n)) for u in range(k)
    )


def phash(frame: bytes, size: int = FRAME) -> int:
    """64-bit pHash: 32x32 mean-pooled frame, 2-D DCT, 8x8 low frequencies above their median."""
    half = size // 2
    small = [
        [
            (
                frame[(2 * y) * size + 2 * x]
                + frame[(2 * y) * size + 2 * x + 1]
                + frame[(2 * y + 1) * size + 2 * x]
                + frame[(2 * y + 1) * size + 2 * x + 1]
            )
            / 4
            for x in range(half)
        ]
        for y in range(half)
    ]
    cos = _cosines(half, 8)
    rows = [
        [sum(c * v for c, v in zip(cos[u], row, strict=True)) for u in range(8)] for row in small
    ]
    coeffs = [sum(cos[v][y] * rows[y][u] for y in range(half)) for v in range(8) for u in range(8)]
    ac = sorted(coeffs[1:])
    median = (ac[31] + ac[32]) / 2
    bits = 0
    for value in coeffs:
        bits = (bits << 1) | (1 if value > median else 0)
    return bits


def hamming(a: int, b: int) -> int:
    """Differing bits of two hashes."""
    return (a ^ b).bit_count()


def ssim(a: bytes, b: bytes, size: int = FRAME, window: int = 8, step: int = 8) -> float:
    """Mean SSIM over 8x8 windows of two grayscale frames."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    n = window * window
    total, count = 0.0, 0
    for top in range(0, size - window + 1, step):
        for left in range(0, size - window + 1, step):
            xs = [a[(top + y) * size + left + x] for y in range(window) for x in range(window)]
            ys = [b[(top + y) * size + left + x] for y in range(window) for x in range(window)]
            mx, my = sum(xs) / n, sum(ys) / n
            vx = sum((v - mx) ** 2 for v in xs) / n
            vy = sum((v - my) ** 2 for v in ys) / n
            cov = sum((p - mx) * (q - my) for p, q in zip(xs, ys, strict=True)) / n
            total += ((2 * mx * my + c1) * (2 * cov + c2)) / (
                (mx * mx + my * my + c1) * (vx + vy + c2)
            )
            count += 1
    return total / count


@dataclass(frozen=True)
class Sampled:
    """The sample frames of one video and their hashes."""

    frames: list[bytes]
    hashes: list[int]


def sample_times(duration: float, count: int) -> list[float]:
    """Moments spread over the source, away from the very start and end."""
    return [duration * (k + 0.5) / count for k in range(count)]


def sampled(frames: list[bytes]) -> Sampled:
    """Sample frames with their hashes."""
    return Sampled(frames=frames, hashes=[phash(f) for f in frames])


def load(path: Path, count: int) -> Sampled:
    """Read and hash `count` sample frames written during the encode (ffmpeg.Samples)."""
    return sampled(read_samples(path, count, FRAME))


def distance(a: Sampled, b: Sampled) -> float:
    """Mean Hamming distance of the hashes of two sampled videos."""
    return sum(hamming(x, y) for x, y in zip(a.hashes, b.hashes, strict=True)) / len(a.hashes)


def output_figures(source: Sampled, output: Sampled, siblings: Sequence[Sampled]) -> dict[str, Any]:
    """Figures of one output: distance and SSIM to the source, nearest sibling."""
    nearest = min((distance(output, s) for s in siblings), default=None)
    mean_ssim = sum(ssim(x, y) for x, y in zip(source.frames, output.frames, strict=True))
    return {
        "source_distance": round(distance(source, output), 2),
        "ssim": round(mean_ssim / len(source.frames), 4),
        "nearest_variation_distance": None if nearest is None else round(nearest, 2),
    }


def file_summary(figures: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per-file summary: the smallest distance between variations, the largest to the source."""
    pairs = [
        f["nearest_variation_distance"]
        for f in figures
        if f["nearest_variation_distance"] is not None
    ]
    return {
        "min_pairwise_distance": min(pairs) if pairs else None,
        "max_source_distance": max(f["source_distance"] for f in figures),
        "min_ssim": min(f["ssim"] for f in figures),
    }
