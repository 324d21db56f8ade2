#!/bin/sh
# The container's entrypoint: ids, umask, time zone and priority as the NAS expects,
# a config on first start, then vidvar as PUID:PGID (never as root).
#   PUID / PGID   the ids that own the files on the share (Synology 1026:100, Unraid
#                 99:100, TrueNAS 568:568); default 1000:1000
#   UMASK         for every file vidvar writes (0002: group-writable)
#   TZ            the time zone of the log's local times (the log itself is UTC)
#   NICE          CPU priority of the daemon and its ffmpeg (10: the NAS's work first)
#   IONICE_CLASS  I/O class: 3 idle (default), 2 best-effort
#   VIDVAR_WEB_PASSWORD  the page's password (else one is generated at first start)
set -eu
PUID=${PUID:-1000}
PGID=${PGID:-1000}
umask "${UMASK:-0002}"
if [ -n "${TZ:-}" ] && [ -f "/usr/share/zoneinfo/$TZ" ]; then
    ln -sf "/usr/share/zoneinfo/$TZ" /etc/localtime
    echo "$TZ" > /etc/timezone
fi
if [ "$(id -u)" = 0 ]; then
    getent group "$PGID" >/dev/null || groupadd --gid "$PGID" vidvar
    getent passwd "$PUID" >/dev/null \
        || useradd --uid "$PUID" --gid "$PGID" --no-create-home --home-dir /config \
            --shell /usr/sbin/nologin vidvar
    # /config is vidvar's own; /data is the share: the default layout's folders are
    # created there when missing (and given to PUID:PGID), nothing else is re-owned.
    mkdir -p /config
    chown "$PUID:$PGID" /config
    for folder in inbox output archive failed; do
        if [ -d /data ] && [ ! -e "/data/$folder" ]; then
            mkdir "/data/$folder" && chown "$PUID:$PGID" "/data/$folder"
        fi
    done
    as_user() { setpriv --reuid="$PUID" --regid="$PGID" --clear-groups -- "$@"; }
else
    as_user() { "$@"; }
fi
CONFIG=${VIDVAR_CONFIG:-/config/vidvar.yaml}
if [ ! -e "$CONFIG" ]; then
    echo "vidvar: no config yet: writing the documented example to $CONFIG (folders on /data)" >&2
fi
# Writes the example on first start (kept afterwards) and creates the folders it names.
as_user vidvar init "$(dirname "$CONFIG")" --share /data >&2 || true
# The page's password: VIDVAR_WEB_PASSWORD, else web.password_hash of the config, else
# one generated at first start, printed once here and kept hashed in /config.
PASSWORD_FILE=$(dirname "$CONFIG")/web-password.hash
if [ -n "${VIDVAR_WEB_PASSWORD:-}" ]; then
    VIDVAR_WEB_PASSWORD_HASH=$(printf '%s\n' "$VIDVAR_WEB_PASSWORD" | vidvar web --hash-password)
    export VIDVAR_WEB_PASSWORD_HASH
elif [ -z "${VIDVAR_WEB_PASSWORD_HASH:-}" ] \
    && ! grep -Eq '^[[:space:]]+password_hash:[[:space:]]*"?scrypt' "$CONFIG" 2>/dev/null; then
    if [ ! -s "$PASSWORD_FILE" ]; then
        password=$(/opt/vidvar/bin/python -c 'import secrets; print(secrets.token_urlsafe(12))')
        printf '%s\n' "$password" | vidvar web --hash-password > "$PASSWORD_FILE.new"
        mv "$PASSWORD_FILE.new" "$PASSWORD_FILE"
        chmod 600 "$PASSWORD_FILE"
        echo "vidvar: the page's password is $password (shown this once; kept hashed in" \
            "$PASSWORD_FILE: delete that file and restart for a new one, or set" \
            "VIDVAR_WEB_PASSWORD)" >&2
    fi
    VIDVAR_WEB_PASSWORD_HASH=$(cat "$PASSWORD_FILE")
    export VIDVAR_WEB_PASSWORD_HASH
fi
unset VIDVAR_WEB_PASSWORD
case "${1:-run}" in
    run|worker)
        exec setpriv --reuid="$PUID" --regid="$PGID" --clear-groups -- \
            nice -n "${NICE:-10}" ionice -c "${IONICE_CLASS:-3}" vidvar "$@" ;;
    *)
        exec setpriv --reuid="$PUID" --regid="$PGID" --clear-groups -- vidvar "$@" ;;
esac
