"""The admin's side: install and upgrade, the unit, the CLI, logs, packaging — each as a
Linux admin meets it, through the real scripts and the real CLI."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.support import (
    REPO,
    VIDVAR,
    ClipFactory,
    DaemonProcess,
    Workspace,
    run_cli,
    wait_for,
)

pytestmark = pytest.mark.e2e
INSTALL = REPO / "scripts" / "install.sh"
UNIT = REPO / "systemd" / "vidvar.service"


def install(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(INSTALL), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemd-analyze", *args], capture_output=True, text=True, check=False)


# --- install, upgrade, uninstall ------------------------------------------------------------


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One staged install (DESTDIR) for the tests that read it."""
    root = tmp_path_factory.mktemp("staged")
    done = install({"DESTDIR": str(root)})
    assert done.returncode == 0, done.stderr
    return root


def test_a_staged_install_names_its_final_paths_and_keeps_edits_on_upgrade(
    staged: Path,
) -> None:
    venv = staged / "opt" / "vidvar"
    scripts = [p for p in (venv / "bin").iterdir() if p.is_file() and not p.is_symlink()]
    shebangs = {
        p.read_text(errors="replace").splitlines()[0]
        for p in scripts
        if p.read_bytes()[:2] == b"#!"
    }
    assert shebangs == {"#!/opt/vidvar/bin/python"}, shebangs  # not the staging root
    assert os.readlink(staged / "usr" / "local" / "bin" / "vidvar") == "/opt/vidvar/bin/vidvar"
    unit = staged / "usr" / "local" / "lib" / "systemd" / "system" / "vidvar.service"
    dropin = staged / "etc" / "systemd" / "system" / "vidvar.service.d" / "10-install.conf"
    assert "ExecStart=/opt/vidvar/bin/vidvar run -c /etc/vidvar/vidvar.yaml" in unit.read_text()
    assert "ReadWritePaths=-/srv/vidvar/inbox" in dropin.read_text()
    assert "RequiresMountsFor=/srv/vidvar/output" in dropin.read_text()
    version = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "vidvar", "--version"], capture_output=True, text=True
    )
    assert version.returncode == 0 and "vidvar" in version.stdout
    # The admin edits the config and adds a drop-in; an upgrade replaces only the unit.
    config = staged / "etc" / "vidvar" / "vidvar.yaml"
    config.write_text(config.read_text() + "# edited\n")
    own = dropin.with_name("20-mine.conf")
    own.write_text("[Service]\nNice=0\n")
    dropin.write_text(dropin.read_text() + "# mine too\n")
    unit.write_text("stale")
    again = install({"DESTDIR": str(staged)})
    assert again.returncode == 0 and "keeping the existing" in again.stderr
    assert config.read_text().endswith("# edited\n")
    assert own.read_text() == "[Service]\nNice=0\n" and dropin.read_text().endswith("# mine too\n")
    assert unit.read_text() != "stale"
    removed = install({"DESTDIR": str(staged)}, "--uninstall")
    assert removed.returncode == 0
    assert not venv.exists() and not unit.exists()
    assert config.exists() and own.exists()  # config and drop-ins stay; --purge removes them


def _sysroot(tmp_path: Path, extra_group: str = "") -> Path:
    root = tmp_path / "sysroot"
    (root / "etc").mkdir(parents=True)
    for name in ("passwd", "group", "shadow", "gshadow", "login.defs"):
        if Path("/etc", name).exists():
            shutil.copy(Path("/etc", name), root / "etc" / name)
    if extra_group:
        with open(root / "etc" / "group", "a") as handle:
            handle.write(extra_group + "\n")
    return root


@pytest.mark.skipif(os.geteuid() != 0, reason="creates users (in a throwaway root), needs root")
def test_nas_ids_reuse_an_existing_group_and_conflicts_stop_before_any_change(
    tmp_path: Path,
) -> None:
    root = _sysroot(tmp_path)
    assert "users:x:100:" in (root / "etc" / "group").read_text()  # Debian's, as on the issue
    done = install({"SYSROOT": str(root), "VIDVAR_UID": "1026", "VIDVAR_GID": "100"})
    assert done.returncode == 0, done.stderr
    passwd = (root / "etc" / "passwd").read_text()
    assert re.search(r"^vidvar:x:1026:100:", passwd, re.MULTILINE), passwd[-300:]
    assert "vidvar" not in (root / "etc" / "group").read_text().split("users:x:100:")[0][-50:]
    dropin = root / "etc" / "systemd" / "system" / "vidvar.service.d" / "10-install.conf"
    assert "User=vidvar\nGroup=users\n" in dropin.read_text()
    assert (root / "var" / "lib" / "vidvar").stat().st_uid == 1026
    # A group called vidvar with other ids than asked: stop, and touch nothing.
    clash = _sysroot(tmp_path / "clash", extra_group="vidvar:x:555:")
    refused = install({"SYSROOT": str(clash), "VIDVAR_GID": "777"})
    assert refused.returncode == 1 and "group vidvar exists with gid 555" in refused.stderr
    assert not (clash / "opt").exists() and "vidvar" not in (clash / "etc" / "passwd").read_text()


def test_install_script_help_is_its_header_only() -> None:
    done = install({}, "--help")
    assert done.returncode == 0
    assert "set -euo" not in done.stdout and done.stdout.startswith("Install vidvar")


# --- the unit ------------------------------------------------------------------------------------


def test_the_unit_passes_verify_scores_2_or_lower_and_says_what_admins_expect(
    tmp_path: Path,
) -> None:
    vidvar = Path(shutil.which("vidvar") or REPO / ".venv" / "bin" / "vidvar")
    unit = tmp_path / "vidvar.service"
    unit.write_text(UNIT.read_text().replace("/opt/vidvar/bin/vidvar", str(vidvar)))
    verify = analyze("verify", str(unit))
    assert verify.returncode == 0 and "vidvar.service" not in verify.stderr, verify.stderr
    security = analyze("security", "--offline=true", str(unit))
    found = re.search(r"Overall exposure level for vidvar\.service: ([0-9.]+)", security.stdout)
    assert found and float(found.group(1)) <= 2.0, security.stdout[-500:]
    text = UNIT.read_text()
    for setting in (
        "Type=notify",
        "RestartPreventExitStatus=78",
        "ExecReload=/opt/vidvar/bin/vidvar check-config --quiet -c /etc/vidvar/vidvar.yaml\n"
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Nice=10",
        "IOSchedulingClass=idle",
        "KillMode=mixed",
        "ProtectSystem=strict",
        "CapabilityBoundingSet=\n",
    ):
        assert setting in text, setting
    assert "DynamicUser=" not in text


def test_reload_is_signalled_and_a_rejected_one_says_so(
    workspace: Workspace, daemon_factory: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify.sock"))
    sock.settimeout(30)
    daemon = daemon_factory(
        workspace.config_path, env={"NOTIFY_SOCKET": str(tmp_path / "notify.sock")}
    )

    def next_message(prefix: str) -> str:
        while True:
            message = sock.recv(4096).decode()
            if message.startswith(prefix):
                return message

    assert next_message("READY=1")
    daemon.signal(signal.SIGHUP)
    assert "MONOTONIC_USEC=" in next_message("RELOADING=1")
    assert "STATUS=watching ads" in next_message("READY=1")
    workspace.config_path.write_text("watch: [")
    daemon.signal(signal.SIGHUP)
    next_message("RELOADING=1")
    assert "STATUS=reload rejected" in next_message("READY=1")
    # What ExecReload runs first: the bad config fails the reload with the reason.
    checked = run_cli("check-config", "--quiet", config=workspace.config_path)
    assert checked.returncode == 78 and "YAML syntax error" in checked.stderr
    sock.close()


# --- the CLI ---------------------------------------------------------------------------------


def test_bare_vidvar_prints_help_and_every_help_is_wrapped_with_examples() -> None:
    bare = subprocess.run(VIDVAR, capture_output=True, text=True, cwd=REPO)
    assert bare.returncode == 0 and "COMMAND" in bare.stdout and not bare.stderr
    for command in (
        "run",
        "worker",
        "status",
        "enqueue",
        "retry",
        "cancel",
        "check-config",
        "init",
        "health",
        "completion",
    ):
        shown = subprocess.run(
            [*VIDVAR, command, "--help"], capture_output=True, text=True, cwd=REPO
        )
        assert shown.returncode == 0
        assert "examples:" in shown.stdout, command
        assert max(len(line) for line in shown.stdout.splitlines()) <= 100, command


def test_global_options_work_before_or_after_the_subcommand(workspace: Workspace) -> None:
    before = subprocess.run(
        [*VIDVAR, "-c", str(workspace.config_path), "--json", "status"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    after = run_cli("status", "--json", config=workspace.config_path)
    assert before.returncode == after.returncode == 0
    assert json.loads(before.stdout)["jobs"] == json.loads(after.stdout)["jobs"] == []


def test_errors_go_to_stderr_as_json_with_json_and_a_closed_pipe_is_quiet(
    workspace: Workspace, clips: ClipFactory
) -> None:
    done = run_cli("status", "zzz", config=workspace.config_path)
    assert done.returncode == 1 and not done.stdout and "vidvar:" in done.stderr
    done = run_cli("status", "zzz", "--json", config=workspace.config_path)
    assert done.returncode == 1 and not done.stdout
    assert "error" in json.loads(done.stderr)
    for i in range(30):
        run_cli(
            "enqueue", str(clips.make(workspace.root / f"c{i}.mp4")), config=workspace.config_path
        )
    piped = subprocess.run(
        f"{' '.join(VIDVAR)} status -c {workspace.config_path} | head -1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert piped.returncode == 0 and piped.stderr == "", piped.stderr


def test_ambiguous_prefixes_limit_zero_output_folders_and_force(
    workspace: Workspace, clips: ClipFactory, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    from vidvar.config import load_config
    from vidvar.inbox.intake import make_job
    from vidvar.store import open_store

    config = load_config(workspace.config_path)
    store = open_store(config.database)
    for job_id in ("abc111111111", "abc222222222"):
        path = clips.make(workspace.root / f"{job_id}.mp4")
        new = make_job(config.watches[0], path, [path], job_id, origin="manual")
        store.enqueue(new.__class__(**{**new.__dict__, "id": job_id}))
    store.close()
    done = run_cli("cancel", "abc", config=workspace.config_path)
    assert done.returncode == 1 and "abc111111111" in done.stderr and "abc222222222" in done.stderr
    limited = run_cli("status", "--limit", "0", config=workspace.config_path)
    assert "jobs: 2 queued" in limited.stdout and "no jobs yet" not in limited.stdout
    workspace.output.mkdir(exist_ok=True)
    refused = run_cli("enqueue", str(workspace.output), config=workspace.config_path)
    assert refused.returncode == 1 and "not queued as new sources" in refused.stderr
    # A file done once says so, and --force makes new variations of it.
    run_cli("cancel", "abc1", config=workspace.config_path)
    run_cli("cancel", "abc2", config=workspace.config_path)
    source = clips.make(workspace.root / "done.mp4")
    assert run_cli("enqueue", str(source), config=workspace.config_path).returncode == 0
    daemon_factory(workspace.config_path)
    wait_for(
        lambda: "completed" in run_cli("status", config=workspace.config_path).stdout,
        timeout=90,
        what="the job to complete",
    )
    again = run_cli("enqueue", str(source), config=workspace.config_path)
    assert "already done (completed; --force queues it again)" in again.stdout
    forced = run_cli("enqueue", str(source), "--force", "--json", config=workspace.config_path)
    assert json.loads(forced.stdout)["jobs"][0]["created"] is True


def test_shell_completion_scripts_are_valid(tmp_path: Path) -> None:
    done = subprocess.run([*VIDVAR, "completion", "bash"], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0 and "check-config" in done.stdout
    script = tmp_path / "vidvar.bash"
    script.write_text(done.stdout)
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    zsh = subprocess.run([*VIDVAR, "completion", "zsh"], capture_output=True, text=True, cwd=REPO)
    assert zsh.returncode == 0 and "#compdef vidvar" in zsh.stdout


def test_the_config_is_found_in_the_user_s_home_and_a_missing_one_names_every_place(
    workspace: Workspace,
) -> None:
    home = Path(tempfile.mkdtemp(prefix="vidvar-home-", dir="/tmp"))
    try:
        home.chmod(0o755)
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": ""}
        env.pop("VIDVAR_CONFIG", None)
        missing = subprocess.run(
            [*nobody, *VIDVAR, "check-config"], capture_output=True, text=True, env=env, cwd=REPO
        )
        assert missing.returncode == 78
        assert f"{home}/.config/vidvar/vidvar.yaml" in missing.stderr
        assert "/etc/vidvar/vidvar.yaml" in missing.stderr and "vidvar init" in missing.stderr
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_status_answers_with_the_share_unmounted(workspace: Workspace) -> None:
    workspace.inbox.rmdir()
    done = run_cli("status", config=workspace.config_path)
    assert done.returncode == 0 and "inbox" in done.stderr and "missing" in done.stderr
    run = run_cli("check-config", config=workspace.config_path)
    assert run.returncode == 78  # what the daemon would start with is still checked


def test_init_writes_the_example_and_creates_its_folders(tmp_path: Path) -> None:
    done = subprocess.run(
        [*VIDVAR, "init", str(tmp_path / "cfg"), "--share", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for folder in ("inbox", "output", "archive", "failed"):
        assert (tmp_path / "data" / folder).is_dir()
    assert (tmp_path / "cfg" / "state").is_dir()
    checked = run_cli("check-config", "--json", config=tmp_path / "cfg" / "vidvar.yaml")
    assert json.loads(checked.stdout)["watch"][0]["inbox"] == str(tmp_path / "data" / "inbox")
    again = subprocess.run(
        [*VIDVAR, "init", str(tmp_path / "cfg")], capture_output=True, text=True, cwd=REPO
    )
    assert again.returncode == 0 and "kept the existing" in again.stdout


# --- ffmpeg, health, logs ----------------------------------------------------------------


def test_a_missing_ffmpeg_is_a_configuration_error_and_never_ready(
    workspace: Workspace, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    env = {"VIDVAR_FFMPEG": "/nonexistent/ffmpeg"}
    daemon = daemon_factory(workspace.config_path, env=env)
    assert daemon.wait(timeout=30) == 78
    log = daemon.log_path.read_text()
    assert "apt-get install ffmpeg" in log and "VIDVAR_FFMPEG" in log
    assert not daemon.saw("ready")
    checked = run_cli("check-config", config=workspace.config_path, env=env)
    assert checked.returncode == 78 and "apt-get install ffmpeg" in checked.stderr


def test_health_follows_the_daemon(
    workspace: Workspace, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    assert run_cli("health", config=workspace.config_path).returncode == 1
    daemon = daemon_factory(workspace.config_path)
    wait_for(
        lambda: run_cli("health", config=workspace.config_path).returncode == 0,
        timeout=30,
        what="health to pass",
    )
    daemon.signal(signal.SIGKILL)
    daemon.wait()
    wait_for(
        lambda: run_cli("health", config=workspace.config_path).returncode == 1,
        timeout=60,
        what="health to fail once the heartbeat is stale",
    )


def test_under_journald_each_line_carries_its_priority(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.data["distinctness"] = {"min_distance": 2}  # deprecated: a warning line
    workspace.write()
    log = tmp_path / "journal"
    with open(log, "wb") as stream:
        st = os.fstat(stream.fileno())
        proc = subprocess.Popen(
            [*VIDVAR, "run", "-c", str(workspace.config_path)],
            stdout=stream,
            stderr=stream,
            cwd=REPO,
            env={**os.environ, "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"},
        )
        wait_for(lambda: '"ready"' in log.read_text(), what="ready")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert all(re.match(r"^<[0-7]>", line) for line in lines), lines[:3]
    assert any(line.startswith("<4>") and "deprecated" in line for line in lines)
    assert any(line.startswith("<6>") and '"ready"' in line for line in lines)


def test_no_color_turns_colours_off_on_a_terminal(workspace: Workspace) -> None:
    workspace.data["logging"] = {"level": "info", "format": "auto"}
    workspace.write()

    def run_on_a_tty(env: dict[str, str]) -> bytes:
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(REPO)
            os.execve(
                sys.executable,
                [*VIDVAR, "run", "-c", str(workspace.config_path)],
                {**os.environ, **env},
            )
        out = b""
        while b"ready" not in out:
            out += os.read(fd, 65536)
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        return out

    assert b"\x1b[" in run_on_a_tty({})
    assert b"\x1b[" not in run_on_a_tty({"NO_COLOR": "1"})


# --- packaging ------------------------------------------------------------------------------


def test_the_wheel_installs_with_pipx_and_runs_with_sqlite_only(
    tmp_path: Path, clips: ClipFactory
) -> None:
    shutil.rmtree(REPO / "build", ignore_errors=True)
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(wheels), str(REPO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = wheels.glob("vidvar-*.whl")
    home = tmp_path / "home"
    env = {
        **os.environ,
        "HOME": str(home),
        "PIPX_HOME": str(home / "pipx"),
        "PIPX_BIN_DIR": str(home / "bin"),
        "PIPX_MAN_DIR": str(home / "man"),
    }
    pipx = [sys.executable, "-m", "pipx"]
    done = subprocess.run([*pipx, "install", str(wheel)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    vidvar = home / "bin" / "vidvar"
    python = home / "pipx" / "venvs" / "vidvar" / "bin" / "python"
    assert (
        subprocess.run([str(python), "-c", "import psycopg"], capture_output=True).returncode != 0
    )
    work = tmp_path / "work"
    init = subprocess.run([str(vidvar), "init", str(work)], env=env, capture_output=True, text=True)
    assert init.returncode == 0, init.stdout + init.stderr
    config = work / "vidvar.yaml"
    data = yaml.safe_load(config.read_text())
    data["watch"][0].update(settle_seconds=0.3, variations=2)
    config.write_text(yaml.safe_dump(data))
    daemon = subprocess.Popen(
        [str(vidvar), "run", "-c", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        clips.make(work / "share" / "inbox" / "clip.mp4")
        wait_for(
            lambda: list((work / "share" / "archive").glob("clip.mp4")),
            timeout=120,
            what="the clip to be processed and archived",
        )
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0


def test_init_then_status_in_the_same_folder_finds_the_config(tmp_path: Path) -> None:
    env = {"VIDVAR_CONFIG": "", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "x")}
    made = run_cli("init", cwd=tmp_path, env=env)
    assert made.returncode == 0 and "ready: vidvar run\n" in made.stdout, made.stdout
    assert (tmp_path / "vidvar.schema.json").is_file()
    shown = run_cli("status", cwd=tmp_path, env=env)
    assert shown.returncode == 0, shown.stderr
    # Written elsewhere, init says how to point commands at it.
    other = run_cli("init", str(tmp_path / "elsewhere"), cwd=tmp_path / "share", env=env)
    target = tmp_path / "elsewhere" / "vidvar.yaml"
    assert f"vidvar run -c {target}" in other.stdout and f"VIDVAR_CONFIG={target}" in other.stdout


def test_completion_offers_the_ids_of_recent_jobs_in_bash_and_fish(
    workspace: Workspace, clips: ClipFactory, tmp_path: Path
) -> None:
    clip = clips.make(tmp_path / "ad.mp4", seconds=1)
    queued = run_cli("enqueue", str(clip), "--json", config=workspace.config_path)
    [job_id] = [j["job_id"] for j in json.loads(queued.stdout)["jobs"]]
    bin_dir = Path(VIDVAR[0]).parent
    env = {**os.environ, "VIDVAR_CONFIG": str(workspace.config_path)}
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    script = run_cli("completion", "bash").stdout
    offered = subprocess.run(
        ["bash", "-c", f'{script}\n_vidvar_job_ids "{job_id[:3]}"'],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert offered.stdout.split() == [job_id]
    fish = run_cli("completion", "fish").stdout
    assert '-ka "(vidvar status --ids 2>/dev/null)"' in fish and "-a pause" in fish


def test_vidvar_web_on_a_busy_port_says_so_in_one_sentence_and_exits_69(
    workspace: Workspace,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_cli("web", "--port", str(port), config=workspace.config_path, timeout=30)
    assert done.returncode == 69
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "Traceback" not in done.stderr and "Errno" not in done.stderr
