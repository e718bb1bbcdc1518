from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/", views.health, name="health"),
    path("ateliers/<slug:slug>/", views.workshop, name="workshop"),
    path("", include("synthesis.urls")),
    path("admin/", admin.site.urls),
    # Logos are public (they appear on public syntheses); every other media
    # file (exports) goes through a view that checks rights at download time.
    path(
        "media/logos/<path:path>",
        serve,
        {"document_root": settings.MEDIA_ROOT / "logos"},
        name="logo",
    ),
]
