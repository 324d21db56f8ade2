"""`formats:` and `hdr:`: what a hot folder may ask for, with sizes, overrides and
errors that name the key."""

from __future__ import annotations

import pytest

from tests.unit.test_config import base, error_of, write
from vidvar.config import load_config
from vidvar.config.placement import Format, Placement

pytestmark = pytest.mark.unit


def test_the_default_is_the_source_shape_and_tone_mapping(tmp_path) -> None:
    watch = load_config(write(tmp_path, base())).watches[0]
    assert watch.formats == (Format(),) and watch.hdr == "tonemap"
    assert watch.placement.keys == ("source",)


def test_aspects_get_their_platform_sizes_and_overrides_keep_the_aspect(tmp_path) -> None:
    config = base(
        formats=[
            "source",
            "9:16",
            {"aspect": "1:1", "height": 720},
            {"aspect": "4:5", "width": 864, "fit": "pad"},
            "16:9",
        ],
        hdr="keep",
    )
    watch = load_config(write(tmp_path, config)).watches[0]
    assert [(f.aspect, f.width, f.height, f.fit) for f in watch.formats] == [
        ("source", 0, 0, "crop"),
        ("9:16", 1080, 1920, "crop"),
        ("1:1", 720, 720, "crop"),
        ("4:5", 864, 1080, "pad"),
        ("16:9", 1920, 1080, "crop"),
    ]
    assert watch.hdr == "keep"
    assert [f.key for f in watch.formats] == ["source", "9x16", "1x1", "4x5", "16x9"]
    assert Placement.from_dict(watch.placement.as_dict()) == watch.placement


def test_unquoted_aspects_that_yaml_reads_as_numbers_still_work(tmp_path) -> None:
    path = write(
        tmp_path,
        "database: db/v.db\n"
        "watch:\n  - {inbox: in, output: out, formats: [9:16, 1:1, 4:5, 16:9]}\n",
    )
    watch = load_config(path).watches[0]
    assert [f.aspect for f in watch.formats] == ["9:16", "1:1", "4:5", "16:9"]


@pytest.mark.parametrize(
    ("formats", "key", "words"),
    [
        (["9:15"], "watch[0].formats[0]", "unknown aspect '9:15'; expected one of source, 9:16"),
        (
            ["source", {"aspect": "2:1", "height": 500}],
            "watch[0].formats[1].aspect",
            "unknown aspect '2:1'",
        ),
        ([{"aspect": "9:16", "height": 5000}], "watch[0].formats[0].height", "16 to 4096"),
        ([{"aspect": "9:16", "fit": "stretch"}], "watch[0].formats[0].fit", "crop, pad"),
        ([{"aspect": "9:16", "zoom": 2}], "watch[0].formats[0].zoom", "unknown key"),
        (["9:16", "9:16"], "watch[0].formats[1]", "listed twice"),
        ([], "watch[0].formats", "expected a list of formats"),
    ],
)
def test_a_wrong_format_is_a_config_error_that_names_the_key(tmp_path, formats, key, words) -> None:
    error = error_of(tmp_path, base(formats=formats))
    assert key in str(error) and words in str(error)


def test_hdr_takes_tonemap_or_keep(tmp_path) -> None:
    error = error_of(tmp_path, base(hdr="sdr"))
    assert "watch[0].hdr" in str(error) and "tonemap, keep" in str(error)
