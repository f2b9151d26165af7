"""Which occurrences are the same problem: the fingerprint an error group is keyed by.

The default fingerprint is the exception's type, its culprit (the innermost function of the
project's own code, never a line number, so unrelated edits above it keep the group) and its
message with the values that vary from one occurrence to the next (ids, URLs, e-mail
addresses, UUIDs, dates, IP addresses, hashes, numbers) replaced by placeholders, as Sentry's
parameterization and Bugsink's grouping do. A caller can extend or replace it with its own
fingerprint, where ``{{ default }}`` stands for the default parts.

Everything here is pure and cheap: it runs on every persisted error, before any database
work. Changing what a fingerprint is made of moves every new occurrence to a new group, so
such a change bumps ``GROUPING_VERSION``, which is hashed in."""

import dataclasses
import hashlib
import json
import re
from collections.abc import Sequence, Set
from types import FrameType

from errors.frames import innermost_project_frame

GROUPING_VERSION: int = 1
DEFAULT_PLACEHOLDER = "{{ default }}"
DEFAULT_PLACEHOLDERS = frozenset({DEFAULT_PLACEHOLDER, "{{default}}"})

# Only the start of a message decides its group (Bugsink cuts at 1,024 too): a 64 KB
# message costs no more than a short one, and hostile input has a bounded length.
MAX_GROUPING_MESSAGE_LENGTH = 1024

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_TIME_UNITS = r"(?:ns|us|µs|ms|min|s|h)"
# Alternatives in the order they win when several could start at the same character: a URL
# holds e-mail-like credentials, IPs and ports; a UUID holds hex; a date holds integers.
# Every run is possessive (``++``) or of a fixed shape, and a URL gives back no more than its
# trailing punctuation, so no input makes the engine reread what it has read (linear time).
_PARAMETERS = {
    "url": r"(?<![\w+.-])[A-Za-z][\w+.-]*+://[^\s]*[^\s.,;:!?'\")\]}>]",
    "email": r"(?<![\w.%+-])[\w.%+-]++@[A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)++",
    "uuid": r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}(?!\w)",
    "datetime": (
        r"(?:"
        # 2006-01-02, then optionally 15:04, :05, .999999999 and Z or +01:00 / -0700
        r"\d{4}-[01]\d-[0-3]\d"
        r"(?:[T ][0-2]\d:[0-5]\d(?::[0-6]\d(?:[.,]\d++)?)?(?:Z|[+-][0-2]\d(?::?[0-5]\d)?)?)?"
        # the basic form, 20060102T150405Z
        r"|\d{8}T\d{6}(?:[.,]\d++)?(?:Z|[+-][0-2]\d(?::?[0-5]\d)?)?"
        # a time of day on its own, 15:04:05.418
        r"|[0-2]\d:[0-5]\d:[0-6]\d(?:[.,]\d++)?"
        r")(?!\w)"
    ),
    "ip": rf"(?<!\.)(?:{_OCTET}\.){{3}}{_OCTET}(?!\w|\.\d)",
    # 0x and any hex digits, or eight or more hex digits: past seven digits a number is as
    # likely an id or a hash as a count, and one placeholder keeps an all-digit hash with
    # its siblings. Shorter words (cafe, deadbee) stay words.
    "hex": r"(?:0[xX][0-9a-fA-F]++|[0-9a-fA-F]{8,}+)(?!\w|\.\d)",
    # A minus is a sign only where it does not join two words (the dash of job-4711 stays).
    # A unit of time stays (1.5s -> <float>s); 1.2.3 is three integers, not a float and a
    # tail.
    "float": rf"(?<!\.)-?\d++\.\d++(?:[eE][+-]?\d++)?(?={_TIME_UNITS}?(?!\w))(?!\.\d)",
    "int": rf"-?\d++(?={_TIME_UNITS}?(?!\w))",
}
# No value starts inside a word (utf8, sha256, x86_64 keep their digits), and each starts
# with a word character or one of . % + -: testing that once, before the alternatives, makes
# most characters cost one test.
_PARAMETER_PATTERN = re.compile(
    r"(?<!\w)(?=[\w.%+-])(?:"
    + "|".join(f"(?P<{name}>{rx})" for name, rx in _PARAMETERS.items())
    + ")"
)
_PLACEHOLDERS = {name: f"<{name}>" for name in _PARAMETERS}


def normalize_message(message: str) -> str:
    """The message as a group sees it: its first line, at most ``MAX_GROUPING_MESSAGE_LENGTH``
    characters of it, with every value that differs between occurrences of the same problem
    replaced by a placeholder, so "job 4711 failed" and "job 4712 failed" group together."""
    if not isinstance(message, str):
        message = _printable(message)
    lines = message.lstrip()[:MAX_GROUPING_MESSAGE_LENGTH].splitlines()
    first_line = lines[0].rstrip() if lines else ""
    return _PARAMETER_PATTERN.sub(_placeholder, first_line)


def _placeholder(match: re.Match[str]) -> str:
    return _PLACEHOLDERS[match.lastgroup or ""]


def culprit_for(exception: BaseException | None) -> str | None:
    """Where the problem is, for grouping: ``module.function`` (qualified name) of the deepest
    traceback frame in the project's own code, without a line number so that edits around
    it keep the group. None when the exception has no traceback or the traceback never
    enters the project. Never raises: it runs on every persisted error."""
    try:
        frame = innermost_project_frame(getattr(exception, "__traceback__", None))
        return None if frame is None else _culprit_of(frame)
    except Exception:
        return None


def _culprit_of(frame: FrameType) -> str:
    module = frame.f_globals.get("__name__")
    qualname = frame.f_code.co_qualname
    return f"{module}.{qualname}" if isinstance(module, str) and module else qualname


@dataclasses.dataclass(frozen=True)
class Fingerprint:
    """What an occurrence is grouped by: the readable parts (shown as "why grouped"), the
    hash of those parts and of the grouping version, and that version."""

    parts: tuple[str, ...]
    hash: str
    version: int


def default_fingerprint_parts(
    *, exception_type: str | None, culprit: str | None, message: str
) -> list[str]:
    """An exception's fingerprint: its dotted type, its culprit and its normalized message,
    each labelled so the group page can say why occurrences were grouped."""
    return [
        f"type:{exception_type or ''}",
        f"culprit:{culprit or ''}",
        f"message:{normalize_message(message)}",
    ]


def logged_fingerprint_parts(*, logger_name: str, template: str) -> list[str]:
    """A log record's fingerprint when it carries no exception: the logger and the unformatted
    template (``record.msg``), so ``log.error("sync failed for %s", job)`` is one group
    whatever the job."""
    return [f"logger:{logger_name}", f"message:{normalize_message(template)}"]


def build_fingerprint(
    default_parts: list[str], custom: Sequence[object] | None = None
) -> Fingerprint:
    """The fingerprint of an occurrence: the default parts, or the caller's own ``custom``
    parts, where an item ``{{ default }}`` stands for the default parts (extending them) and
    its absence replaces them. A plain string counts as a one-item list; an item whose
    ``str()`` raises becomes a placeholder naming its type. Never raises on ``custom``."""
    parts = tuple(_expand(default_parts, custom))
    payload = json.dumps([GROUPING_VERSION, parts])  # a list, so no two part lists collide
    digest = hashlib.sha256(payload.encode()).hexdigest()
    return Fingerprint(parts=parts, hash=digest, version=GROUPING_VERSION)


def _expand(default_parts: list[str], custom: Sequence[object] | None) -> list[str]:
    items = _custom_items(custom)
    if not items:
        return list(default_parts)
    parts: list[str] = []
    for item in items:
        text = _printable(item)
        if text in DEFAULT_PLACEHOLDERS:
            parts += default_parts
        else:
            parts.append(text)
    return parts


def _custom_items(custom: object) -> list[object]:
    if custom is None:
        return []
    if isinstance(custom, str | bytes):
        return [custom] if custom else []
    if isinstance(custom, Set):  # no order of its own: sorted, so the hash is stable
        return sorted(custom, key=_printable)
    if not isinstance(custom, Sequence):
        return [custom]
    try:
        return list(custom)
    except Exception:
        return [custom]


def _printable(value: object) -> str:
    """``str(value)``, or a placeholder naming its type when that raises. Never ``repr()``: a
    default repr holds a memory address, which would split a group per process."""
    if type(value) is str:
        return value
    try:
        text = str(value)
    except Exception:
        text = None
    return text if isinstance(text, str) else f"<unprintable {type(value).__qualname__}>"
