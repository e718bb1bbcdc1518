from django.apps import AppConfig


class WebConfig(AppConfig):
    """The site's top layer: pages that read every app (home, login, search,
    dashboards, trends) and the demo loader. Nothing imports it but the root
    URL table (docs/architecture.md)."""

    name = "web"
    verbose_name = "Site"
