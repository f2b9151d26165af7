"""Text search over errors: the message and the text of the JSON context."""

from django.db.models import Q, QuerySet


def search_app_errors(queryset: QuerySet, text: str) -> QuerySet:
    """Errors whose message or context mention ``text``. Any user text is accepted."""
    text = (text or "").strip()
    if not text:
        return queryset
    return queryset.filter(Q(message__icontains=text) | Q(data__icontains=text))
