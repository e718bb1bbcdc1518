from django import template

from atelier import markup as markup_module

register = template.Library()


@register.filter
def markup(text):
    """Render the light markup (**bold**, *italic*, "- " bullets), sanitised."""
    return markup_module.render(text)


@register.filter
def markup_inline(text):
    return markup_module.render_inline(text)


@register.filter(expects_localtime=True)
def jour(value) -> str:
    """A date as French writes it: "1er décembre 2026", "2 décembre 2026"
    (Django's "j F Y" says "1 décembre"). Aware datetimes in local time, as
    the date filter does."""
    if not value:
        return ""
    from django.template.defaultfilters import date
    from django.utils import timezone

    if hasattr(value, "hour") and timezone.is_aware(value):
        value = timezone.localtime(value)
    text = date(value, "j F Y")
    return f"1er{text[1:]}" if value.day == 1 and text.startswith("1 ") else text
