"""``{% summary_inline_link "group_list" "Show the charts" %}`` and
``{% summary_inline_input %}``: what a page that defers its summary offers readers without
JavaScript (dashboard.inline_summary). Both sit in ``<noscript>``: a browser running scripts
reads them as text, not markup."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from dashboard.inline_summary import INLINE, PARAM, asks_summary_inline, summary_inline_url

register = template.Library()


@register.simple_tag(takes_context=True)
def summary_inline_link(
    context: template.Context, list_view: str, text: str, lead: str = ""
) -> SafeString:
    """A link to this list, as filtered, with its summary rendered in the page; ``lead`` is
    the text before it, shown only with it."""
    url = summary_inline_url(list_view, context["request"].GET)
    return format_html('<noscript>{}<a href="{}">{}</a></noscript>', lead, url, text)


@register.simple_tag(takes_context=True)
def summary_inline_input(context: template.Context) -> SafeString:
    """Inside the filter form: keeps the summary in the page through a plain (no-JavaScript)
    submit, once the reader has asked for it; nothing otherwise."""
    if not asks_summary_inline(context["request"].GET):
        return SafeString("")
    return format_html(
        '<noscript><input type="hidden" name="{}" value="{}"></noscript>', PARAM, INLINE
    )
