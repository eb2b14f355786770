"""The editors' workplace: search, facets, autocomplete for every vocabulary, inlines, history.

Roles come from the groups in migration 0004: a Redaktør edits and publishes, a Læser only looks
(also at old versions, which only a Redaktør may restore). Publishing needs the
`publish_intervention` permission; every save is recorded with its editor. An entry's form refuses
to save over a change made after it was opened (interventions/conflicts.py).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, router, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import SIMPLE_HISTORY_REVERSE_ATTR_NAME

from interventions import conflicts
from interventions.changes import collect_entry_changes
from interventions.conflicts import EditStamp
from interventions.feedback.confirmations import ask_owner, describe_asked
from interventions.models import (
    TEXT_SECTIONS,
    Confirmation,
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
    ServedMunicipality,
    SourceDocument,
    SourceSection,
    TargetGroup,
    today,
)
from interventions.validators import parse_kroner


class HistoryAdmin(SimpleHistoryAdmin):
    """History pages where looking needs the view permission and restoring the change permission.

    django-simple-history lets anyone who may view the history post an old version's form (it
    only hides the button); here a POST without the change permission is refused.
    """

    def may_revert(self, request, obj) -> bool:
        return (
            not self.revert_disabled(request, obj)
            and self.has_change_history_permission(request, obj)
            and self.has_change_permission(request, obj)
        )

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            obj = self.get_object(request, unquote(object_id))
            if not self.may_revert(request, obj):
                raise PermissionDenied
        # A revert writes the row and its links: all or nothing, search texts refreshed once.
        with transaction.atomic(using=router.db_for_write(self.model)), collect_entry_changes():
            return super().history_form_view(request, object_id, version_id, extra_context)


class ContactForm(forms.ModelForm):
    def clean_email(self) -> str:
        # Addresses are case-insensitive; the catalogue stores them in lower case.
        return (self.cleaned_data.get("email") or "").strip().lower()


class ContactInline(admin.TabularInline):
    model = Contact
    form = ContactForm
    extra = 0
    fields = ["name", "role", "organisation", "email", "phone", "kind", "order"]


class LegalBasisInline(admin.TabularInline):
    model = LegalBasis
    extra = 0
    autocomplete_fields = ["paragraph"]


class ServedMunicipalityInline(admin.TabularInline):
    model = ServedMunicipality
    extra = 0
    autocomplete_fields = ["municipality"]
    fields = ["municipality", "basis", "source_first_line", "source_last_line", "note"]


class ConfirmationInline(admin.TabularInline):
    """Who confirmed the entry, when and how; the editor who records it is noted on save."""

    model = Confirmation
    extra = 0
    fields = ["confirmed_on", "confirmed_by", "method", "note", "recorded_by", "recorded_at"]
    readonly_fields = ["recorded_by", "recorded_at"]


class KronerField(forms.IntegerField):
    """Whole kroner, written the Danish way or plain: "780.000", "780.000 kr.", "780000"."""

    default_error_messages = {
        "invalid": _("Skriv beløbet i hele kroner, fx 780.000 (uden øre)."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_kroner(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class LinesField(forms.Field):
    """A list of texts, one per line (a JSON list in the database, never shown as JSON)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value) -> list[str]:
        if value in self.empty_values:
            return []
        if isinstance(value, list | tuple):
            return [str(item).strip() for item in value if str(item).strip()]
        return [line.strip() for line in str(value).splitlines() if line.strip()]


class EditStampField(forms.Field):
    """The `EditStamp` an entry's form was opened with, carried along hidden; never an edit."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def prepare_value(self, value):
        return str(value) if isinstance(value, EditStamp) else value

    def to_python(self, value) -> EditStamp | None:
        return EditStamp.parse(value) if value else None

    def has_changed(self, initial, data) -> bool:
        return False


class InterventionForm(forms.ModelForm):
    budget_dkk = KronerField(
        label=_("budget (kr.)"),
        required=False,
        min_value=0,
        help_text=_("Kun et beløb kilden oplyser, i hele kroner, fx 780.000."),
    )
    alternative_titles = LinesField(
        label=_("alternative titler"),
        required=False,
        help_text=_("Andre titler kilden bruger, én pr. linje; søgningen finder dem."),
    )
    edit_stamp = EditStampField()

    # Set when the save was refused because the entry changed after the form was opened.
    edit_conflict: conflicts.EditConflict | None = None

    class Meta:
        model = Intervention
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose and order them
        error_messages = {
            "period_start": {"invalid": _("Skriv et årstal, fx 2021.")},
            "period_end": {"invalid": _("Skriv et årstal, fx 2024.")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance._state.adding:
            del self.fields["edit_stamp"]  # nobody else can have changed a new entry
        else:
            self.initial["edit_stamp"] = EditStamp.of(self.instance)

    def clean(self):
        cleaned_data = super().clean()
        if "edit_stamp" not in self.fields:
            return cleaned_data
        stamp = cleaned_data.get("edit_stamp")
        if stamp is None:
            raise ValidationError(
                _(
                    "Formularen mangler oplysning om, hvilken udgave af indsatsen den blev åbnet "
                    "på, så den kan ikke gemmes. Åbn indsatsen igen, og gentag dine ændringer."
                ),
                code="edit_stamp_missing",
            )
        self.edit_conflict = conflicts.check(self.instance.pk, stamp)
        if self.edit_conflict:
            raise ValidationError(self.edit_conflict.message, code="edit_conflict")
        return cleaned_data


class _CountedFilter(admin.SimpleListFilter):
    """A custom filter whose choices are counted on the filtered list (the admin's facets)."""

    def filtered(self, queryset, value: str):
        raise NotImplementedError

    def queryset(self, request, queryset):
        return self.filtered(queryset, self.value()) if self.value() else queryset

    def get_facet_queryset(self, changelist):
        queryset = changelist.get_queryset(
            changelist.model_admin.request, exclude_parameters=[self.parameter_name]
        )
        return {
            f"{i}__c": self.filtered(queryset, value).count()
            for i, (value, _label) in enumerate(self.lookup_choices)
        }


class FreshnessFilter(_CountedFilter):
    """How current the information is: the same four buckets as the public facet."""

    title = _("aktualitet")
    parameter_name = "aktualitet"

    def lookups(self, request, model_admin):
        return Intervention.Freshness.choices

    def filtered(self, queryset, value):
        return queryset.with_freshness().filter(freshness_bucket=value)


class StatusCheckFilter(_CountedFilter):
    """Entries whose stated status cannot be true any more (Intervention.needing_status_check)."""

    title = _("status skal tjekkes")
    parameter_name = "status_tjek"

    def lookups(self, request, model_admin):
        return [("yes", _("Status kan ikke passe længere"))]

    def filtered(self, queryset, value):
        return queryset.needing_status_check() if value == "yes" else queryset


@admin.register(Intervention)
class InterventionAdmin(HistoryAdmin):
    form = InterventionForm
    # Both carry the form's edit stamp and show what changed when a save is refused.
    change_form_template = "admin/interventions/intervention/change_form.html"
    object_history_form_template = "admin/interventions/intervention/object_history_form.html"
    list_display = [
        "title",
        "organisation",
        "source",
        "status",
        "is_published",
        "freshness",
        "reviewed_on",
        "responsible_editor",
        "updated_at",
    ]
    list_filter = [
        "is_published",
        FreshnessFilter,
        StatusCheckFilter,
        "source",
        "sector",
        "status",
        "evaluation_level",
        "target_groups",
        "policy_areas",
        "methods",
        ("legal_paragraphs", admin.RelatedOnlyFieldListFilter),
        ("municipalities__region", admin.RelatedOnlyFieldListFilter),
        ("responsible_editor", admin.RelatedOnlyFieldListFilter),
    ]
    show_facets = admin.ShowFacets.ALWAYS
    search_fields = ["title", "summary", "organisation", "locator", "slug", "contacts__name"]
    list_select_related = ["source", "responsible_editor"]
    autocomplete_fields = [
        "municipalities",
        "regions",
        "target_groups",
        "policy_areas",
        "kkr_goals",
        "methods",
        "related",
        "source",
        "source_section",
    ]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ConfirmationInline, LegalBasisInline, ServedMunicipalityInline, ContactInline]
    readonly_fields = ["created_at", "updated_at", "last_confirmed_on"]
    actions = ["publish", "unpublish", "mark_reviewed", "request_confirmation"]
    history_list_display = ["history_change_reason"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "alternative_titles", "summary"]}),
        (
            _("Redaktion"),
            {
                "fields": [
                    ("is_published", "responsible_editor"),
                    ("reviewed_on", "last_confirmed_on"),
                    "editorial_note",
                    "public_note",
                    ("created_at", "updated_at"),
                ]
            },
        ),
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
                    ("budget_kind", "budget_first_year", "budget_last_year", "budget_price_year"),
                    "funding_source",
                    "evaluation_level",
                ]
            },
        ),
        # One fieldset per text section, headed as on the public page.
        *(
            (section.heading, {"fields": [section.field], "classes": ["collapse"]})
            for section in TEXT_SECTIONS
        ),
    ]

    def get_queryset(self, request):
        self.request = request  # the freshness filter's facet counts need it
        return super().get_queryset(request)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The entry, its links, contacts and legal basis are saved one after the other; its
        # version and search texts are brought up to date once, before the transaction ends.
        with transaction.atomic(using=router.db_for_write(self.model)), collect_entry_changes():
            return super().changeform_view(request, object_id, form_url, extra_context)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "responsible_editor":
            # A short list of staff accounts (editors may not browse the user admin).
            kwargs["queryset"] = db_field.related_model.objects.filter(is_staff=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm("interventions.publish_intervention"):
            readonly.append("is_published")
        return readonly

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("interventions.publish_intervention"):
            actions.pop("publish", None)
            actions.pop("unpublish", None)
        if not self.has_change_permission(request):
            actions.pop("mark_reviewed", None)
        return actions

    @admin.display(description=_("aktualitet"), boolean=False)
    def freshness(self, obj: Intervention) -> str:
        return obj.freshness.label

    def save_model(self, request, obj, form, change):
        restoring = getattr(obj, SIMPLE_HISTORY_REVERSE_ATTR_NAME, None) is not None
        if restoring and not Intervention.objects.filter(pk=obj.pk).exists():
            obj._state.adding = True  # a deleted entry restored from its history: a new row
        super().save_model(request, obj, form, change)

    def _update(self, request, queryset, message: str, **values) -> None:
        # Saved one by one so every change gets a history record with the editor's name.
        count = 0
        for obj in queryset:
            for field, value in values.items():
                setattr(obj, field, value)
            obj._history_user = request.user
            obj._change_reason = message
            obj.save(update_fields=[*values, "updated_at"])
            count += 1
        self.message_user(request, f"{message}: {count}", messages.SUCCESS)

    @admin.action(description=_("Offentliggør de valgte indsatser"), permissions=["publish"])
    def publish(self, request, queryset):
        self._update(request, queryset, gettext("Offentliggjort"), is_published=True)

    @admin.action(
        description=_("Tilbagetræk de valgte indsatser (gør til kladde)"), permissions=["publish"]
    )
    def unpublish(self, request, queryset):
        self._update(request, queryset, gettext("Gjort til kladde"), is_published=False)

    # Not a confirmation: only the owner (or an editor after contact) confirms, in the inline.
    @admin.action(description=_("Markér som gennemgået mod kilden i dag"), permissions=["change"])
    def mark_reviewed(self, request, queryset):
        self._update(request, queryset, gettext("Gennemgået mod kilden"), reviewed_on=today())

    @admin.action(
        description=_("Bed ejeren bekræfte oplysningerne"), permissions=["request_confirmation"]
    )
    def request_confirmation(self, request, queryset):
        """One confirmation request per entry (ADR 0015): e-mailed to the owner's contact, or
        its link shown here to send another way; an entry already waiting is not asked twice."""
        base_url = request.build_absolute_uri("/")
        for entry in queryset.prefetch_related("contacts"):
            asked = ask_owner(entry, base_url=base_url, requested_by=request.user)
            level, text = describe_asked(asked)
            self.message_user(request, text, level)

    def has_request_confirmation_permission(self, request) -> bool:
        return request.user.has_perm("interventions.add_confirmationrequest")

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm("interventions.publish_intervention")

    def save_formset(self, request, form, formset, change):
        # Contacts and legal basis rows are recorded in history with the editor's name too.
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj._history_user = request.user
            obj.delete()
        for obj in instances:
            obj._history_user = request.user
            if isinstance(obj, Confirmation) and obj.recorded_by_id is None:
                obj.recorded_by = request.user
            obj.save()
        formset.save_m2m()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        record = getattr(obj, SIMPLE_HISTORY_REVERSE_ATTR_NAME, None)
        if record is None:
            return form
        # Reverting from history: the vocabulary links as they were then, not as they are now.
        initial = {
            field.name: [
                getattr(row, field.m2m_reverse_field_name())
                for row in getattr(record, field.name).all()
            ]
            for field in record._history_m2m_fields
        }

        class RevertForm(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                for name, values in initial.items():
                    if name in self.fields:
                        self.initial[name] = [v.pk for v in values if v is not None]

        return RevertForm


@admin.register(Contact)
class ContactAdmin(HistoryAdmin):
    """Contacts are edited inline on their entry; here their history can be seen and restored."""

    list_display = ["name", "intervention", "role", "email", "phone"]
    list_select_related = ["intervention"]
    search_fields = ["name", "email", "intervention__title"]
    autocomplete_fields = ["intervention"]
    form = ContactForm


@admin.register(LegalBasis)
class LegalBasisAdmin(HistoryAdmin):
    """Legal basis rows are edited inline on their entry; here their history can be seen."""

    list_display = ["__str__", "intervention", "stated_in_source"]
    list_select_related = ["intervention", "paragraph__law"]
    search_fields = ["intervention__title", "paragraph__number", "paragraph__law__abbreviation"]
    autocomplete_fields = ["intervention", "paragraph"]


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
    list_display = ["name", "slug", "aliases"]
    search_fields = ["name", "slug", "description", "aliases"]
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
    formfield_overrides = HTTPS_URLS
    list_display = ["title", "publisher", "published_on", "published_precision", "key"]
    search_fields = ["title", "publisher", "key", "citation"]


@admin.register(Confirmation)
class ConfirmationAdmin(HistoryAdmin):
    """Confirmations are recorded inline on their entry; here all of them, newest first."""

    list_display = ["intervention", "confirmed_on", "confirmed_by", "method", "recorded_by"]
    list_filter = ["method"]
    list_select_related = ["intervention", "recorded_by"]
    search_fields = ["intervention__title", "confirmed_by", "note"]
    autocomplete_fields = ["intervention"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def save_model(self, request, obj, form, change):
        if obj.recorded_by_id is None:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


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


# The living catalogue's admins, after HistoryAdmin, which they build on: confirmation requests
# (ADR 0015) and the queue of proposals and error reports (ADR 0016).
from interventions.feedback import admin_queue, admin_requests  # noqa: E402, F401
