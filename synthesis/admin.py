from django.contrib import admin

from atelier.admin import CoordinatorAdmin, CoordinatorInline

from .models import Section, Statement, Synthesis


class SectionInline(CoordinatorInline, admin.TabularInline):
    model = Section
    extra = 0
    fields = ["order", "title", "round", "question"]
    show_change_link = True


class StatementInline(CoordinatorInline, admin.StackedInline):
    model = Statement
    extra = 0
    fields = ["order", "kind", "text", "speaker_actor_type"]


@admin.register(Synthesis)
class SynthesisAdmin(CoordinatorAdmin):
    list_display = ["workshop", "revision", "status", "published_at"]
    list_filter = ["status"]
    search_fields = ["workshop__title", "workshop__slug"]
    list_select_related = ["workshop"]
    readonly_fields = ["published_at", "published_by"]
    inlines = [SectionInline]


@admin.register(Section)
class SectionAdmin(CoordinatorAdmin):
    list_display = ["title", "synthesis", "order"]
    search_fields = ["title", "synthesis__workshop__title"]
    list_select_related = ["synthesis__workshop"]
    inlines = [StatementInline]


@admin.register(Statement)
class StatementAdmin(CoordinatorAdmin):
    list_display = ["__str__", "kind", "section", "speaker_actor_type"]
    list_filter = ["kind", "speaker_actor_type", "section__synthesis__workshop"]
    search_fields = ["text"]
    raw_id_fields = ["section", "sources"]
    list_select_related = ["section", "speaker_actor_type"]
