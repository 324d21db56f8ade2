"""One way to write sizes and durations for people (decimal units)."""

from __future__ import annotations

import pytest

from vidvar.units import ago, clock, gigabytes, size_text

pytestmark = pytest.mark.unit


def test_sizes_are_decimal_with_three_significant_digits_at_most() -> None:
    assert size_text(999) == "999 bytes"
    assert size_text(468_267) == "468 kB"
    assert size_text(12_345_678) == "12.3 MB"
    assert size_text(1_250_000_000) == "1.25 GB"
    assert gigabytes(1_250_000_000) == 1.25


def test_durations() -> None:
    assert clock(None) == "-" and clock(65) == "1:05" and clock(3723) == "1:02:03"
    assert ago(5) == "5s" and ago(190) == "3m" and ago(7300) == "2h" and ago(4 * 86400) == "4d"
