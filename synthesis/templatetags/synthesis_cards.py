"""The statements of the synthesis editor, rendered in Python.

The editor of a 10,000-note workshop shows ~1,500 statements, each with its
support, its sources, its comments and its actions. Through the template
engine a statement cost ~2 ms (eleven URL reversals, seven truncations, a
dozen translations, four CSRF tokens, the markup): ~3 s a page. Here:

- a statement is one `str.format` of the HTML below, every value escaped first
  (`escape` is html.escape: the values are plain strings, not lazy ones);
- its URLs come from one reversal of each pattern per page, its words from one
  translation per page, both written once into the page's copy of the HTML;
- its up, down and remove buttons post through the page's one
  `#statement-actions` form (the HTML `form` attribute), which holds the CSRF
  token; the comment form keeps its own, with the page's token;
- its rendered markup (markdown-it and nh3) is kept by text (`atelier.rows`).

The published page uses the same kept markup (`cached_markup`).
"""

import re
from html import escape

from django import template
from django.template.backends.utils import csrf_input
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from atelier.models import Kind
from atelier.rows import literal, rendered, url_pattern

register = template.Library()

_CARD = (
    '<li class="statement-card kind-{kind}" id="enonce-{pk}" data-version="{version}">\n'
    "{pick}"
    '<div class="statement-text">{html}</div>\n'
    "{proposal}"
    '<p class="support">{weak}{support}</p>\n'
    '<details class="sources" hx-get="{w.sources_url}" hx-trigger="toggle once"'
    ' hx-target="find .sources-list">\n'
    "<summary>{w.sources}</summary>\n"
    '<div class="sources-list"><a href="{w.sources_url}">{w.see_sources}</a></div>\n'
    "</details>\n"
    '<details class="comments" hx-get="{w.comments_url}" hx-trigger="toggle once"'
    ' hx-target="find .comments-list">\n'
    "<summary>{w.comments}</summary>\n"
    '<div class="comments-list"><a href="{w.comments_url}">{w.see_comments}</a></div>\n'
    '<form method="post" action="{w.comment_url}" class="comment-form">\n'
    '{w.csrf}<label for="comment-{pk}">{w.add_comment}</label>\n'
    '<textarea name="text" id="comment-{pk}" rows="2"></textarea>\n'
    '<button type="submit" class="button-small">{w.comment}</button>\n'
    "</form>\n"
    "</details>\n"
    "{actions}"
    "</li>\n"
)
_PICK = (
    '<input type="checkbox" name="statements" value="{pk}" form="select-{section}"'
    ' id="pick-{pk}" class="pick"><label for="pick-{pk}" class="visually-hidden">{select}</label>\n'
)
# A label the language model proposed: said so until edited or accepted.
_PROPOSAL = (
    '<p class="label-proposal"><span class="badge">{w.proposed}</span>\n'
    '<button type="submit" form="statement-actions" formaction="{w.accept_label_url}"'
    ' class="button-small button-quiet">{w.accept_label}'
    '<span class="visually-hidden"> : {label}</span></button></p>\n'
)
# Without JavaScript a button submits the #statement-actions form to its
# `formaction`, with its own name and value: the same request as a form of its own.
_ACTIONS = (
    '<div class="note-actions">\n'
    '<a class="button-small" href="{w.edit_url}" hx-get="{w.edit_url}" hx-target="#enonce-{pk}"'
    ' hx-swap="outerHTML">{w.edit}<span class="visually-hidden"> : {label}</span></a>\n'
    '<button type="submit" form="statement-actions" formaction="{w.reorder_url}" name="direction"'
    ' value="up" class="icon-button"><span aria-hidden="true">↑</span>'
    '<span class="visually-hidden">{w.up} : {label}</span></button>\n'
    '<button type="submit" form="statement-actions" formaction="{w.reorder_url}" name="direction"'
    ' value="down" class="icon-button"><span aria-hidden="true">↓</span>'
    '<span class="visually-hidden">{w.down} : {label}</span></button>\n'
    '<a class="button-small button-quiet" href="{w.split_url}" hx-get="{w.split_url}"'
    ' hx-target="#enonce-{pk}" hx-swap="outerHTML">{w.split}'
    '<span class="visually-hidden"> : {label}</span></a>\n'
    '<button type="submit" form="statement-actions" formaction="{w.remove_url}"'
    ' class="button-small button-quiet">{w.remove}<span class="visually-hidden"> : {label}</span>'
    "</button>\n"
    '<button type="submit" form="attach-form" name="statement" value="{pk}"'
    ' class="button-small button-quiet attach-here">{w.attach}'
    '<span class="visually-hidden"> : {label}</span></button>\n'
    "</div>\n"
)
# An id no statement has: reversed once, then replaced by each statement's own.


@register.simple_tag(takes_context=True)
def statement_cards(context, statements, section):
    """The <li> of each statement of `section` (support counted by the view:
    `group_count`, `actor_types`, `open_comments`)."""
    # One set of words per page: the editor calls this for every list of statements.
    words = context.render_context.get(_Words)
    if words is None:
        words = context.render_context[_Words] = _Words(context)
    return mark_safe("".join(_card(s, section, words) for s in statements))  # noqa: S308


@register.simple_tag(takes_context=True)
def statement_card(context, statement, section):
    return statement_cards(context, [statement], section)


def _card(statement, section, words):
    pk = statement.pk
    quote = statement.kind == Kind.QUOTE
    html, label = rendered(statement.text, inline=quote)
    if quote:
        html = f"<q>{html}</q>"
    pick = actions = proposal = ""
    if not words.frozen:
        select = words.select % {"text": label}
        pick = words.pick.format(pk=pk, section=statement.section_id, select=select)
        actions = words.actions.format(pk=pk, label=label)
        if getattr(statement, "label_proposed", False):
            proposal = words.proposal.format(pk=pk, label=label)
    return words.card.format(
        pk=pk,
        kind=escape(statement.kind),
        version=statement.version,
        pick=pick,
        html=html,
        proposal=proposal,
        support=_support(statement, section, words),
        weak=words.weak if getattr(statement, "weak", False) else "",
        actions=actions,
    )


def _support(statement, section, words):
    """The support line: soulevé par 5 groupes sur 8 · Temps 1 · agents · 2 commentaires
    ouverts."""
    n = statement.group_count
    if n:
        text = words.raised(n) % {
            "n": n,
            "total": section.total_groups,
            "round": words.round_label(section),
        }
    else:
        text = words.no_source
    if statement.actor_types:
        text += " · " + ", ".join(escape(name) for name in statement.actor_types)
    if statement.open_comments:
        count = words.open_comments(statement.open_comments) % {"n": statement.open_comments}
        text += f' · <span class="badge">{count}</span>'
    return text


class _Words:
    """What all the statements of one page share: translations, URL patterns,
    the CSRF token and whether the revision is frozen."""

    def __init__(self, context):
        self.frozen = bool(context.get("frozen"))
        self._rounds = {}
        request = context.get("request")
        self.csrf = str(csrf_input(request)) if request is not None else ""
        self.sources_url = url_pattern("statement_sources")
        self.comments_url = url_pattern("statement_comments")
        self.comment_url = url_pattern("statement_comment")
        self.edit_url = url_pattern("statement_edit")
        self.reorder_url = url_pattern("statement_reorder")
        self.split_url = url_pattern("statement_split")
        self.remove_url = url_pattern("statement_remove")
        self.accept_label_url = url_pattern("statement_accept_label")
        # Literal strings, for makemessages.
        self.select = escape(gettext("Sélectionner « %(text)s »"))
        self.no_source = escape(gettext("sans note source"))
        self.raised = _plural(
            "soulevé par %(n)s groupe sur %(total)s · %(round)s",
            "soulevé par %(n)s groupes sur %(total)s · %(round)s",
        )
        self.open_comments = _plural("%(n)s commentaire ouvert", "%(n)s commentaires ouverts")
        self.sources = escape(gettext("Notes sources"))
        self.see_sources = escape(gettext("Voir les notes sources"))
        self.comments = escape(gettext("Commentaires"))
        self.see_comments = escape(gettext("Voir les commentaires"))
        self.add_comment = escape(gettext("Ajouter un commentaire"))
        self.comment = escape(gettext("Commenter"))
        self.edit = escape(gettext("Modifier"))
        self.up = escape(gettext("Monter"))
        self.down = escape(gettext("Descendre"))
        self.split = escape(gettext("Scinder"))
        self.remove = escape(gettext("Retirer"))
        self.attach = escape(gettext("Rattacher les notes cochées"))
        self.proposed = escape(gettext("Intitulé proposé par le modèle de langage"))
        self.accept_label = escape(gettext("Garder cet intitulé"))
        # A point one group raised, marked where it stands (docs/decisions.md).
        weak = escape(gettext("Signal faible"))
        self.weak = f'<span class="badge badge-weak">{weak}</span> '
        # The HTML of a card with all of the above written in: what is left
        # to fill is the statement's own.
        self.card, self.pick, self.actions, self.proposal = (
            _bake(t, self) for t in (_CARD, _PICK, _ACTIONS, _PROPOSAL)
        )

    def round_label(self, section):
        """The section's round ("Temps 1"), translated once per page."""
        if section.round_id not in self._rounds:
            label = section.round.label if section.round else ""
            self._rounds[section.round_id] = escape(str(label))
        return self._rounds[section.round_id]


def _plural(singular, plural):
    """n -> the escaped message for n, translated once per n and page."""
    known = {}

    def message(n):
        if n not in known:
            known[n] = escape(ngettext(singular, plural, n))
        return known[n]

    return message


def _bake(pattern, words):
    """`pattern` with the page's words written in: `{w.edit}` becomes "Modifier"."""

    def word(match):
        name = match.group(1)
        value = getattr(words, name)
        return value if name.endswith("_url") else literal(value)

    return re.sub(r"\{w\.(\w+)\}", word, pattern)


# ----- the markup filters of the published page -----------------------------------


@register.filter
def cached_markup(text) -> SafeString:
    """`markup`, kept by text: a page of 1,500 statements renders them once."""
    return mark_safe(rendered(text)[0])  # noqa: S308


@register.filter
def cached_markup_inline(text) -> SafeString:
    return mark_safe(rendered(text, inline=True)[0])  # noqa: S308
