#!/usr/bin/env bash
# Install vidvar as a service: a venv under $PREFIX, the config in $SYSCONFDIR/vidvar,
# the systemd unit, and a static `vidvar` user.
#
#   sudo scripts/install.sh                 install (or upgrade; an existing config is kept)
#   sudo scripts/install.sh --uninstall     remove the venv and the unit; keep config and data
#   sudo scripts/install.sh --uninstall --purge   also remove config, state and the user
#
# Environment: PREFIX (/opt/vidvar), SYSCONFDIR (/etc), UNITDIR (/etc/systemd/system),
# STATEDIR (/var/lib/vidvar), DESTDIR (staging root, default none; no user is created
# then), VIDVAR_UID / VIDVAR_GID (match the owner of the files on your NAS).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/opt/vidvar}
SYSCONFDIR=${SYSCONFDIR:-/etc}
UNITDIR=${UNITDIR:-/etc/systemd/system}
STATEDIR=${STATEDIR:-/var/lib/vidvar}
DESTDIR=${DESTDIR:-}
PYTHON=${PYTHON:-python3}

say() { printf '==> %s\n' "$*" >&2; }

uninstall() {
    local purge=$1
    if [ -z "$DESTDIR" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
        systemctl disable --now vidvar.service 2>/dev/null || true
    fi
    rm -rf "$DESTDIR$PREFIX"
    rm -f "$DESTDIR$UNITDIR/vidvar.service"
    if [ "$purge" = yes ]; then
        rm -rf "$DESTDIR$SYSCONFDIR/vidvar" "$DESTDIR$STATEDIR"
        if [ -z "$DESTDIR" ] && id vidvar >/dev/null 2>&1; then userdel vidvar || true; fi
    fi
    [ -z "$DESTDIR" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ] \
        && systemctl daemon-reload || true
    say "vidvar removed${purge:+ (purge: $purge)}"
}

case "${1:-}" in
    --uninstall) uninstall "$([ "${2:-}" = --purge ] && echo yes || echo no)"; exit 0 ;;
    "") ;;
    *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

command -v ffmpeg >/dev/null || say "warning: ffmpeg is not installed (apt-get install ffmpeg)"

say "virtual environment in $DESTDIR$PREFIX"
"$PYTHON" -m venv "$DESTDIR$PREFIX"
"$DESTDIR$PREFIX/bin/python" -m pip install -q --upgrade pip >/dev/null
"$DESTDIR$PREFIX/bin/python" -m pip install -q "$SRC"
install -m 0644 "$SRC/README.md" "$DESTDIR$PREFIX/README.md"

say "config in $DESTDIR$SYSCONFDIR/vidvar"
install -d -m 0755 "$DESTDIR$SYSCONFDIR/vidvar"
if [ ! -e "$DESTDIR$SYSCONFDIR/vidvar/vidvar.yaml" ]; then
    install -m 0644 "$SRC/systemd/vidvar.yaml" "$DESTDIR$SYSCONFDIR/vidvar/vidvar.yaml"
else
    say "keeping the existing $SYSCONFDIR/vidvar/vidvar.yaml"
fi

say "unit in $DESTDIR$UNITDIR"
install -d -m 0755 "$DESTDIR$UNITDIR"
sed -e "s#/opt/vidvar#$PREFIX#g" -e "s#/etc/vidvar#$SYSCONFDIR/vidvar#g" \
    "$SRC/systemd/vidvar.service" > "$DESTDIR$UNITDIR/vidvar.service"
chmod 0644 "$DESTDIR$UNITDIR/vidvar.service"
install -d -m 0750 "$DESTDIR$STATEDIR"

if [ -z "$DESTDIR" ] && [ "$(id -u)" = 0 ]; then
    if ! id vidvar >/dev/null 2>&1; then
        say "creating the static user vidvar${VIDVAR_UID:+ (uid $VIDVAR_UID)}"
        if [ -n "${VIDVAR_GID:-}" ]; then groupadd --system --gid "$VIDVAR_GID" vidvar; \
        else groupadd --system vidvar; fi
        useradd --system --gid vidvar ${VIDVAR_UID:+--uid "$VIDVAR_UID"} \
            --home-dir "$STATEDIR" --shell /usr/sbin/nologin vidvar
    fi
    chown vidvar:vidvar "$STATEDIR"
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
    say "next: edit $SYSCONFDIR/vidvar/vidvar.yaml and ReadWritePaths= in the unit, then"
    say "      systemctl enable --now vidvar && journalctl -u vidvar -f"
else
    say "staged into ${DESTDIR:-$PREFIX}; no user created (needs root and no DESTDIR)"
fi
