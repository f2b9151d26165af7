"""How ids (jobs, users) are shown: whole, so they can be read, searched and copied.

The link's text is the full id; narrow cells shorten it with CSS (a monospace prefix and an
ellipsis) while the title and screen readers keep the whole value. ``copy.js`` adds the
copy button after each ``.id-value``: copying needs JavaScript, so without it no button
that cannot work is shown, and a page of rows carries no button markup.
"""

from django.utils.html import format_html
from django.utils.safestring import SafeString


def id_link(value: object, *, kind: str, href: str) -> SafeString:
    """``value`` as a link to ``href`` (a filter narrowing to it), marked as an id of ``kind``
    ("job", "user") for the copy button's label. A table that swaps its list in place boosts
    its links (hx-boost) rather than repeating ``href`` in an ``hx-get``."""
    return format_html(
        '<a class="id-value" data-kind="{}" href="{}" title="{}">{}</a>', kind, href, value, value
    )
