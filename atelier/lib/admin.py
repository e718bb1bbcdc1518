"""The admin's base classes: every app's back office belongs to the
coordination, whose rights come from the roles, not from Django's per-model
permission rows."""

from django.contrib import admin

from .roles import can_administer


class CoordinatorAdmin(admin.ModelAdmin):
    """Coordinators manage every workshop object; rights come from the
    permission module rather than Django's per-model permission rows."""

    def has_module_permission(self, request):
        return can_administer(request.user)

    def has_view_permission(self, request, obj=None):
        return can_administer(request.user)

    has_add_permission = has_module_permission

    def has_change_permission(self, request, obj=None):
        return can_administer(request.user)

    has_delete_permission = has_change_permission


class CoordinatorInline:
    def has_view_permission(self, request, obj=None):
        return can_administer(request.user)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission
