"""The editors' queue: proposals and error reports, counted and filtered by status and kind.

A proposal's page shows it beside the entry's current values field by field, with a checkbox
"Anvend" for each value that can be applied. Only users with `interventions.decide_proposal`
(the Redaktør group) get the buttons; anyone else's POST is refused with 403. The decisions
themselves live in proposals.py. Everything a visitor wrote is shown as text (autoescaped).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from interventions.feedback import proposals
from interventions.feedback.models import Proposal, ProposalKind, ProposalStatus

DECIDE = "interventions.decide_proposal"


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ("number", "kind", "status", "about", "submitted_at", "decided_by")
    list_display_links = ("number", "about")
    list_filter = ("status", "kind")
    show_facets = admin.ShowFacets.ALWAYS  # the counts per status and kind beside the filters
    search_fields = (
        "intervention_title",
        "intervention_slug",
        "message",
        "submitter_name",
        "submitter_email",
    )
    list_select_related = ("intervention", "decided_by")
    date_hierarchy = "submitted_at"
    change_list_template = "admin/interventions/proposal/change_list.html"

    @admin.display(description=_("nr."), ordering="pk")
    def number(self, obj: Proposal) -> str:
        return f"#{obj.pk}"

    @admin.display(description=_("om"))
    def about(self, obj: Proposal) -> str:
        title = obj.intervention_title or str(obj.changes.get("title", ""))
        if obj.entry_deleted:
            deleted = gettext("Indsatsen er slettet")  # outside the f-string, for xgettext
            return f"{title} ({deleted})"
        return title

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # proposals come from the public forms and the owners' links

    def changelist_view(self, request: HttpRequest, extra_context=None):
        counts = dict(Proposal.objects.order_by().values_list("status").annotate(n=Count("pk")))
        extra_context = {
            **(extra_context or {}),
            "status_counts": [
                (label, counts.get(value, 0)) for value, label in ProposalStatus.choices
            ],
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        proposal = self.get_object(request, unquote(object_id))
        if proposal is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, proposal):
            raise PermissionDenied
        can_decide = request.user.has_perm(DECIDE) and self.has_change_permission(request, proposal)
        error = ""
        reason = ""
        status = 200
        if request.method == "POST":
            if not can_decide:
                raise PermissionDenied
            action = request.POST.get("action", "")
            reason = request.POST.get("reason", "")
            try:
                return self._decide(request, proposal, action)
            except proposals.ProposalError as exc:
                error = str(exc)
                status = 400
                proposal.refresh_from_db()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": str(proposal),
            "subtitle": None,
            "proposal": proposal,
            "original": proposal,
            "rows": proposals.rows(proposal),
            "general_problems": proposals.general_problems(proposal),
            "can_decide": can_decide and proposal.is_open,
            "error": error,
            "reason": reason,
            "entry_admin_url": (
                reverse("admin:interventions_intervention_change", args=[proposal.intervention_id])
                if proposal.intervention_id
                else ""
            ),
            "draft_admin_url": (
                reverse("admin:interventions_intervention_change", args=[proposal.draft_id])
                if proposal.draft_id
                else ""
            ),
            **(extra_context or {}),
        }
        return TemplateResponse(
            request, "admin/interventions/proposal/review.html", context, status=status
        )

    def _decide(self, request: HttpRequest, proposal: Proposal, action: str) -> HttpResponse:
        if action == "accept":
            fields = request.POST.getlist("fields")
            if not proposal.changes and proposal.kind == ProposalKind.ERROR_REPORT:
                proposals.acknowledge(proposal, request.user)
            else:
                proposals.accept(proposal, fields, request.user)
            if proposal.draft_id:
                message = gettext("Forslag #%(pk)s er godkendt og oprettet som kladde.")
            else:
                message = gettext("Forslag #%(pk)s er godkendt.")
        elif action == "reject":
            proposals.reject(proposal, request.POST.get("reason", ""), request.user)
            message = gettext("Forslag #%(pk)s er afvist.")
        elif action == "take_up":
            proposals.take_up(proposal, request.user)
            message = gettext("Forslag #%(pk)s er markeret som under behandling.")
            self.message_user(request, message % {"pk": proposal.pk}, messages.SUCCESS)
            return redirect("admin:interventions_proposal_change", proposal.pk)
        else:
            raise proposals.ProposalError(gettext("Ukendt handling."))
        self.message_user(request, message % {"pk": proposal.pk}, messages.SUCCESS)
        return redirect("admin:interventions_proposal_changelist")
