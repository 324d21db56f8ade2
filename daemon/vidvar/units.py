"""The one way sizes and durations are written for people: decimal units (1 GB is
10⁹ bytes, as disks are sold and as the page shows them), short durations."""

from __future__ import annotations

GB = 1000**3
_SIZES = (("TB", 1000**4), ("GB", GB), ("MB", 1000**2), ("kB", 1000))


def size_text(count: int | float) -> str:
    """`468 kB`, `12.3 MB`, `1.25 GB`: three significant digits at most."""
    for unit, scale in _SIZES:
        if count >= scale:
            value = count / scale
            digits = 0 if value >= 100 else 1 if value >= 10 else 2
            return f"{value:.{digits}f} {unit}"
    return f"{int(count)} bytes"


def gigabytes(count: int) -> float:
    """Bytes as decimal GB, two decimals (what free_gb and min_free_gb speak)."""
    return round(count / GB, 2)


def clock(seconds: float | None) -> str:
    """`4:05`, `1:02:03`; `-` when unknown (ETAs, durations of media)."""
    if seconds is None:
        return "-"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def ago(seconds: float) -> str:
    """`5s`, `3m`, `2h`, `4d`: how long since something happened."""
    whole = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole >= size:
            return f"{whole // size}{unit}"
    return f"{whole}s"


_DURATION_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> float:
    """`2h`, `90m`, `1h30m`, `45s`, `1d` → seconds; ValueError with what was expected."""
    import re

    parts = re.findall(r"(\d+(?:\.\d+)?)([dhms])", text.strip().lower())
    if not parts or "".join(a + b for a, b in parts) != text.strip().lower():
        raise ValueError(f"expected a duration such as 2h, 90m or 1h30m, found {text!r}")
    return sum(float(amount) * _DURATION_UNITS[unit] for amount, unit in parts)
