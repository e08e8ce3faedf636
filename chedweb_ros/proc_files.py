"""Reading /proc files cheaply: the two ways system_metrics reads them, shared by chedweb_ros.procfs
(the psutil stand-in) and chedweb_ros.sampling (the process table, command lines).

os.open and os.read, not open(): on this VM the buffered file object cost more than the read
itself. Only `os` is imported, so either module may import this one.
"""

from __future__ import annotations

import os

_READ_SIZE = 65536


def read_file(path: str, limit: int | None = None) -> bytes:
    """A whole file, or its first `limit` bytes: one open, one read, one close where it fits in
    one read. A /proc file is written by seq_file (or, like /proc/<pid>/cmdline, by a read that
    copies all it is asked for), which fills a read up to its size unless the file ends first,
    so a short read is the end of the file and asking again would only cost a syscall."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        data = os.read(fd, _READ_SIZE if limit is None else limit)
        if len(data) < _READ_SIZE or limit is not None:
            return data
        chunks = [data]
        while chunk := os.read(fd, _READ_SIZE):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_optional(path: str) -> bytes | None:
    try:
        return read_file(path)
    except OSError:
        return None


class KeptFile:
    """A /proc file read every tick through one descriptor kept open, with pread from offset 0:
    the same bytes as read_file (a seq_file starts over whenever a read asks for offset 0, so
    each read is the kernel's fresh text), for one syscall instead of three and no path lookup.
    On this VM that is 30-75 us less per file per tick, cold (/proc/net/dev, reached through
    /proc/self, the most). A descriptor that fails is closed; the next read opens the path anew."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def read(self) -> bytes:
        fd = self._fd
        if fd is None:
            fd = self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            data = os.pread(fd, _READ_SIZE, 0)
            if len(data) < _READ_SIZE:  # a short read is the end (see read_file)
                return data
            chunks = [data]
            offset = len(data)
            while chunk := os.pread(fd, _READ_SIZE, offset):
                chunks.append(chunk)
                offset += len(chunk)
            return b"".join(chunks)
        except OSError:
            self.close()
            raise

    def read_optional(self) -> bytes | None:
        try:
            return self.read()
        except OSError:
            return None

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
