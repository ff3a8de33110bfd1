"""Template helpers of the course pages."""

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``{{ mapping|get_item:key }}``: a dict's value for a key, or ``None``."""
    return (mapping or {}).get(key)
