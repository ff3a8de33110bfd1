"""Marking a change of language inside a page (RGAA 8.7): content in another language than the page's."""

from django import template
from django.utils import translation
from django.utils.html import format_html

register = template.Library()


def other_language(language: str) -> str:
    """``language`` when it is not the page's (the active language), else "" (same primary subtag)."""
    page = translation.get_language() or ""
    if not language or language.split("-")[0].lower() == page.split("-")[0].lower():
        return ""
    return language


@register.filter
def lang_if_other(language: str) -> str:
    """`` lang="en"`` (an attribute to put in a tag) when ``language`` is not the page's language, else "".

    For content whose language is known, such as a framework published in English only (DigComp) on a
    French page.
    """
    language = other_language(language)
    return format_html(' lang="{}"', language) if language else ""
