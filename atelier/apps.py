from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AtelierConfig(AppConfig):
    default = True
    name = "atelier"
    verbose_name = _("Ateliers")


class AtelierAdminConfig(admin_apps.AdminConfig):
    default = False
    # Our site lets coordinators in through the permission module, not is_staff.
    default_site = "atelier.admin_site.AtelierAdminSite"
