"""Config validation: every class of error names file, key path and what was expected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import run_cli
from vidvar.config import ConfigError, load_config, parse_config


def write(tmp_path: Path, data: Any) -> Path:
    (tmp_path / "in").mkdir(exist_ok=True)
    path = tmp_path / "vidvar.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def base(**watch: Any) -> dict[str, Any]:
    entry = {"inbox": "in", "output": "out", **watch}
    return {"database": "db/v.db", "watch": [entry]}


def error_of(tmp_path: Path, data: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, data))
    return info.value


def test_minimal_config_gets_defaults_and_resolves_relative_paths(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, base()))
    watch = config.watches[0]
    assert watch.inbox == tmp_path / "in"
    assert watch.output == tmp_path / "out"
    assert watch.name == "in"
    assert watch.variations == 5 and watch.settle_seconds == 10
    assert watch.archive_dir == tmp_path / "archive"
    assert config.database == str(tmp_path / "db" / "v.db")
    assert "default" in config.profiles and "default" in config.encoders


@pytest.mark.parametrize(
    ("data", "key", "words"),
    [
        ({**base(), "bogus": 1}, "bogus", "unknown key"),
        (base(colour="red"), "watch[0].colour", "unknown key"),
        (base(variations=0), "watch[0].variations", "at least 1"),
        (base(variations="five"), "watch[0].variations", "expected a whole number, found text"),
        (base(settle_seconds=-1), "watch[0].settle_seconds", "at least 0"),
        (base(observer="inotify"), "watch[0].observer", "expected one of auto, native, polling"),
        (base(on_success="shred"), "watch[0].on_success", "archive, delete, keep"),
        (base(profile="nope"), "watch[0].profile", "expected one of the profiles"),
        ({"watch": [{"output": "out"}]}, "watch[0].inbox", "missing"),
        ({"watch": [{"inbox": "in"}]}, "watch[0].output", "missing"),
        ({"watch": []}, "watch", "one or more hot folders"),
        (base(inbox="nowhere"), "watch[0].inbox", "expected an existing folder"),
        (base(output="in"), "watch[0].output", "must not be the same folder as watch[0].inbox"),
        (base(output="in/out"), "watch[0].output", "watch[0].output is inside watch[0].inbox"),
        (base(archive_dir="in/done"), "watch[0].archive_dir", "archive_dir is inside"),
        ({**base(), "worker": {"fanout": 0}}, "worker.fanout", "at least 1"),
        ({**base(), "database": "mysql://x"}, "database", "SQLite file path or postgresql"),
        ({**base(), "encoders": {"x": {"crf": 99}}}, "encoders.x.crf", "at most 51"),
        (
            {**base(), "encoders": {"x": {"max_bitrate": "fast"}}},
            "encoders.x.max_bitrate",
            "bitrate",
        ),
        (
            {**base(), "profiles": {"p": {"effects": {"sparkle": {}}}}},
            "profiles.p.effects.sparkle",
            "unknown effect",
        ),
        (
            {**base(), "profiles": {"p": {"effects": {"hue": {"range": [5, 1]}}}}},
            "profiles.p.effects.hue.range",
            "low <= high",
        ),
    ],
)
def test_each_error_names_key_and_expectation(
    tmp_path: Path, data: Any, key: str, words: str
) -> None:
    error = error_of(tmp_path, data)
    assert error.key == key
    assert words in error.problem
    assert str(tmp_path / "vidvar.yaml") in str(error)


def test_second_watch_error_names_its_index(tmp_path: Path) -> None:
    (tmp_path / "in2").mkdir()
    data = base()
    data["watch"].append({"inbox": "in2", "output": "out2", "variations": -3})
    assert error_of(tmp_path, data).key == "watch[1].variations"


def test_yaml_syntax_error_shows_line_and_column(tmp_path: Path) -> None:
    error = error_of(tmp_path, "watch:\n  - inbox: in\n    output: [out\n")
    assert (error.line, error.column) == (4, 1) and ":4:1: " in str(error)


def test_sqlite_on_network_filesystem_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(f"//nas/share {tmp_path / 'nas'} cifs rw 0 0\n/dev/vda / ext4 rw 0 0\n")
    (tmp_path / "in").mkdir()
    (tmp_path / "nas").mkdir()
    from vidvar import mounts as mounts_module

    original = mounts_module.read_mounts
    monkeypatch.setattr(mounts_module, "read_mounts", lambda _f="": original(str(mounts)))
    with pytest.raises(ConfigError) as info:
        parse_config(
            {"database": "nas/v.db", "watch": [{"inbox": "in", "output": "out"}]},
            tmp_path / "vidvar.yaml",
        )
    assert info.value.key == "database"
    assert "network filesystem" in info.value.problem


@pytest.mark.e2e
def test_check_config_exit_codes(tmp_path: Path) -> None:
    good = write(tmp_path, base())
    done = run_cli("check-config", config=good)
    assert done.returncode == 0, done.stderr
    printed = yaml.safe_load(done.stdout)
    assert printed["watch"][0]["inbox"] == str(tmp_path / "in")
    bad = write(tmp_path, base(variations=0))
    done = run_cli("check-config", config=bad)
    assert done.returncode == 78
    assert "watch[0].variations" in done.stderr and str(bad) in done.stderr


@pytest.mark.e2e
def test_config_found_through_environment(tmp_path: Path) -> None:
    path = write(tmp_path, base())
    done = run_cli("check-config", env={"VIDVAR_CONFIG": str(path)})
    assert done.returncode == 0
    assert str(tmp_path / "in") in done.stdout


def test_example_config_is_valid(tmp_path: Path) -> None:
    from tests.support import REPO

    text = (REPO / "config" / "vidvar.yaml").read_text()
    target = tmp_path / "config"
    target.mkdir()
    (target / "share" / "inbox").mkdir(parents=True)
    (target / "vidvar.yaml").write_text(text)
    config = load_config(target / "vidvar.yaml")
    assert config.watches[0].inbox == target / "share" / "inbox"
    assert {"default", "subtle"} <= set(config.profiles)
    assert config.encoders["adplatform"].max_bitrate == "2500k"


def test_fanout_shrinks_for_big_frames_to_bound_memory() -> None:
    from vidvar.config import WorkerConfig

    worker = WorkerConfig()
    assert worker.group_size(1280, 720) == 5
    assert worker.group_size(1920, 1080) == 5
    assert worker.group_size(2560, 1440) == 2
    assert worker.group_size(3840, 2160) == 1
    assert WorkerConfig(fanout=3).group_size(640, 360) == 3


@pytest.mark.parametrize(
    ("cores", "memory_gib", "expected"),
    [
        (1, 64, 2),  # a second file fills the gaps of the first (probe, verify, measure)
        (2, 24, 3),  # one ffmpeg keeps 1.6 of 2 cores busy; three keep 98 % busy
        (2, 3, 1),  # two 1.3 GB fan-outs would take over half of 3 GiB
        (2, 6, 2),
        (8, 32, 3),
        (16, 64, 4),  # one file per 4 cores on big machines
        (16, 4, 1),
        (4, None, 3),  # no /proc/meminfo: by the cores alone
    ],
)
def test_files_at_once_default_follows_cores_and_memory(
    cores: int, memory_gib: int | None, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vidvar import machine
    from vidvar.config import WorkerConfig

    monkeypatch.setattr(machine, "cores", lambda: cores)
    monkeypatch.setattr(
        machine, "memory_bytes", lambda: None if memory_gib is None else memory_gib * 2**30
    )
    assert WorkerConfig().files_at_once() == expected
    assert WorkerConfig(concurrency=3).files_at_once() == 3  # said outright: kept


def test_encoders_share_the_cores_of_files_encoded_at_once() -> None:
    from vidvar.ffmpeg.commands import fanout_threads

    assert fanout_threads(1) == 0  # one output owning the machine: x264 decides
    assert fanout_threads(5, cores=2) == 2
    assert fanout_threads(5, cores=8) == 3  # 1.5 threads per core between five encoders
    assert fanout_threads(1, cores=4) == 6  # one output of a file sharing the machine


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        (
            "watch:\n  - inbox: in\n    output: out\n    settle_seconds: .inf\n",
            "settle_seconds",
            "finite",
        ),
        (
            "watch:\n  - inbox: in\n    output: out\nworker:\n  stall_seconds: .nan\n",
            "stall_seconds",
            "finite",
        ),
        (
            "watch:\n  - inbox: in\n    output: out\n    variations: 2\n    variations: 9\n",
            "",
            "duplicate key 'variations'",
        ),
        (
            "database: a.db\ndatabase: b.db\nwatch: {inbox: in, output: out}\n",
            "",
            "duplicate key 'database'",
        ),
    ],
)
def test_non_finite_numbers_and_duplicate_keys_are_errors(
    tmp_path: Path, text: str, key: str, words: str
) -> None:
    error = error_of(tmp_path, text)
    assert error.key.endswith(key)
    assert words in error.problem


def test_a_folder_as_database_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    error = error_of(tmp_path, {**base(), "database": "db"})
    assert error.key == "database" and "found a folder" in error.problem


@pytest.mark.e2e
def test_the_old_name_of_min_sibling_distance_is_read_with_a_warning(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, {**base(), "distinctness": {"min_distance": 3}}))
    assert config.distinctness.min_sibling_distance == 3
    assert any("min_sibling_distance" in w for w in config.warnings)
    done = run_cli("check-config", config=tmp_path / "vidvar.yaml")
    assert done.returncode == 0 and "deprecated" in done.stderr


@pytest.mark.e2e
def test_check_config_prints_a_config_that_loads_as_the_same(tmp_path: Path) -> None:
    data = base(variations=3, on_success="delete")
    data["profiles"] = {"calm": {"min_distance": 0.05, "effects": {"hue": {"range": [-2, 2]}}}}
    data["encoders"] = {"adplatform": {"fps": 29.97, "max_bitrate": "2500k"}}
    original = load_config(write(tmp_path, data))
    done = run_cli("check-config", config=tmp_path / "vidvar.yaml")
    assert done.returncode == 0, done.stderr
    again = tmp_path / "again.yaml"
    again.write_text(done.stdout)
    assert load_config(again) == original


@pytest.mark.e2e
def test_passwords_are_never_printed(tmp_path: Path) -> None:
    url = "postgresql://vidvar:s3cret-pw@127.0.0.1:1/vidvar"
    done = run_cli("check-config", config=write(tmp_path, {**base(), "database": url}))
    assert done.returncode == 0, done.stderr
    assert "s3cret-pw" not in done.stdout + done.stderr
    assert yaml.safe_load(done.stdout)["database"] == "postgresql://vidvar:***@127.0.0.1:1/vidvar"
    bad = "mysql://root:hunter22@db/x"
    done = run_cli("check-config", config=write(tmp_path, {**base(), "database": bad}))
    assert done.returncode == 78 and "hunter22" not in done.stderr + done.stdout


def test_environment_overrides_the_one_hot_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDVAR_VARIATIONS", "7")
    monkeypatch.setenv("VIDVAR_SETTLE_SECONDS", "2.5")
    monkeypatch.setenv("VIDVAR_LOG_LEVEL", "debug")
    config = load_config(write(tmp_path, base(variations=3)))
    assert config.watches[0].variations == 7 and config.watches[0].settle_seconds == 2.5
    assert config.logging.level == "debug"
    monkeypatch.setenv("VIDVAR_VARIATIONS", "lots")
    error = error_of(tmp_path, base())
    assert error.key == "watch[0].variations" and "VIDVAR_VARIATIONS" in error.problem
    monkeypatch.setenv("VIDVAR_VARIATIONS", "4")
    (tmp_path / "in2").mkdir()
    two = base()
    two["watch"].append({"inbox": "in2", "output": "out2"})
    error = error_of(tmp_path, two)
    assert "one hot folder" in error.problem and "has 2" in error.problem


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("worker", "lease_seconds"),
        ("worker", "stall_seconds"),
        ("retention", "check_interval"),
        ("retention", "job_days"),
    ],
)
def test_numbers_no_timer_can_take_are_refused(tmp_path: Path, section: str, key: str) -> None:
    data = base()
    data[section] = {key: 1.0e308}
    error = error_of(tmp_path, data)
    assert error.key == f"{section}.{key}" and "at most" in error.problem, error


def test_webhook_urls_are_shown_without_their_secrets(tmp_path: Path) -> None:
    data = base()
    data["notify"] = {
        "webhooks": [
            {"url": "https://user:pa55@hooks.example/in?token=abc123"},
            {"url": "https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX"},
            {"url": "https://discord.com/api/webhooks/123456789012345678/aBcDeFgHiJkLmNoPqRsTuV"},
            {"url": "https://hooks.example/services/xoxb-t0ken"},  # short, but not a word
        ]
    }
    done = run_cli("check-config", config=write(tmp_path, data))
    assert done.returncode == 0, done.stderr
    secrets = ("pa55", "abc123", "XXXXXXXXXXXXXXXXXXXXXXXX", "aBcDeFgHiJkLmNoPqRsTuV", "t0ken")
    for secret in secrets:
        assert secret not in done.stdout
    assert "hooks.slack.com/services" in done.stdout and "discord.com/api/webhooks" in done.stdout


THREE_WRONG = """\
database: db/v.db
watch:
  - inbox: in
    output: out
    variations: 500
    varations: 3
web:
  port: 99999
"""


def test_every_error_of_a_file_is_told_in_one_run_with_its_line_and_column(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, THREE_WRONG)
    done = run_cli("check-config", config=path)
    assert done.returncode == 78
    assert "3 configuration errors" in done.stderr
    assert f"{path}:5:5: watch[0].variations: expected a whole number of at most 100" in done.stderr
    assert f"{path}:6:5: watch[0].varations: unknown key; did you mean 'variations'?" in done.stderr
    assert f"{path}:8:3: web.port: expected a whole number of at most 65535" in done.stderr


def test_an_unknown_key_far_from_any_known_one_lists_what_is_allowed(tmp_path: Path) -> None:
    error = error_of(tmp_path, "zzz: 1\nwatch: {inbox: in, output: out}\n")
    assert error.key == "zzz" and "expected one of: database, distinctness" in error.problem
    assert (error.line, error.column) == (1, 1)


@pytest.mark.parametrize(
    ("text", "plain", "line"),
    [
        ("watch:\n  - inbox: in\n  output: out\n", "indented differently", 3),
        ("watch:\n  inbox: in\n   output: out\n", "indented too far", 3),
        ("watch:\n\t- inbox: in\n", "a tab; YAML indents with spaces only", 2),
        ('watch: [{inbox: "in}]\n', "opened and never closed", 2),
    ],
)
def test_yaml_mistakes_are_told_in_plain_words_with_their_line(
    tmp_path: Path, text: str, plain: str, line: int
) -> None:
    error = error_of(tmp_path, text)
    assert "YAML syntax error" in error.problem and plain in error.problem
    assert "<block" not in error.problem and error.line == line


def test_schedule_windows_are_read_and_checked(tmp_path: Path) -> None:
    windows = [{"days": "mon-fri", "from": "19:00", "to": "07:00"}, {"days": "sat,sun"}]
    config = load_config(write(tmp_path, {**base(), "schedule": windows}))
    assert [(w.days, w.start, w.end) for w in config.schedule] == [
        ("mon-fri", "19:00", "07:00"),
        ("sat,sun", "00:00", "24:00"),
    ]
    dumped = run_cli("check-config", "--json", config=tmp_path / "vidvar.yaml")
    assert json.loads(dumped.stdout)["schedule"][0] == windows[0]
    wrong = [{"days": "weekdays", "from": "25:00"}]
    error = error_of(tmp_path, {**base(), "schedule": wrong})
    told = {e.key for e in getattr(error, "errors", [error])}
    assert told == {"schedule[0].days", "schedule[0].from"}


def test_every_web_setting_is_reachable_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vidvar.web.security import hash_password

    hashed = hash_password("a long password")
    tokens = ["a" * 64, "b" * 64]
    monkeypatch.setenv("VIDVAR_WEB_HOST", "0.0.0.0")
    monkeypatch.setenv("VIDVAR_WEB_PORT", "9000")
    monkeypatch.setenv("VIDVAR_WEB_PASSWORD_HASH", hashed)
    monkeypatch.setenv("VIDVAR_WEB_API_TOKENS", ",".join(tokens))
    monkeypatch.setenv("VIDVAR_WEB_MAX_UPLOAD_MB", "512")
    monkeypatch.setenv("VIDVAR_WEB_WITH_RUN", "true")
    web = load_config(write(tmp_path, base())).web
    assert (web.host, web.port, web.password_hash) == ("0.0.0.0", 9000, hashed)
    assert web.api_tokens == tuple(tokens) and web.max_upload_mb == 512 and web.with_run
    monkeypatch.setenv("VIDVAR_WEB_PORT", "99999")
    error = error_of(tmp_path, base())
    assert error.key == "web.port" and "VIDVAR_WEB_PORT" in error.problem
