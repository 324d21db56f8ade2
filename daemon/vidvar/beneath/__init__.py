"""Paths reached from a configured root, never through a link.

Every folder vidvar writes into or deletes from is reached by walking from a
configured root (an inbox, output, archive or failed folder) one component at a
time, each opened with O_DIRECTORY | O_NOFOLLOW relative to the one before. A
component that is a link is refused with `LinkInPath`, wherever it sits: a job
folder swapped for a link, a batch subfolder linked elsewhere, an archive
folder an admin moved away and replaced by a link. The root itself is the
admin's choice and is followed (config/topology.py compares roots by their
real path).

The final entry of a path is never followed either: a link there is moved or
unlinked as a link, and files are created with O_EXCL | O_NOFOLLOW."""

from vidvar.beneath.change import (
    move,
    remove_empty_folders,
    remove_empty_tree,
    remove_tree,
    rename,
    unlink,
    write_file,
    write_in,
)
from vidvar.beneath.walk import (
    FILE_MODE,
    TEMP_SUFFIX,
    UMASK,
    LinkInPath,
    entry_stat,
    exists_or_link,
    free_name,
    held_path,
    lstat_in,
    open_fd,
    open_folder,
    parts_of,
    relative_to,
    unique_destination,
    walk_files,
)

__all__ = [
    "FILE_MODE",
    "TEMP_SUFFIX",
    "UMASK",
    "LinkInPath",
    "entry_stat",
    "exists_or_link",
    "free_name",
    "held_path",
    "lstat_in",
    "move",
    "open_fd",
    "open_folder",
    "parts_of",
    "relative_to",
    "remove_empty_folders",
    "remove_empty_tree",
    "remove_tree",
    "rename",
    "unique_destination",
    "unlink",
    "walk_files",
    "write_file",
    "write_in",
]
