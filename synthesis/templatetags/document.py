"""The synthesis as a document: French typography in the page and the PDF.

Both templates pass every piece of the synthesis through these filters, so
the spacing of « », ; : ! ? and numbers comes from atelier/lib/typography.py
alone, as it does in the DOCX.
"""

from django import template
from django.utils.safestring import SafeString, mark_safe

from atelier.lib.typography import french, quoted
from atelier.rows import rendered

register = template.Library()


@register.filter
def fr(text) -> str:
    """Plain text (a title, a heading) with French spacing; escaped by the template."""
    return french(str(text or ""))


@register.filter
def typeset(text) -> SafeString:
    """A statement's markup, French spacing applied, rendered once per text."""
    return mark_safe(rendered(french(text or ""))[0])  # noqa: S308


@register.filter
def typeset_quote(text) -> SafeString:
    """A quote between « », never doubled, its inline markup rendered."""
    return mark_safe(rendered(quoted(text or ""), inline=True)[0])  # noqa: S308
