"""Which config file a command reads: -c/--config, $VIDVAR_CONFIG, then vidvar.yaml in
the current folder (where `vidvar init` writes by default), then the user's and the
system's file."""

from __future__ import annotations

import os
from pathlib import Path

from vidvar.errors import ConfigError

SYSTEM_CONFIG = Path("/etc/vidvar/vidvar.yaml")


def default_config_paths() -> list[Path]:
    """Where a config is looked for without -c or $VIDVAR_CONFIG, in order."""
    paths = [Path.cwd() / "vidvar.yaml"]
    if os.geteuid() != 0:
        home = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
        paths.append(Path(home) / "vidvar" / "vidvar.yaml")
    paths.append(SYSTEM_CONFIG)
    return paths


def lookup_finds(target: Path) -> bool:
    """True when a command run here without -c would read `target`."""
    if os.environ.get("VIDVAR_CONFIG"):
        return Path(os.environ["VIDVAR_CONFIG"]).absolute() == target.absolute()
    for candidate in default_config_paths():
        if candidate.exists():
            return candidate.absolute() == target.absolute()
    return False


def find_config_path(explicit: str | None) -> Path:
    """-c/--config, else $VIDVAR_CONFIG, else the first default path that exists;
    ConfigError naming every path tried when there is none."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("VIDVAR_CONFIG")
    if env:
        return Path(env)
    candidates = default_config_paths()
    for candidate in candidates:
        if candidate.exists():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise ConfigError(
        candidates[-1],
        "",
        f"no config file found (tried {tried}); give -c FILE, set VIDVAR_CONFIG, "
        "or write one with `vidvar init`",
    )
