"""A dropped folder's own vidvar.yaml can never stall a scan: whatever it holds, the
batch is queued and fails with a note, and the other drops go on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import ClipFactory, DaemonProcess, Workspace, wait_for


def bomb(levels: int = 7) -> str:
    """A "billion laughs" under `variations:`: each level lists the one before ten
    times (a million leaves at 7 levels, a billion at 10)."""
    lines = ["variations:", '  - &a0 ["lol"]']
    for n in range(1, levels):
        lines.append(f"  - &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


BAD = {
    "profile-list": "profile: [a, b]\n",
    "complex-key": "? [a, b]\n: 1\n",
    "bomb": bomb(),
    "huge": "variations: 3\n" + "# padding\n" * 600_000,
    "not-text": "variations: \udcff\n",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_batch_file_gives_a_short_problem_never_an_exception(
    workspace: Workspace, name: str, tmp_path: Path
) -> None:
    from vidvar.config import load_config
    from vidvar.inbox.intake import BATCH_CONFIG, batch_settings

    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / BATCH_CONFIG).write_bytes(BAD[name].encode("utf-8", "surrogateescape"))
    settings = batch_settings(folder, load_config(workspace.config_path))
    assert settings.problem is not None
    assert settings.problem.startswith("the folder's vidvar.yaml is not usable")
    assert len(settings.problem) < 400, settings.problem[:400]


@pytest.mark.e2e
def test_bad_batch_files_fail_their_batches_and_the_scan_goes_on(
    workspace: Workspace,
    clips: ClipFactory,
    daemon_factory: Callable[..., DaemonProcess],
    tmp_path: Path,
) -> None:
    staging = tmp_path / "staging"
    for name, text in BAD.items():
        clips.make(staging / name / "a.mp4")
        (staging / name / "vidvar.yaml").write_bytes(text.encode("utf-8", "surrogateescape"))
    daemon = daemon_factory(workspace.config_path)
    wait_for(lambda: daemon.saw("ready"), what="ready")
    for name in BAD:
        (staging / name).rename(workspace.inbox / name)
    clips.make(workspace.inbox / "good.mp4")
    wait_for(
        lambda: (
            len(s := workspace.statuses()) == len(BAD) + 1
            and all(x["state"] in ("completed", "failed") for x in s)
        ),
        timeout=120,
        what="every drop to end",
    )
    states = {
        s["files"][0]["name"] if s["files"] else "?": s["state"] for s in workspace.statuses()
    }
    assert states.pop("good.mp4") == "completed"
    assert set(states.values()) == {"failed"}
    for name in BAD:
        wait_for(lambda n=name: (workspace.failed / n / "a.mp4").exists(), what=f"{name} moved")
        note = (workspace.failed / name / "a.mp4.error.txt").read_text()
        assert "vidvar.yaml is not usable" in note
    assert not daemon.saw("watcher tick failed")
