"""The notes of the group board, rendered in Python.

A board shows hundreds of notes and is reloaded often. Through the template
engine each note cost ~2 ms: eight URL reversals, three truncations, the
translations, three CSRF tokens and the markup. Here:

- a note is one `str.format` of the HTML below, every value escaped first;
- its URLs come from one reversal of each pattern per board;
- its move and delete buttons post through the board's one `#board-actions`
  form (the HTML `form` attribute), which holds the CSRF token;
- its rendered markup (markdown-it and nh3, the costly part) is kept by text
  (`atelier.rows`).
"""

from functools import lru_cache
from html import escape

from django import template
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from atelier.models import Kind
from atelier.rows import rendered, url_pattern

register = template.Library()

# `escape` is Django's own escaping (it calls html.escape) without the wrapper
# for lazy strings, which cost more than the escaping itself. Every value put
# into these strings is an int, a UUID, or escaped.
_DELETED = (
    '<li id="note-{pk}" class="note" data-note-id="{pk}" data-deleted'
    ' data-updated="{updated}" hidden></li>\n'
)
_NOTE = (
    '<li id="note-{pk}" class="note kind-{kind}" data-note-id="{pk}" data-uuid="{uuid}"'
    ' data-question="{question}" data-updated="{updated}" data-created="{created}"'
    ' data-position="{position}" tabindex="-1">\n'
    '  <div class="note-text">{html}</div>\n'
    '  <p class="note-meta"><span class="kind-badge">{kind_label}</span>{speaker}{themes}</p>\n'
    "{actions}</li>\n"
)
# Without JavaScript a button submits the #board-actions form to its
# `formaction`; with htmx, its hx-post sends the same fields (htmx includes
# the button's form and its name and value).
_ACTIONS = (
    '<div class="note-actions">\n'
    '  <a class="button-small" href="{edit}" hx-get="{edit}" hx-target="#note-{pk}"'
    ' hx-swap="outerHTML">{w.edit_label}<span class="visually-hidden"> : {label}</span></a>\n'
    '  <button type="submit" form="board-actions" formaction="{move}" name="direction"'
    ' value="up" hx-post="{move}" hx-target="#notes-q{question}" hx-swap="outerHTML"'
    ' class="icon-button" id="up-{pk}"{up_focus}><span aria-hidden="true">↑</span>'
    '<span class="visually-hidden">{w.up_label} : {label}</span></button>\n'
    '  <button type="submit" form="board-actions" formaction="{move}" name="direction"'
    ' value="down" hx-post="{move}" hx-target="#notes-q{question}" hx-swap="outerHTML"'
    ' class="icon-button" id="down-{pk}"{down_focus}><span aria-hidden="true">↓</span>'
    '<span class="visually-hidden">{w.down_label} : {label}</span></button>\n'
    '  <button type="submit" form="board-actions" formaction="{delete}" hx-post="{delete}"'
    ' hx-target="#note-{pk}" hx-swap="outerHTML" class="button-small button-quiet">'
    '{w.delete_label}<span class="visually-hidden"> : {label}</span></button>\n'
    "</div>\n"
)


@register.simple_tag(takes_context=True)
def board_notes(context, notes):
    """Every note of a list as its <li>; the note whose button just moved it
    gets the focus back (`moved`, `direction`), for keyboard users."""
    return render_notes(
        notes,
        can_write=context.get("can_write", False),
        moved=context.get("moved"),
        direction=context.get("direction"),
    )


@register.simple_tag(takes_context=True)
def board_note(context, note):
    return render_notes([note], can_write=context.get("can_write", False))


def render_notes(notes, *, can_write, moved=None, direction=None) -> SafeString:
    notes = list(notes)
    words = _words(can_write, get_language(), get_script_prefix())
    focus = {(moved, direction): " autofocus"}
    return mark_safe("".join(_note(note, words, focus) for note in notes))  # noqa: S308


def _note(note, words, focus):
    if note.deleted_at:
        return _DELETED.format(pk=note.pk, updated=stamp(note.updated_at))
    pk, question = note.pk, note.question_id
    html, label = rendered(note.text)
    actions = ""
    if words.can_write:
        actions = _ACTIONS.format(
            w=words,
            pk=pk,
            question=question,
            label=label,
            edit=words.edit.format(pk=pk),
            move=words.move.format(pk=pk),
            delete=words.delete.format(pk=pk),
            up_focus=focus.get((pk, "up"), ""),
            down_focus=focus.get((pk, "down"), ""),
        )
    return _NOTE.format(
        pk=pk,
        kind=escape(note.kind),
        uuid=note.client_uuid,
        question=question,
        updated=stamp(note.updated_at),
        created=stamp(note.created_at),
        position="" if note.position is None else note.position,
        html=html,
        kind_label=words.kinds.get(note.kind) or escape(note.kind),
        speaker=_speaker(note),
        themes=_themes(note),
        actions=actions,
    )


def _speaker(note):
    if note.speaker_actor_type_id is None:
        return ""
    # A board's poll reads the name with the note (`changes_since`).
    name = getattr(note, "speaker_name", None) or note.speaker_actor_type.name
    return f'<span class="speaker">{escape(name)}</span>'


def _themes(note):
    # The board fetches the names of all its notes' themes in one query; a note
    # fetched alone asks for its own.
    names = getattr(note, "theme_names", None)
    if names is None:
        names = [theme.name for theme in note.themes.all()]
    return "".join(f'<span class="theme-tag">{escape(name)}</span>' for name in names)


def stamp(moment):
    """Django's `U.u` date format (seconds.microseconds since the epoch): the
    board script compares them to keep the newest copy of a note."""
    return f"{int(moment.timestamp())}.{moment.microsecond:06d}"


@lru_cache(maxsize=64)
def _words(can_write, language, script_prefix):
    """Built once per language and URL prefix (each poll and save renders a
    few notes: reversing three URLs and translating every label took longer
    than the notes themselves)."""
    return _Words(can_write)


class _Words:
    """What all the notes of one board share: translations and URL patterns."""

    def __init__(self, can_write):
        self.can_write = can_write
        self.kinds = {value: escape(str(label)) for value, label in Kind.choices}
        if can_write:
            self.edit = url_pattern("note_edit")
            self.move = url_pattern("note_move")
            self.delete = url_pattern("note_delete")
            self.edit_label = escape(gettext("Modifier"))
            self.up_label = escape(gettext("Monter"))
            self.down_label = escape(gettext("Descendre"))
            self.delete_label = escape(gettext("Supprimer"))
