"""Uploads from the page into a hot folder's inbox, exactly as a share copy would arrive.

The multipart body is parsed as it streams in and each file is written straight
into a hidden folder inside the inbox (`.vidvar-upload-…`, which the watcher
ignores), never into memory or /tmp. Once the whole upload is there it is renamed
into place: one file as itself; several files, a folder, or a chosen number of
variations as one folder (a batch job, with its own vidvar.yaml for variations).
Names are cleaned to one safe component each; nothing is written outside the inbox.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote_to_bytes

from python_multipart.multipart import MultipartParser, parse_options_header

from vidvar import beneath
from vidvar.beneath import FILE_MODE, unique_destination
from vidvar.config import Config, WatchConfig
from vidvar.config.placement import parse_formats
from vidvar.inbox.ignore import has_video_extension, is_junk_name
from vidvar.inbox.intake import BATCH_CONFIG
from vidvar.names import fit_file_name

TEMP_PREFIX = ".vidvar-upload-"
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class UploadError(Exception):
    """The upload cannot be taken; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def extended_filename(disposition: bytes) -> bytes | None:
    """The RFC 5987 / 7578 `filename*=UTF-8''…` of a Content-Disposition header, as
    UTF-8 bytes; None when it has none."""
    match = re.search(rb"filename\*\s*=\s*([^;]+)", disposition, re.IGNORECASE)
    if match is None:
        return None
    charset, _, rest = match.group(1).strip().strip(b'"').partition(b"'")
    _language, _, encoded = rest.partition(b"'")
    try:
        name = unquote_to_bytes(encoded).decode(charset.decode("ascii") or "utf-8")
    except (LookupError, UnicodeDecodeError):
        return None
    return name.encode("utf-8", "surrogateescape")


def clean_component(name: str) -> str:
    """One safe path component: no separators, control characters or leading dots."""
    name = "".join(c for c in name if c >= " " and c not in "\x7f/\\")
    name = name.strip().lstrip(".").strip()
    return fit_file_name(name) if name else ""


def clean_relative(filename: str) -> list[str]:
    """A browser's file name (maybe `folder/sub/clip.mp4`) as safe components."""
    parts = [clean_component(p) for p in filename.replace("\\", "/").split("/")]
    return [p for p in parts if p and p not in (".", "..")]


@dataclass
class Upload:
    """One upload being received."""

    config: Config
    limit: int  # bytes
    fields: dict[str, str] = field(default_factory=dict)
    files: list[list[str]] = field(default_factory=list)
    watch: WatchConfig | None = None
    temp: Path | None = None
    received: int = 0
    _headers: dict[str, bytes] = field(default_factory=dict)
    _header: bytes = b""
    _value: bytes = b""
    _name: str = ""
    _field: bytearray = field(default_factory=bytearray)
    _out: IO[bytes] | None = None

    def parser(self, content_type: str) -> MultipartParser:
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise UploadError("expected multipart/form-data with files")
        callbacks: Any = {
            "on_part_begin": self._begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done,
            "on_part_data": self._data,
            "on_part_end": self._end,
        }
        return MultipartParser(boundary, callbacks)

    # -- the parser's callbacks ---------------------------------------------------------

    def _begin(self) -> None:
        self._headers, self._name, self._field, self._out = {}, "", bytearray(), None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        # Values stay bytes: browsers send file names as raw UTF-8, which a str
        # round trip through Latin-1 would break.
        self._headers[self._header.decode("latin-1").lower()] = self._value
        self._header, self._value = b"", b""

    def _headers_done(self) -> None:
        disposition = self._headers.get("content-disposition", b"")
        _kind, options = parse_options_header(disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = extended_filename(disposition) or options.get(b"filename")
        if filename is None:
            return  # a plain field
        parts = clean_relative(filename.decode("utf-8", "replace"))
        if not parts:
            raise UploadError("a file without a usable name")
        if not has_video_extension(parts[-1], self.config.extensions):
            raise UploadError(
                f"{parts[-1]} is not a video (extensions: {', '.join(self.config.extensions)})"
            )
        ignored = [p for p in parts if is_junk_name(p)]
        if ignored:
            raise UploadError(
                f"{'/'.join(parts)}: the hot folder ignores names like {ignored[0]!r} "
                "(system, hidden and temporary names); rename the file and upload it again"
            )
        temp = self._temp()
        # Walked from the inbox without following a link, created O_EXCL: nothing
        # planted in the hidden folder can lead a write elsewhere.
        with beneath.open_folder(temp.parent, (temp.name, *parts[:-1]), create=True) as folder:
            try:
                fd = os.open(parts[-1], _NEW_FILE, FILE_MODE, dir_fd=folder)
            except FileExistsError:
                raise UploadError(f"{'/'.join(parts)} is in the upload twice") from None
        self._out = os.fdopen(fd, "wb")
        self.files.append(parts)

    def _data(self, data: bytes, start: int, end: int) -> None:
        self.received += end - start
        if self.received > self.limit:
            raise UploadError(
                f"the upload is larger than web.max_upload_mb ({self.limit >> 20} MB)", 413
            )
        if self._out is not None:
            self._out.write(data[start:end])
        elif len(self._field) < 10_000:
            self._field += data[start:end]

    def _end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        elif self._name:
            self.fields[self._name] = self._field.decode("utf-8", "replace").strip()

    # -- around the parser ------------------------------------------------------------------

    def _temp(self) -> Path:
        if self.temp is None:
            name = self.fields.get("watch")
            try:
                self.watch = self.config.watch(name) if name else self.config.watches[0]
            except KeyError:
                raise UploadError(f"no hot folder named {name!r}") from None
            self.temp = self.watch.inbox / f"{TEMP_PREFIX}{secrets.token_hex(6)}"
            self.temp.mkdir()
        return self.temp

    def variations(self) -> int | None:
        raw = self.fields.get("variations", "")
        if not raw:
            return None
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
            raise UploadError("variations must be a whole number from 1 to 100")
        return int(raw)

    def formats(self) -> list[str] | None:
        """The formats asked for (comma-separated aspects), checked; None: the hot folder's."""
        raw = self.fields.get("formats", "")
        if not raw:
            return None

        def complain(where: str, problem: str) -> UploadError:
            return UploadError(f"formats: {problem}")

        return [f.aspect for f in parse_formats(raw, complain)]

    def finish(
        self, before: Callable[[str, Path], None] = lambda _watch, _path: None
    ) -> dict[str, Any]:
        """Move the complete upload into the inbox; what was placed there. `before(watch,
        final path)` runs just before it appears there (the watcher may see it at once)."""
        if not self.files or self.temp is None or self.watch is None:
            raise UploadError("no files in the upload")
        variations, formats = self.variations(), self.formats()
        inbox = self.watch.inbox
        own = variations is None and formats is None  # no settings of its own
        single = len(self.files) == 1 and len(self.files[0]) == 1 and own
        if single:
            final = unique_destination(inbox / self.files[0][0])
            before(self.watch.name, final)
            os.rename(self.temp / self.files[0][0], final)
            self.temp.rmdir()
            self.temp = None
            return {"watch": self.watch.name, "kind": "file", "placed": [final.name]}
        tops = {parts[0] for parts in self.files if len(parts) > 1}
        if len(tops) == 1 and all(len(parts) > 1 for parts in self.files):
            source = self.temp / tops.pop()  # a folder was uploaded: keep its name
        else:
            source = self.temp
        if not own:
            settings = [f"variations: {variations}"] if variations is not None else []
            if formats is not None:
                settings.append(f"formats: {json.dumps(formats)}")  # JSON is YAML too
            (source / BATCH_CONFIG).write_text("\n".join(settings) + "\n", encoding="utf-8")
        if source != self.temp:
            name = source.name
        elif len(self.files) == 1:
            name = Path(self.files[0][-1]).stem  # one file with its own variation count
        else:
            name = time.strftime("upload-%Y%m%d-%H%M%S")
        final = unique_destination(inbox / name)
        before(self.watch.name, final)
        os.rename(source, final)
        with contextlib.suppress(OSError):
            self.temp.rmdir()
        self.temp = None
        return {"watch": self.watch.name, "kind": "batch", "placed": [final.name]}

    def abandon(self) -> None:
        """Remove what arrived of an upload that failed or was cut off."""
        if self._out is not None:
            self._out.close()
        if self.temp is not None and self.temp.name.startswith(TEMP_PREFIX):
            with contextlib.suppress(OSError):
                beneath.remove_tree(self.temp.parent, (self.temp.name,))
