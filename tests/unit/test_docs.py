"""The docs site builds with `mkdocs build --strict` (no broken link, no missing page),
and its Reference holds every setting and every command, generated from the code."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support import REPO
from vidvar.cli import COMMANDS
from vidvar.config import schema


def test_the_docs_site_builds_strictly_with_every_setting_and_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    settings = (tmp_path / "reference" / "config" / "index.html").read_text()
    for cls in (schema.WatchConfig, schema.WorkerConfig, schema.WebConfig, schema.ScheduleWindow):
        for f in dataclasses.fields(cls):
            key = f.metadata.get("key") or f.name
            assert re.search(rf"<code>{key}</code>", settings), f"{cls.__name__}.{key}"
    commands = (tmp_path / "reference" / "cli" / "index.html").read_text()
    for name, *_rest in COMMANDS:
        assert f"vidvar {name}</code>" in commands, name


def test_the_readme_is_about_one_screen_and_keeps_the_two_commands() -> None:
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 60
    assert "./dev.sh run " in readme and "./dev.sh test " in readme
    assert "./dev.sh test" in (REPO / ".ci" / "run").read_text()
