from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminFileWidget
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .lib.admin import CoordinatorAdmin, CoordinatorInline
from .logos import LogoField
from .models import (
    ActorType,
    Contribution,
    Organisation,
    Participant,
    Question,
    Round,
    Theme,
    User,
    WorkingGroup,
    Workshop,
)


@admin.register(User)
class UserAdmin(CoordinatorAdmin, BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "is_active", "is_superuser"]
    filter_horizontal = ["territories"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Rôle dans Atelier"), {"fields": ["role", "territories"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (_("Rôle dans Atelier"), {"fields": ["role", "first_name", "last_name", "email"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # Coordinators manage accounts, but only a superuser hands out superpowers.
        if request.user.is_superuser:
            return []
        return [
            "is_superuser",
            "is_staff",
            "groups",
            "user_permissions",
            "last_login",
            "date_joined",
        ]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    has_delete_permission = has_change_permission


class OrganisationAdminForm(forms.ModelForm):
    # Re-encoded on upload (atelier/logos.py): the stored file is never the upload.
    logo = LogoField(label=_("logo"), widget=AdminFileWidget)

    class Meta:
        model = Organisation
        fields = ["name", "acronym", "kind", "logo", "website"]


@admin.register(Organisation)
class OrganisationAdmin(CoordinatorAdmin):
    form = OrganisationAdminForm
    list_display = ["name", "acronym", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "acronym"]


@admin.register(ActorType)
class ActorTypeAdmin(CoordinatorAdmin):
    list_display = ["name", "quote_label", "order"]
    list_editable = ["order"]
    search_fields = ["name", "quote_label"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Theme)
class ThemeAdmin(CoordinatorAdmin):
    list_display = ["name", "slug", "note_count"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["merge"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(note_count=Count("contributions"))

    @admin.display(description=_("notes"), ordering="note_count")
    def note_count(self, obj):
        return obj.note_count

    @admin.action(
        description=_("Fusionner les thèmes cochés dans le premier (par ordre alphabétique)")
    )
    def merge(self, request, queryset):
        themes = list(queryset.order_by("name"))
        if len(themes) < 2:
            self.message_user(request, _("Cochez au moins deux thèmes."), level="error")
            return
        target, others = themes[0], themes[1:]
        target.absorb(others)
        self.message_user(
            request,
            ngettext(
                "%(n)s thème fusionné dans « %(target)s ».",
                "%(n)s thèmes fusionnés dans « %(target)s ».",
                len(others),
            )
            % {"n": len(others), "target": target.name},
        )


class RoundInline(CoordinatorInline, admin.TabularInline):
    model = Round
    extra = 0
    show_change_link = True


@admin.register(Workshop)
class WorkshopAdmin(CoordinatorAdmin):
    list_display = ["title", "date", "format", "territory", "is_public", "is_demo"]
    list_filter = ["format", "is_public", "is_demo", "territory__level"]
    search_fields = ["title", "slug", "territory__name"]
    date_hierarchy = "date"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["territory"]
    filter_horizontal = ["carriers", "supporters"]
    inlines = [RoundInline]


class QuestionInline(CoordinatorInline, admin.TabularInline):
    model = Question
    extra = 0


class WorkingGroupInline(CoordinatorInline, admin.TabularInline):
    model = WorkingGroup
    extra = 0
    fields = ["number", "actor_type"]
    show_change_link = True


@admin.register(Round)
class RoundAdmin(CoordinatorAdmin):
    list_display = ["__str__", "workshop", "order", "grouping_mode"]
    list_filter = ["grouping_mode", "workshop"]
    search_fields = ["title", "workshop__title"]
    inlines = [QuestionInline, WorkingGroupInline]


@admin.register(Question)
class QuestionAdmin(CoordinatorAdmin):
    list_display = ["title", "round", "order", "default_kind"]
    list_filter = ["default_kind", "round__workshop"]
    search_fields = ["title"]
    list_select_related = ["round__workshop"]


@admin.register(Participant)
class ParticipantAdmin(CoordinatorAdmin):
    list_display = [
        "last_name",
        "first_name",
        "workshop",
        "actor_type",
        "territory",
        "organisation",
    ]
    list_filter = ["workshop", "actor_type"]
    search_fields = ["first_name", "last_name", "email", "organisation__name"]
    autocomplete_fields = ["territory", "organisation"]
    list_select_related = ["workshop", "actor_type", "territory", "organisation"]


@admin.register(WorkingGroup)
class WorkingGroupAdmin(CoordinatorAdmin):
    list_display = ["__str__", "round", "actor_type", "member_count"]
    list_filter = ["round__workshop", "round"]
    search_fields = ["round__workshop__title"]
    filter_horizontal = ["members", "animators"]
    list_select_related = ["round__workshop", "actor_type"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("membres"), ordering="member_count")
    def member_count(self, obj):
        return obj.member_count


@admin.register(Contribution)
class ContributionAdmin(CoordinatorAdmin):
    list_display = ["__str__", "kind", "group", "question", "speaker_actor_type", "deleted_at"]
    list_filter = ["kind", "group__round__workshop", "speaker_actor_type", "themes"]
    search_fields = ["text"]
    filter_horizontal = ["themes"]
    readonly_fields = ["client_uuid", "version", "created_at", "updated_at"]
    raw_id_fields = ["group", "question", "author"]
    list_select_related = ["group__round__workshop", "question", "speaker_actor_type"]
