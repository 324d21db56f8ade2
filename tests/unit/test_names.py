"""Properties of names and folders, for arbitrary inputs (hypothesis): output stems are
unique and every derived name fits in 255 bytes; overlapping folders are refused;
unique_destination never returns a taken path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vidvar.beneath import unique_destination
from vidvar.config.schema import WatchConfig
from vidvar.config.topology import check_topology
from vidvar.errors import ConfigError
from vidvar.inbox.disposition import note_path
from vidvar.jobfolder import JobFolder, folder_name, output_name, output_stems
from vidvar.names import NAME_MAX

# Name components as a share delivers them: any text, lone surrogates standing for
# bytes that are not UTF-8, no '/' or NUL, at most 255 bytes.
component = (
    st.text(
        alphabet=st.characters(blacklist_characters="/\0", blacklist_categories=("Cs",))
        | st.sampled_from(["\udcff", "\udcfe", "動", "é", " ", ".", "A", "a"]),
        min_size=1,
        max_size=120,
    )
    .filter(lambda s: s not in (".", ".."))
    .filter(lambda s: len(os.fsencode(s)) <= NAME_MAX)
)
relative_name = st.lists(component, min_size=1, max_size=3).map("/".join)


def fits(path: str) -> bool:
    return all(len(os.fsencode(part)) <= NAME_MAX for part in path.split("/"))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(relative_name, min_size=1, max_size=25, unique=True))
def test_stems_are_unique_without_case_and_every_derived_name_fits(names: list[str]) -> None:
    stems = output_stems(names)
    assert len(stems) == len(names)
    assert len({s.casefold() for s in stems}) == len(stems)
    folder = JobFolder(Path("/out") / folder_name(names[0], "3f9a1c2b7d4e"))
    assert fits(folder.path.name)
    for file_id, stem in enumerate(stems, start=1):
        for variation in (1, 99, 100):
            assert fits(output_name(stem, variation))
            for key in ("9x16", "1x1", "4x5", "16x9"):  # placement formats (config.placement)
                assert fits(output_name(stem, variation, key))
                assert fits(str(folder.temp_output(file_id, variation, key)))
            for path in (
                folder.temp_output(file_id, variation),
                folder.samples(file_id, variation),
                folder.thumbs(file_id, variation),
            ):
                assert fits(path.name)
        assert stem.encode("utf-8")  # valid UTF-8: names vidvar creates show everywhere


@given(st.lists(component, min_size=1, max_size=10))
def test_error_notes_fit_beside_any_source(names: list[str]) -> None:
    for name in names:
        assert fits(note_path(Path("/failed") / name).name)


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(component, min_size=1, max_size=6), component)
def test_unique_destination_never_returns_a_taken_path(
    tmp_path: Path, taken: list[str], wanted: str
) -> None:
    folder = tmp_path / "dest"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    stem, ext = os.path.splitext(wanted)
    for name in {*taken, wanted, f"{stem} (2){ext}", f"{stem} (3){ext}"}:
        try:
            (folder / name).touch()
        except OSError:
            continue  # a name this filesystem refuses: nothing stands there
    chosen = unique_destination(folder / wanted)
    assert not os.path.lexists(chosen)
    assert chosen.parent == folder and fits(chosen.name)


# -- topology ----------------------------------------------------------------------------

ROOT = Path("/srv/share")
folders = st.sampled_from(
    [ROOT / p for p in ("", "in", "in/x", "out", "out/x", "arch", "arch/x", "fail", "other")]
)


def watch(inbox: Path, output: Path, archive: Path, failed: Path, name: str = "a") -> WatchConfig:
    return WatchConfig(
        name=name, inbox=inbox, output=output, archive_dir=archive, failed_dir=failed
    )


def inside(a: Path, b: Path) -> bool:
    return a == b or b in a.parents


@given(folders, folders, folders, folders)
def test_topology_refuses_exactly_the_harmful_layouts(
    inbox: Path, output: Path, archive: Path, failed: Path
) -> None:
    roles = [("inbox", inbox), ("output", output), ("archive", archive), ("failed", failed)]
    harmful = any(
        inside(a, b) or inside(b, a)
        for i, (_ra, a) in enumerate(roles)
        for _rb, b in roles[i + 1 :]
    )
    if harmful:
        with pytest.raises(ConfigError):
            check_topology(Path("vidvar.yaml"), (watch(inbox, output, archive, failed),))
    else:
        check_topology(Path("vidvar.yaml"), (watch(inbox, output, archive, failed),))


@given(folders, folders)
def test_two_hot_folders_never_chain(first_output: Path, second_inbox: Path) -> None:
    assume(not inside(ROOT / "in", first_output) and not inside(first_output, ROOT / "in"))
    one = watch(ROOT / "in", first_output, ROOT / "arch", ROOT / "fail")
    two = watch(second_inbox, ROOT / "other", ROOT / "arch", ROOT / "fail", name="b")
    chained = inside(second_inbox, first_output) or inside(first_output, second_inbox)
    shared = inside(second_inbox, ROOT / "in") or inside(ROOT / "in", second_inbox)
    near = any(
        inside(second_inbox, f) or inside(f, second_inbox)
        for f in (ROOT / "arch", ROOT / "fail", ROOT / "other")
    )
    if chained or shared or near:
        with pytest.raises(ConfigError):
            check_topology(Path("vidvar.yaml"), (one, two))
