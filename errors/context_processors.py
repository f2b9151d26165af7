"""``error_spool_pending`` for every template: how many errors wait in the outage spool, so
the dashboard can say so. A stat per request; the file is read again only when its size,
modification time or inode changed."""

import os
import threading

from django.http import HttpRequest

from errors.spool import count_pending, spool_path

_lock = threading.Lock()
_cache: dict[str, tuple] = {}


def error_spool(request: HttpRequest) -> dict[str, int]:
    path = spool_path()
    if path is None:
        return {"error_spool_pending": 0}
    try:
        status = os.stat(path)
    except OSError:
        return {"error_spool_pending": 0}
    key = (status.st_ino, status.st_size, status.st_mtime_ns)
    with _lock:
        cached = _cache.get(str(path))
    if cached is not None and cached[0] == key:
        return {"error_spool_pending": cached[1]}
    pending = count_pending(path)
    with _lock:
        _cache[str(path)] = (key, pending)
    return {"error_spool_pending": pending}
