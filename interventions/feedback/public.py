"""The public forms, no login: "Ret en fejl" on every entry and "Foreslå en indsats".

What comes in is stored as a `Proposal` for the editors' queue, never shown publicly. Every post
is counted against the sender's address (throttle.py, 429 over the limit); a post larger than
FEEDBACK_MAX_BYTES is refused with 413 before it is read; invalid values give the form again
with Danish messages beside the fields and 400; a filled honeypot gets the same thank-you page
and nothing is stored. A success redirects to a thank-you page (POST-redirect-GET).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from interventions.feedback import throttle
from interventions.feedback.forms import DescribedForm
from interventions.feedback.models import Proposal, ProposalKind
from interventions.models import Intervention, Municipality
from interventions.validators import (
    MAX_YEAR,
    MIN_YEAR,
    validate_danish_phone,
    validate_lower_case_email,
)

HONEYPOT = "hjemmeside"  # a field people never see; robots fill it in
MESSAGE_LENGTH = 4000


class _PublicForm(DescribedForm):
    # Hidden from people (and from screen readers) by its wrapper in the template.
    hjemmeside = forms.CharField(required=False, max_length=200, label=_("Lad dette felt stå tomt"))

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get(HONEYPOT))


def _lower_email(value: str) -> str:
    return value.strip().lower()


class ErrorReportForm(_PublicForm):
    message = forms.CharField(
        label=_("Hvad er forkert?"),
        max_length=MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Skriv hvilke oplysninger der er forkerte, og hvad der er rigtigt."),
    )
    submitter_name = forms.CharField(label=_("Dit navn"), max_length=200, required=False)
    submitter_email = forms.EmailField(
        label=_("Din e-mail"),
        max_length=254,
        required=False,
        help_text=_("Kun hvis redaktionen må kontakte dig med spørgsmål."),
    )


class SuggestionForm(_PublicForm):
    title = forms.CharField(label=_("Indsatsens navn"), max_length=250)
    organisation = forms.CharField(
        label=_("Organisation"),
        max_length=250,
        help_text=_("Fx kommunen og forvaltningen der driver indsatsen."),
    )
    municipalities = forms.ModelMultipleChoiceField(
        label=_("Kommuner"),
        queryset=Municipality.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        help_text=_(
            "De kommuner der driver indsatsen. Hold Ctrl eller Cmd nede for at vælge flere."
        ),
    )
    summary = forms.CharField(
        label=_("Kort beskrivelse"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("1-3 sætninger: hvem er indsatsen for, og hvad går den ud på?"),
    )
    period_start = forms.IntegerField(
        label=_("Startår"), min_value=MIN_YEAR, max_value=MAX_YEAR, required=False
    )
    contact_name = forms.CharField(label=_("Kontaktperson"), max_length=200, required=False)
    contact_email = forms.EmailField(
        label=_("Kontaktpersonens e-mail"), max_length=254, required=False
    )
    contact_phone = forms.CharField(
        label=_("Kontaktpersonens telefon"),
        max_length=40,
        required=False,
        validators=[validate_danish_phone],
        help_text=_("8 cifre, evt. med +45, fx 76 29 00 00."),
    )
    message = forms.CharField(
        label=_("Besked til redaktionen"),
        max_length=MESSAGE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    submitter_name = forms.CharField(label=_("Dit navn"), max_length=200, required=False)
    submitter_email = forms.EmailField(
        label=_("Din e-mail"),
        max_length=254,
        required=False,
        help_text=_("Kun hvis redaktionen må kontakte dig med spørgsmål."),
    )

    def clean_contact_email(self) -> str:
        value = _lower_email(self.cleaned_data["contact_email"])
        validate_lower_case_email(value)
        return value

    def changes(self) -> dict:
        """The essentials in the format of `Proposal.changes` (only what was filled in)."""
        data = self.cleaned_data
        changes: dict = {
            "title": data["title"],
            "organisation": data["organisation"],
            "summary": data["summary"],
        }
        if data["municipalities"]:
            changes["municipalities"] = sorted(m.slug for m in data["municipalities"])
        if data["period_start"] is not None:
            changes["period_start"] = data["period_start"]
        for key in ("contact_name", "contact_email", "contact_phone"):
            if data[key]:
                changes[key] = data[key]
        return changes


def _too_large(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "feedback/public/too_large.html",
        {"limit_kb": settings.FEEDBACK_MAX_BYTES // 1024},
        status=413,
    )


def _refused(request: HttpRequest) -> HttpResponse | None:
    """413 for an oversized post, 429 over the rate limit; None when the post may be read."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.FEEDBACK_MAX_BYTES:
        return _too_large(request)
    if not throttle.allow(request):
        return throttle.too_many(request)
    try:
        request.POST  # noqa: B018 (read now, so a body Django refuses gives our page)
    except RequestDataTooBig:
        return _too_large(request)
    return None


def _form_page(request, template: str, context: dict, form: forms.Form) -> HttpResponse:
    status = 400 if form.is_bound and form.errors else 200
    return render(request, template, {**context, "form": form}, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def report_error(request: HttpRequest, slug: str) -> HttpResponse:
    entry = get_object_or_404(Intervention.objects.published(), slug=slug)
    context = {"intervention": entry}
    template = "feedback/public/report.html"
    if request.method != "POST":
        return _form_page(request, template, context, ErrorReportForm())
    refused = _refused(request)
    if refused is not None:
        return refused
    form = ErrorReportForm(request.POST)
    if form.is_spam:
        return redirect("interventions:report_error_thanks", slug=entry.slug)
    if not form.is_valid():
        return _form_page(request, template, context, form)
    Proposal.objects.create(
        kind=ProposalKind.ERROR_REPORT,
        intervention=entry,
        message=form.cleaned_data["message"],
        submitter_name=form.cleaned_data["submitter_name"],
        submitter_email=_lower_email(form.cleaned_data["submitter_email"]),
    )
    return redirect("interventions:report_error_thanks", slug=entry.slug)


@require_safe
def report_error_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    entry = get_object_or_404(Intervention.objects.published(), slug=slug)
    return render(request, "feedback/public/thanks.html", {"intervention": entry, "kind": "report"})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def suggest(request: HttpRequest) -> HttpResponse:
    template = "feedback/public/suggest.html"
    if request.method != "POST":
        return _form_page(request, template, {}, SuggestionForm())
    refused = _refused(request)
    if refused is not None:
        return refused
    form = SuggestionForm(request.POST)
    if form.is_spam:
        return redirect("interventions:suggest_thanks")
    if not form.is_valid():
        return _form_page(request, template, {}, form)
    Proposal.objects.create(
        kind=ProposalKind.SUGGESTION,
        changes=form.changes(),
        message=form.cleaned_data["message"],
        submitter_name=form.cleaned_data["submitter_name"],
        submitter_email=_lower_email(form.cleaned_data["submitter_email"]),
    )
    return redirect("interventions:suggest_thanks")


@require_safe
def suggest_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/public/thanks.html", {"kind": "suggestion"})
