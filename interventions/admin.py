"""The editors' workplace: search, facets, autocomplete for every vocabulary, inlines."""

from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from interventions.models import (
    TEXT_SECTIONS,
    Contact,
    Guidance,
    Intervention,
    KKRGoal,
    Law,
    LegalBasis,
    LegalParagraph,
    Method,
    Municipality,
    PolicyArea,
    Region,
    SourceDocument,
    SourceSection,
    TargetGroup,
)


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class LegalBasisInline(admin.TabularInline):
    model = LegalBasis
    extra = 0
    autocomplete_fields = ["paragraph"]


@admin.register(Intervention)
class InterventionAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "organisation",
        "source",
        "locator",
        "sector",
        "status",
        "is_published",
        "updated_at",
    ]
    list_filter = [
        "is_published",
        "source",
        "sector",
        "status",
        "evaluation_level",
        "target_groups",
        "policy_areas",
        "methods",
        ("municipalities__region", admin.RelatedOnlyFieldListFilter),
    ]
    show_facets = admin.ShowFacets.ALWAYS
    search_fields = ["title", "summary", "organisation", "locator", "slug"]
    list_select_related = ["source"]
    autocomplete_fields = [
        "municipalities",
        "regions",
        "target_groups",
        "policy_areas",
        "kkr_goals",
        "methods",
        "related",
        "source_section",
    ]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [LegalBasisInline, ContactInline]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "alternative_titles", "summary", "is_published"]}),
        (
            _("Kilde"),
            {
                "fields": [
                    "source",
                    "locator",
                    "source_section",
                    ("source_first_line", "source_last_line"),
                ]
            },
        ),
        (
            _("Ejer og målgruppe"),
            {
                "fields": [
                    "sector",
                    "organisation",
                    "municipalities",
                    "regions",
                    "target_groups",
                    "policy_areas",
                    "kkr_goals",
                    "methods",
                    "related",
                ]
            },
        ),
        (
            _("Periode, økonomi og evaluering"),
            {
                "fields": [
                    ("period_start", "period_end", "status"),
                    ("budget_dkk", "budget_note"),
                    "funding_source",
                    "evaluation_level",
                ]
            },
        ),
        (_("Beskrivelse"), {"fields": [s.field for s in TEXT_SECTIONS]}),
        (_("Redaktion"), {"fields": ["editorial_note", "created_at", "updated_at"]}),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.refresh_search_document()


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "region"]
    list_filter = ["region"]
    list_select_related = ["region"]
    search_fields = ["name", "code"]


@admin.register(TargetGroup, PolicyArea, Method)
class VocabularyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(KKRGoal)
class KKRGoalAdmin(admin.ModelAdmin):
    list_display = ["text", "area", "order"]
    list_filter = ["area"]
    search_fields = ["text", "area"]


# Links to law texts are https; say so now rather than rely on Django 6.0's changed default.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Law)
class LawAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["abbreviation", "name", "full_name"]
    search_fields = ["abbreviation", "name", "full_name"]


@admin.register(LegalParagraph)
class LegalParagraphAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["__str__", "law"]
    list_filter = ["law"]
    list_select_related = ["law"]
    search_fields = ["number", "title", "law__abbreviation", "law__name"]


@admin.register(SourceDocument)
class SourceDocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "publisher", "year", "key"]
    search_fields = ["title", "publisher", "key"]


@admin.register(SourceSection)
class SourceSectionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "source", "parent", "order"]
    list_filter = ["source", "kind"]
    list_select_related = ["source", "parent"]
    search_fields = ["name", "code"]


@admin.register(Guidance)
class GuidanceAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "group", "source"]
    list_filter = ["source"]
    list_select_related = ["source"]
    search_fields = ["title", "text", "group"]
