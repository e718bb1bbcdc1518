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
