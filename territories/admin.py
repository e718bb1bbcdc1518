from django.contrib import admin

from atelier.lib.admin import CoordinatorAdmin

from .models import Territory


@admin.register(Territory)
class TerritoryAdmin(CoordinatorAdmin):
    list_display = ["name", "level", "code", "parent", "valid_from", "valid_until"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    filter_horizontal = ["communes"]
    list_select_related = ["parent"]
