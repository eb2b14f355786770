"""The owner's pages behind a signed link (ADR 0015): the entry as it stands, "Oplysningerne er
korrekte" (a confirmation) or "Ret oplysningerne" (a proposal for the editors).

No account: the signed link is the owner's only key, and it works once. A link that was used,
has expired or was altered gets a Danish page saying so, never an error. The pages are private
(no-store, noindex): the link must not end up in a cache or a search engine.
"""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from interventions.curation import schema
from interventions.feedback import confirmations
from interventions.feedback.forms import DescribedForm
from interventions.feedback.links import Link, LinkProblem, resolve
from interventions.models import TEXT_SECTIONS, BudgetKind, Municipality, Status
from interventions.validators import parse_kroner, validate_danish_phone, validate_year

# A form post larger than this is refused with 413 before Django parses it: the longest honest
# correction (every section rewritten) is far smaller.
MAX_POST_BYTES = 200_000
SECTION_MAX_LENGTH = 20_000

PROBLEM_STATUS = {
    LinkProblem.TAMPERED: 400,
    LinkProblem.UNKNOWN: 404,
    LinkProblem.USED: 410,
    LinkProblem.EXPIRED: 410,
}


def _text(value: str) -> str:
    """Text as stored: Unix line ends, no surrounding blanks."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


class ConfirmForm(DescribedForm):
    confirmed_by = forms.CharField(
        label=_("Dit navn og din organisation"),
        help_text=_("Vises ved indsatsen som “Bekræftet af …”, fx “Anne Hansen, Aarhus Kommune”."),
        max_length=250,
        error_messages={"required": _("Skriv dit navn og din organisation.")},
    )


class CorrectionForm(DescribedForm):
    """The facts an owner knows, prefilled with the entry's values; only what the owner changes
    becomes part of the proposal."""

    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    period_start = forms.IntegerField(
        label=_("Startår"), required=False, validators=[validate_year]
    )
    period_end = forms.IntegerField(label=_("Slutår"), required=False, validators=[validate_year])
    contact_name = forms.CharField(label=_("Kontaktperson"), max_length=200, required=False)
    contact_email = forms.EmailField(label=_("Kontaktpersonens e-mail"), required=False)
    contact_phone = forms.CharField(
        label=_("Kontaktpersonens telefon"),
        max_length=40,
        required=False,
        validators=[validate_danish_phone],
        help_text=_("8 cifre, evt. med +45, fx 76 29 00 00."),
    )
    budget_dkk = forms.CharField(
        label=_("Budget (kr.)"),
        max_length=30,
        required=False,
        help_text=_("Hele kroner, fx 780.000. Tom: intet beløb."),
    )
    budget_note = forms.CharField(label=_("Hvad beløbet dækker"), max_length=300, required=False)
    budget_kind = forms.ChoiceField(
        label=_("Hvad slags beløb"),
        choices=[("", _("Intet beløb")), *BudgetKind.choices],
        required=False,
        help_text=_("Fx et årligt beløb eller et samlet beløb for projektperioden."),
    )
    summary = forms.CharField(
        label=_("Resumé"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Skriv et kort resumé af indsatsen.")},
    )
    served_municipalities = forms.ModelMultipleChoiceField(
        label=_("Betjente kommuner"),
        help_text=_("Kommuner hvis borgere indsatsen dækker uden at kommunen driver den."),
        queryset=Municipality.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    message = forms.CharField(
        label=_("Besked til redaktionen"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    submitter_name = forms.CharField(
        label=_("Dit navn og din organisation"),
        max_length=200,
        error_messages={"required": _("Skriv dit navn og din organisation.")},
    )
    submitter_email = forms.EmailField(
        label=_("Din e-mail"),
        required=False,
        help_text=_("Hvis redaktionen har spørgsmål til rettelserne."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sections = {
            section.field: forms.CharField(
                label=section.heading,
                max_length=SECTION_MAX_LENGTH,
                required=False,
                widget=forms.Textarea(attrs={"rows": 5}),
            )
            for section in TEXT_SECTIONS
        }
        # In the order of CORRECTABLE_FIELDS: the sections after the summary.
        fields = list(self.fields.items())
        at = [name for name, _field in fields].index("summary") + 1
        self.fields = dict(fields[:at] + list(sections.items()) + fields[at:])

    @property
    def facts(self):
        return [self[name] for name in ("status", "period_start", "period_end")]

    @property
    def contact(self):
        return [self[name] for name in ("contact_name", "contact_email", "contact_phone")]

    @property
    def budget(self):
        return [self[name] for name in ("budget_dkk", "budget_kind", "budget_note")]

    @property
    def texts(self):
        return [self["summary"], *(self[s.field] for s in TEXT_SECTIONS)]

    def clean_budget_dkk(self) -> int | None:
        raw = self.cleaned_data["budget_dkk"]
        if not raw:
            return None
        try:
            return parse_kroner(raw)
        except ValueError:
            raise forms.ValidationError(
                _("Skriv et beløb i hele kroner, fx 780.000."), code="kroner"
            ) from None

    def clean_contact_email(self) -> str:
        return self.cleaned_data["contact_email"].lower()

    def clean(self):
        data = super().clean()
        for name, value in data.items():
            if isinstance(value, str):
                data[name] = _text(value)
        breaches = schema.entry_rule_breaches(
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
            budget_dkk=data.get("budget_dkk"),
            budget_note=data.get("budget_note", ""),
            budget_kind=data.get("budget_kind", ""),
        )
        for breach in breaches:
            if breach.field in self.fields and breach.field not in self.errors:
                self.add_error(breach.field, breach.message(schema.DANISH_RULES))
        if (data.get("contact_email") or data.get("contact_phone")) and not data.get(
            "contact_name"
        ):
            self.add_error("contact_name", _("Skriv kontaktpersonens navn."))
        return data

    def proposed(self) -> dict:
        """The form's values in the `Proposal.changes` format."""
        data = self.cleaned_data
        values = {name: data[name] for name in self.fields if name in CHANGE_KEYS}
        values["served_municipalities"] = sorted(m.slug for m in data["served_municipalities"])
        return values


CHANGE_KEYS = frozenset(
    name
    for name in CorrectionForm.base_fields
    if name not in ("message", "submitter_name", "submitter_email")
) | {s.field for s in TEXT_SECTIONS}


def _initial(request) -> dict:
    values = confirmations.current_values(request.intervention)
    values["submitter_email"] = request.recipient_email
    values["submitter_name"] = _shown_name(request)
    return values


def _shown_name(request) -> str:
    name, organisation = request.recipient_name, request.intervention.organisation
    return f"{name}, {organisation}" if name else ""


# --- Views ---------------------------------------------------------------------------------------


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _problem(request: HttpRequest, link: Link) -> HttpResponse:
    response = render(
        request,
        "feedback/owner/problem.html",
        {"problem": link.problem.value, "confirmation_request": link.request},
        status=PROBLEM_STATUS[link.problem],
    )
    return _private(response)


def _too_large(request: HttpRequest) -> HttpResponse | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if request.method == "POST" and length > MAX_POST_BYTES:
        response = render(request, "feedback/owner/problem.html", {"problem": "too_large"})
        response.status_code = 413
        return _private(response)
    return None


def _entry_context(link: Link) -> dict:
    intervention = link.request.intervention
    return {
        "confirmation_request": link.request,
        "intervention": intervention,
        "contact": confirmations.owner_contact(intervention),
        "served": [s.municipality for s in intervention.served.select_related("municipality")],
    }


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The entry as it stands, and "Oplysningerne er korrekte" (POST: a confirmation)."""
    if (refused := _too_large(request)) is not None:
        return refused
    if request.method != "POST":
        link = resolve(token)
        if not link.usable:
            return _problem(request, link)
        form = ConfirmForm(initial={"confirmed_by": _shown_name(link.request)})
        return _private(
            render(request, "feedback/owner/link.html", {**_entry_context(link), "form": form})
        )
    with transaction.atomic():
        link = resolve(token, for_update=True)  # one answer, even from two tabs at once
        if not link.usable:
            return _problem(request, link)
        form = ConfirmForm(request.POST)
        if form.is_valid():
            confirmations.confirm(link.request, by=_text(form.cleaned_data["confirmed_by"]))
            return redirect("interventions:confirm_done", token=token)
    context = {**_entry_context(link), "form": form}
    return _private(render(request, "feedback/owner/link.html", context, status=400))


@require_http_methods(["GET", "HEAD", "POST"])
def correct(request: HttpRequest, token: str) -> HttpResponse:
    """ "Ret oplysningerne": the owner's corrections become a proposal for the editors."""
    if (refused := _too_large(request)) is not None:
        return refused
    if request.method != "POST":
        link = resolve(token)
        if not link.usable:
            return _problem(request, link)
        form = CorrectionForm(initial=_initial(link.request))
        return _private(
            render(request, "feedback/owner/correct.html", {**_entry_context(link), "form": form})
        )
    with transaction.atomic():
        link = resolve(token, for_update=True)
        if not link.usable:
            return _problem(request, link)
        form = CorrectionForm(request.POST, initial=_initial(link.request))
        if form.is_valid():
            changes = confirmations.changed_values(link.request.intervention, form.proposed())
            message = form.cleaned_data["message"]
            if changes or message:
                confirmations.correct(
                    link.request,
                    changes=changes,
                    message=message,
                    name=form.cleaned_data["submitter_name"],
                    email=form.cleaned_data["submitter_email"],
                )
                return redirect("interventions:confirm_done", token=token)
            form.add_error(
                None,
                _(
                    "Du har ikke ændret noget. Er oplysningerne korrekte, så gå tilbage og vælg "
                    "“Oplysningerne er korrekte”."
                ),
            )
    context = {**_entry_context(link), "form": form}
    return _private(render(request, "feedback/owner/correct.html", context, status=400))


@require_http_methods(["GET", "HEAD"])
def done(request: HttpRequest, token: str) -> HttpResponse:
    """Thanks, after an answer; the link itself is used up from now on."""
    link = resolve(token)
    if link.usable:
        return redirect("interventions:confirm", token=token)
    if link.problem != LinkProblem.USED:
        return _problem(request, link)
    context = {"confirmation_request": link.request, "intervention": link.request.intervention}
    return _private(render(request, "feedback/owner/done.html", context))
