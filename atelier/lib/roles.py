"""The roles every app's rules start from. A user's role lives on the user
(`is_coordinator`, `is_delegate`): nothing here needs an app's models."""

from django.core.exceptions import PermissionDenied


def is_coordinator(user) -> bool:
    return user.is_authenticated and user.is_coordinator


def can_administer(user) -> bool:
    """The Django admin is the coordinators' back office."""
    return is_coordinator(user)


def require_coordinator(user):
    if not is_coordinator(user):
        raise PermissionDenied
