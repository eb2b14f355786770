"""The editors' view of confirmation requests (ADR 0015): who was asked when, what was sent and
whether the mail server took it, and the link itself for sending another way.

Requests are made by the action on the entries' list ("Bed ejeren bekræfte oplysningerne") or by
`manage.py request_confirmations`, never typed in here.
"""

from __future__ import annotations

import threading

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from interventions.admin import HistoryAdmin
from interventions.feedback import links
from interventions.feedback.models import ConfirmationRequest, RequestStatus, SentMessage

# The address the editor is on, for the link shown on the page (one admin serves every thread).
_viewing = threading.local()


class SentMessageInline(admin.TabularInline):
    model = SentMessage
    extra = 0
    can_delete = False
    fields = ["sent_at", "kind", "recipient", "subject", "delivered", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ConfirmationRequest)
class ConfirmationRequestAdmin(HistoryAdmin):
    list_display = [
        "intervention",
        "recipient_name",
        "recipient_email",
        "status",
        "created_at",
        "expires_at",
        "reminders_sent",
        "answered_at",
        "answered_by",
    ]
    list_filter = ["status", "created_at", "reminders_sent"]
    show_facets = admin.ShowFacets.ALWAYS
    search_fields = ["intervention__title", "recipient_name", "recipient_email", "answered_by"]
    list_select_related = ["intervention"]
    date_hierarchy = "created_at"
    inlines = [SentMessageInline]
    fields = [
        "intervention",
        "status",
        "link",
        ("recipient_name", "recipient_email"),
        ("requested_by", "created_at", "expires_at"),
        ("answered_at", "answered_by"),
        "reminders_sent",
        "proposals_made",
    ]
    readonly_fields = [
        "intervention",
        "status",
        "link",
        "recipient_name",
        "recipient_email",
        "requested_by",
        "created_at",
        "expires_at",
        "answered_at",
        "answered_by",
        "reminders_sent",
        "proposals_made",
    ]

    def has_add_permission(self, request) -> bool:
        return False  # made by the entries' action or the command, which also send the e-mail

    def has_change_permission(self, request, obj=None) -> bool:
        # Nothing here is typed in, and no old version is restored (that would reopen a used
        # link): the page shows what happened.
        return False

    @admin.display(description=_("link til ejeren"))
    def link(self, obj: ConfirmationRequest) -> str:
        """The link as text, to copy into a message of one's own while it still works."""
        if obj.status != RequestStatus.PENDING:
            return str(_("Brugt eller lukket"))
        return links.url_for(obj, getattr(_viewing, "base_url", ""))

    @admin.display(description=_("forslag"))
    def proposals_made(self, obj: ConfirmationRequest) -> str:
        return ", ".join(str(p) for p in obj.proposals.all()) or "–"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        _viewing.base_url = request.build_absolute_uri("/")
        return super().changeform_view(request, object_id, form_url, extra_context)
