#!/usr/bin/env bash
# Install vidvar as a systemd service: a venv in $PREFIX, `vidvar` on the PATH, the
# config in $SYSCONFDIR/vidvar, the unit in $UNITDIR, a static user, its folders.
#
#   sudo scripts/install.sh                    install, or upgrade (config and unit edits kept)
#   sudo scripts/install.sh --uninstall        remove the program and the unit; keep config, data
#   sudo scripts/install.sh --uninstall --purge   also remove config, state, drop-ins and the user
#   scripts/install.sh --help                  this text
#
# Environment: PREFIX (/opt/vidvar), BINDIR (/usr/local/bin), SYSCONFDIR (/etc),
# UNITDIR (/usr/local/lib/systemd/system), STATEDIR (/var/lib/vidvar), PYTHON (python3),
# VIDVAR_UID / VIDVAR_GID (the ids that own the files on your NAS; an existing group or
# user with those ids is used), DESTDIR (a staging root: files only, no user, no systemctl),
# SYSROOT (a whole other root, users included: its /etc/passwd and /etc/group are changed).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/opt/vidvar}
BINDIR=${BINDIR:-/usr/local/bin}
SYSCONFDIR=${SYSCONFDIR:-/etc}
UNITDIR=${UNITDIR:-/usr/local/lib/systemd/system}
STATEDIR=${STATEDIR:-/var/lib/vidvar}
PYTHON=${PYTHON:-python3}
DESTDIR=${DESTDIR:-}
SYSROOT=${SYSROOT:-}
VIDVAR_UID=${VIDVAR_UID:-}
VIDVAR_GID=${VIDVAR_GID:-}
ROOT=${DESTDIR:-$SYSROOT}          # where files go; '' is the real /
DROPIN="$SYSCONFDIR/systemd/system/vidvar.service.d"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
is_root() { [ "$(id -u)" = 0 ]; }
live_systemd() { [ -z "$ROOT" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; }
manage_users() { [ -z "$DESTDIR" ] && is_root; }
userdb() { if [ -n "$SYSROOT" ]; then echo "--prefix $SYSROOT"; fi; }
group_by_gid() { awk -F: -v id="$1" '$3 == id {print $1; exit}' "$SYSROOT/etc/group"; }
user_by_uid() { awk -F: -v id="$1" '$3 == id {print $1; exit}' "$SYSROOT/etc/passwd"; }
field_of() { awk -F: -v name="$2" -v col="$3" '$1 == name {print $col; exit}' "$SYSROOT/etc/$1"; }

uninstall() {
    local purge=$1
    if live_systemd; then systemctl disable --now vidvar.service 2>/dev/null || true; fi
    rm -rf "$ROOT$PREFIX"
    rm -f "$ROOT$UNITDIR/vidvar.service"
    if [ -L "$ROOT$BINDIR/vidvar" ]; then rm -f "$ROOT$BINDIR/vidvar"; fi
    if [ "$purge" = yes ]; then
        rm -rf "$ROOT$SYSCONFDIR/vidvar" "$ROOT$STATEDIR" "$ROOT$DROPIN"
        if manage_users && [ -n "$(field_of passwd vidvar 1)" ]; then
            # shellcheck disable=SC2046
            userdel $(userdb) vidvar || true
        fi
    fi
    if live_systemd; then systemctl daemon-reload; fi
    say "vidvar removed (purge: $purge)"
}

case "${1:-}" in
    --uninstall) uninstall "$([ "${2:-}" = --purge ] && echo yes || echo no)"; exit 0 ;;
    -h|--help) usage; exit 0 ;;
    "") ;;
    *) usage >&2; exit 2 ;;
esac

# --- look before changing anything ------------------------------------------------------
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
    || die "vidvar needs Python 3.11 or newer as $PYTHON (apt-get install python3 python3-venv)"
command -v ffmpeg >/dev/null || say "note: ffmpeg is not installed here yet (apt-get install ffmpeg)"
SERVICE_USER=vidvar
SERVICE_GROUP=vidvar
NEW_GROUP=
NEW_USER=
if manage_users; then
    if [ -n "$VIDVAR_GID" ]; then
        existing=$(group_by_gid "$VIDVAR_GID")
        named=$(field_of group vidvar 3)
        if [ -n "$existing" ]; then
            SERVICE_GROUP=$existing            # e.g. Debian's `users` (100): the NAS's group
        elif [ -n "$named" ]; then
            die "group vidvar exists with gid $named, not $VIDVAR_GID; nothing was changed"
        else
            NEW_GROUP=$VIDVAR_GID
        fi
    elif [ -z "$(field_of group vidvar 1)" ]; then
        NEW_GROUP=auto
    fi
    if [ -n "$VIDVAR_UID" ]; then
        existing=$(user_by_uid "$VIDVAR_UID")
        named=$(field_of passwd vidvar 3)
        if [ -n "$existing" ] && [ "$existing" != vidvar ]; then
            SERVICE_USER=$existing             # the NAS user's local twin runs the service
            if [ -z "$VIDVAR_GID" ]; then
                SERVICE_GROUP=$(group_by_gid "$(field_of passwd "$existing" 4)")
                NEW_GROUP=
            fi
        elif [ -n "$named" ] && [ "$named" != "$VIDVAR_UID" ]; then
            die "user vidvar exists with uid $named, not $VIDVAR_UID; nothing was changed"
        elif [ -z "$named" ]; then
            NEW_USER=$VIDVAR_UID
        fi
    elif [ -z "$(field_of passwd vidvar 1)" ]; then
        NEW_USER=auto
    fi
fi

# --- the program --------------------------------------------------------------------------
VENV="$ROOT$PREFIX"
say "vidvar into $VENV"
"$PYTHON" -m venv --clear "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
EXTRAS=()
CONFIG="$ROOT$SYSCONFDIR/vidvar/vidvar.yaml"
if [ -f "$CONFIG" ] && grep -Eq '^database:[[:space:]]*postgres(ql)?://' "$CONFIG"; then
    EXTRAS+=(postgres)                     # the config names PostgreSQL: its driver too
fi
if [ -f "$CONFIG" ] && grep -Eq '^[[:space:]]+apprise:[[:space:]]*(\[[^]]|$)' "$CONFIG"; then
    EXTRAS+=(apprise)                      # the config sends through Apprise
fi
EXTRA=""
if [ ${#EXTRAS[@]} -gt 0 ]; then
    EXTRA="[$(IFS=,; echo "${EXTRAS[*]}")]"
fi
# setuptools builds in the source tree and reuses its build/ folder: files removed
# since an earlier install would come back. Build from scratch.
rm -rf "$SRC/build" 2>/dev/null || true
"$VENV/bin/python" -m pip install -q -c "$SRC/constraints.txt" "$SRC$EXTRA"
if [ -n "$ROOT" ]; then
    # Staged: scripts must name the interpreter where the tree will live.
    for script in "$VENV"/bin/*; do
        if [ -f "$script" ] && [ ! -L "$script" ] && head -c 2 "$script" | grep -q '#!'; then
            sed -i "1s|^#!$VENV/|#!$PREFIX/|" "$script"
        fi
    done
    sed -i "s|$VENV|$PREFIX|g" "$VENV"/bin/activate*
fi
install -m 0644 "$SRC/README.md" "$VENV/README.md"
install -d -m 0755 "$ROOT$BINDIR"
ln -sfn "$PREFIX/bin/vidvar" "$ROOT$BINDIR/vidvar"

# --- config and unit ----------------------------------------------------------------------
install -d -m 0755 "$ROOT$SYSCONFDIR/vidvar"
if [ ! -e "$CONFIG" ]; then
    say "config in $CONFIG"
    install -m 0644 "$SRC/systemd/vidvar.yaml" "$CONFIG"
else
    say "keeping the existing $SYSCONFDIR/vidvar/vidvar.yaml"
fi
say "unit in $ROOT$UNITDIR (edits belong in drop-ins: systemctl edit vidvar)"
install -d -m 0755 "$ROOT$UNITDIR"
sed -e "s#/opt/vidvar#$PREFIX#g" -e "s#/etc/vidvar#$SYSCONFDIR/vidvar#g" \
    -e "s#/var/lib/vidvar#$STATEDIR#g" "$SRC/systemd/vidvar.service" > "$ROOT$UNITDIR/vidvar.service"
chmod 0644 "$ROOT$UNITDIR/vidvar.service"
if [ ! -e "$ROOT$DROPIN/10-install.conf" ]; then
    # The share's folders from the config, as the unit needs them; written once, then the
    # admin's (systemctl edit vidvar adds further drop-ins).
    folders=$("$VENV/bin/python" - "$CONFIG" <<'PY'
import sys
from vidvar.config import load_config
from vidvar.config.topology import folders_in_use
config = load_config(sys.argv[1], require_folders=False)
print(" ".join(sorted({str(f) for w in config.watches for _k, f in folders_in_use(w)})))
PY
)
    install -d -m 0755 "$ROOT$DROPIN"
    {
        echo "# Written by scripts/install.sh from $SYSCONFDIR/vidvar/vidvar.yaml; yours to edit."
        echo "[Unit]"
        echo "RequiresMountsFor="
        for f in $folders; do echo "RequiresMountsFor=$f"; done
        echo "[Service]"
        echo "User=$SERVICE_USER"
        echo "Group=$SERVICE_GROUP"
        echo "ReadWritePaths="
        for f in $folders; do echo "ReadWritePaths=-$f"; done
    } > "$ROOT$DROPIN/10-install.conf"
    chmod 0644 "$ROOT$DROPIN/10-install.conf"
fi
install -d -m 0750 "$ROOT$STATEDIR"

# --- the user and the folders ------------------------------------------------------------
if manage_users; then
    if [ "$NEW_GROUP" = auto ]; then
        say "creating the group vidvar"
        # shellcheck disable=SC2046
        groupadd $(userdb) --system vidvar
    elif [ -n "$NEW_GROUP" ]; then
        say "creating the group vidvar (gid $NEW_GROUP)"
        # shellcheck disable=SC2046
        groupadd $(userdb) --system --gid "$NEW_GROUP" vidvar
    fi
    if [ -n "$NEW_USER" ]; then
        say "creating the static user vidvar${VIDVAR_UID:+ (uid $VIDVAR_UID)} in group $SERVICE_GROUP"
        # shellcheck disable=SC2046
        useradd $(userdb) --system --gid "$SERVICE_GROUP" ${VIDVAR_UID:+--uid "$VIDVAR_UID"} \
            --home-dir "$STATEDIR" --shell /usr/sbin/nologin vidvar
    fi
    uid=$(field_of passwd "$SERVICE_USER" 3)
    gid=$(awk -F: -v name="$SERVICE_GROUP" '$1 == name {print $3; exit}' "$SYSROOT/etc/group")
    chown "$uid:$gid" "$ROOT$STATEDIR"
    if [ -z "$ROOT" ]; then
        say "folders of $SYSCONFDIR/vidvar/vidvar.yaml, created as $SERVICE_USER:"
        runuser -u "$SERVICE_USER" -- "$PREFIX/bin/vidvar" -c "$CONFIG" init \
            || say "create the folders above that are MISSING (or mount the share), then start"
    fi
fi
if live_systemd; then systemctl daemon-reload; fi
if [ -n "$DESTDIR" ]; then
    say "staged into $DESTDIR; copy it to / (no user was created)"
else
    say "next: edit $SYSCONFDIR/vidvar/vidvar.yaml (vidvar check-config checks it),"
    say "      systemctl edit vidvar for other folders, then systemctl enable --now vidvar"
fi
