"""Names that fit: every path component within 255 bytes, shortened with a stable hash.

ext4, btrfs, XFS, SMB and NFS all limit a path component to 255 bytes, and a
legal source name plus a suffix such as `_var01.mp4` can exceed it.
"""

from __future__ import annotations

import hashlib
import os

NAME_MAX = 255
HASH_CHARS = 8


def name_bytes(name: str) -> int:
    """Length of a name as the filesystem counts it."""
    return len(os.fsencode(name))


def short_hash(text: str) -> str:
    """A stable 8-character hex digest of `text` (any str, lone surrogates too)."""
    raw = text.encode("utf-8", "surrogateescape")
    return hashlib.blake2b(raw, digest_size=HASH_CHARS // 2).hexdigest()


def truncate(text: str, limit: int) -> str:
    """The longest prefix of `text` whose encoded form fits in `limit` bytes."""
    raw = os.fsencode(text)
    if len(raw) <= limit:
        return text
    cut = raw[:limit]
    # Never end inside a multi-byte character: drop continuation bytes and the lead.
    while cut and (cut[-1] & 0xC0) == 0x80:
        cut = cut[:-1]
    if cut and cut[-1] >= 0xC0:
        cut = cut[:-1]
    return os.fsdecode(cut)


def fit(stem: str, *, reserve: int = 0, limit: int = NAME_MAX) -> str:
    """`stem` itself when `stem` plus `reserve` bytes of suffix fits in `limit`; else its
    longest prefix that fits together with `~` and a hash of the whole stem."""
    if name_bytes(stem) + reserve <= limit:
        return stem
    room = limit - reserve - 1 - HASH_CHARS
    return f"{truncate(stem, max(room, 1))}~{short_hash(stem)}"


def fit_file_name(name: str, *, reserve: int = 0, limit: int = NAME_MAX) -> str:
    """A file name that keeps its extension and fits with `reserve` more bytes."""
    stem, ext = os.path.splitext(name)
    if name_bytes(name) + reserve <= limit:
        return name
    return fit(stem, reserve=reserve + name_bytes(ext), limit=limit) + ext
