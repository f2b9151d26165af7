from django import template

from errors.alerts.webhook_urls import mask_webhook_url

register = template.Library()


@register.filter
def masked_webhook_url(url: str) -> str:
    """A webhook address with its secrets hidden, for display."""
    return mask_webhook_url(url)
