"""Shared helpers: the bottom layer, imported by every app and importing none
of them (docs/architecture.md)."""
