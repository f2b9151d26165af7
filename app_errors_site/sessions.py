"""Database sessions that ignore a malformed session cookie instead of querying with it: a
cookie with a NUL byte in it is a database error on PostgreSQL, a 500 on every page."""

import re

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

# Django makes keys of 32 lowercase letters and digits.
SESSION_KEY = re.compile(r"[a-z0-9]{8,64}")


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key) -> bool:
        return bool(key) and SESSION_KEY.fullmatch(key) is not None
