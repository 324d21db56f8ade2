"""Poster frames for the page: one small JPEG of an output, made by ffmpeg on first
request and kept in memory (keyed by the file's identity, so a rewritten file gets a
new one). The file is opened without following links (web.files.open_inside)."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

from vidvar.ffmpeg.runner import capture
from vidvar.ffmpeg.stills import thumbnail_args
from vidvar.web.files import NotServed, open_inside

KEPT = 500  # about 10 kB each
AT_SECONDS = 0.5  # past a fade-in, inside even a one-second clip
_cache: OrderedDict[tuple[int, int, int, int], bytes] = OrderedDict()
_lock = threading.Lock()


def thumbnail(folder: Path, relative: str, width: int = 320) -> bytes:
    """A JPEG poster frame of `folder/relative`; NotServed when it cannot be read."""
    with open_inside(folder, relative) as handle:
        st = os.fstat(handle.fileno())
        key = (st.st_dev, st.st_ino, st.st_mtime_ns, width)
        with _lock:
            if key in _cache:
                _cache.move_to_end(key)
                return _cache[key]
        fd = handle.fileno()
        done = capture(
            thumbnail_args(f"file:/proc/self/fd/{fd}", AT_SECONDS, width),
            timeout=30,
            pass_fds=(fd,),
        )
    if done.returncode != 0 or not done.stdout:
        raise NotServed(relative)
    with _lock:
        _cache[key] = done.stdout
        while len(_cache) > KEPT:
            _cache.popitem(last=False)
    return done.stdout
