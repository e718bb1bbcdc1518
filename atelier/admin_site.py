from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import permissions
from .forms import AdminLoginForm


class AtelierAdminSite(admin.AdminSite):
    site_header = _("Atelier — administration")
    site_title = _("Atelier")
    index_title = _("Données des ateliers")
    # Throttled like the site's login, and over-long passwords refused unhashed.
    login_form = AdminLoginForm

    def has_permission(self, request):
        return permissions.can_administer(request.user)
