#!/usr/bin/env bash
# Set-up and everyday commands. Each installs what is missing first:
#   ./dev.sh run      the daemon on var/inbox → var/output (SQLite in var/state)
#   ./dev.sh test     ruff, mypy and the whole test suite (real ffmpeg, SQLite, PostgreSQL)
#   ./dev.sh test -m "not e2e"   the fast lane: everything but the CLI/daemon subprocesses
#   ./dev.sh sample   drop a generated test clip into var/inbox
#   ./dev.sh bench    the benchmarks (docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"

say() { printf '==> %s\n' "$*" >&2; }
is_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
    # Installs Debian packages when root; otherwise says exactly what is missing.
    if is_root && command -v apt-get >/dev/null; then
        if [ ! -f /tmp/.vidvar-apt-updated ]; then
            apt-get update -qq && touch /tmp/.vidvar-apt-updated
        fi
        say "installing $*"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    else
        echo "missing: $*. Install it with: sudo apt-get install $*" >&2
        exit 1
    fi
}

need_python() {
    if ! command -v python3 >/dev/null; then apt_install python3 python3-venv; fi
    python3 - <<'PY' || { echo "vidvar needs Python 3.11 or newer" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY
}

need_ffmpeg() {
    command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || apt_install ffmpeg
}

need_postgres() {
    # Tests start their own throwaway server from the binaries; no service is used.
    ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || apt_install postgresql
}

need_systemd_tools() {
    command -v systemd-analyze >/dev/null || apt_install systemd
}

need_browser() {
    # Debian's Chromium and its driver for tests/e2e/test_browser.py (nothing is downloaded
    # at run time); without root that test says why it skips.
    if is_root && ! command -v chromedriver >/dev/null; then
        apt_install chromium chromium-driver
    fi
    # axe-core, the accessibility checker the browser test injects into each page, from
    # the npm registry into .cache/ (kept between runs).
    if command -v npm >/dev/null && [ ! -f .cache/axe/node_modules/axe-core/axe.min.js ]; then
        say "axe-core from the npm registry"
        npm install --silent --no-audit --no-fund --prefix .cache/axe axe-core@4 >/dev/null
    fi
    if is_root && ! command -v npm >/dev/null; then
        apt_install npm
        npm install --silent --no-audit --no-fund --prefix .cache/axe axe-core@4 >/dev/null
    fi
}

need_container_tools() {
    # podman (with runc) builds and runs the image in tests/e2e/test_container.py; debootstrap
    # makes its base image locally. Only as root: elsewhere that test says why it skips.
    if is_root && ! command -v podman >/dev/null; then
        apt_install podman runc fuse-overlayfs slirp4netns uidmap debootstrap catatonit
    fi
}

need_venv() {
    local extras=$1 stamp="$VENV/.installed-$1"
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating $VENV"
        python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$VENV"; }
    fi
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        say "installing vidvar into $VENV"
        "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
        "$VENV/bin/python" -m pip install -q -e ".$extras"
        touch "$stamp"
    fi
}

cmd=${1:-}
shift || true
case "$cmd" in
    run)
        need_python; need_ffmpeg; need_venv ""
        # var/vidvar.yaml: the documented example, its folders in var/ (kept once written).
        "$VENV/bin/vidvar" init var --share var >/dev/null
        say "drop videos into $ROOT/var/inbox; results land in $ROOT/var/output (Ctrl-C stops)"
        exec "$VENV/bin/vidvar" run -c var/vidvar.yaml "$@"
        ;;
    test)
        need_python; need_ffmpeg; need_postgres; need_systemd_tools; need_container_tools; need_browser
        need_venv "[test]"
        say "ruff"
        "$VENV/bin/ruff" check daemon tests bench docs
        "$VENV/bin/ruff" format --check daemon tests bench docs
        say "mypy"
        "$VENV/bin/mypy" daemon bench
        say "pytest (tests/unit/test_docs.py builds the docs site with mkdocs --strict)"
        # pytest exits 5 when it collected nothing: that fails the run too. A private
        # basetemp keeps two runs on one machine from pruning each other's folders.
        exec "$VENV/bin/pytest" -q --durations=15 --basetemp "$(mktemp -d /tmp/vidvar-tests.XXXXXX)" "$@"
        ;;
    sample)
        need_python; need_ffmpeg; need_venv ""
        "$VENV/bin/vidvar" init var --share var >/dev/null
        exec "$VENV/bin/vidvar" enqueue -c var/vidvar.yaml --sample
        ;;
    bench)
        need_python; need_ffmpeg; need_venv "[test]"
        exec "$VENV/bin/python" -m bench "$@"
        ;;
    *)
        sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
