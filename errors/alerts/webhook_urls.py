"""Webhook addresses: which are accepted, and how they are shown back.

Any http or https host is accepted, localhost and private networks included: self-hosted
chat servers live there. Webhook addresses often carry their secret (Slack's path token, a
``?token=`` value, a user:password), so they are shown masked everywhere but the outbox."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ValidationError

SCHEMES = ("http", "https")
MASK = "***"
# Path segments at least this long are taken for tokens.
TOKEN_LENGTH = 16
SHOWN_OF_TOKEN = 4


def validate_webhook_url(url: str) -> None:
    """Refuse anything but an absolute http(s) address with a host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError as exc:
        raise ValidationError("Enter a valid http or https address.", code="invalid") from exc
    if parts.scheme.lower() not in SCHEMES:
        raise ValidationError(
            "Webhook addresses must start with http:// or https://.", code="scheme"
        )
    if not parts.hostname:
        raise ValidationError("Enter a valid http or https address.", code="invalid")


def mask_webhook_url(url: str) -> str:
    """The address with its secrets hidden: the user and password, every query value, the
    fragment, and the long path segments that look like tokens (their first characters
    kept, so two webhooks can still be told apart)."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return MASK
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{MASK}@{host}" if parts.username or parts.password else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    path = "/".join(mask_segment(segment) for segment in parts.path.split("/"))
    query = urlencode(
        [(key, MASK) for key, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*"
    )
    fragment = MASK if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def mask_segment(segment: str) -> str:
    if len(segment) < TOKEN_LENGTH:
        return segment
    return f"{segment[:SHOWN_OF_TOKEN]}{MASK}"
