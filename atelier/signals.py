"""Signals other apps listen to: atelier never imports the apps built on it,
they register here (synthesis embeds the notes' texts, for instance)."""

from django.dispatch import Signal

# Notes created, or whose text changed, on the board: `note_ids`, a list.
# Sent inside the saving transaction; receivers that start work elsewhere
# wait for the commit (transaction.on_commit) and must never raise.
notes_written = Signal()
