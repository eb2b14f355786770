"""Hostile input to the public forms: hypothesis posts random and malicious values.

Whatever arrives, the answer is a redirect to the thank-you page (stored for the editors), the
form again with Danish messages (400), 413 or 429 — never a server error, and nothing the visitor
sent comes back as live markup. What is stored is exactly what passed the form.
"""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from interventions.feedback.models import Proposal
from interventions.feedback.public import ErrorReportForm, SuggestionForm
from interventions.models import Intervention
from tests.system.test_fuzz import FUZZ, HOSTILE, assert_sound

pytestmark = pytest.mark.django_db

ENGLISH = ("This field", "Enter a", "Ensure this", "Select a valid")


def form_data(fields: list[str], valid: dict[str, list[str]]):
    @st.composite
    def data(draw):
        posted: dict[str, list[str]] = {}
        for name in draw(st.lists(st.sampled_from([*fields, "x", ""]), max_size=12)):
            value = (
                draw(st.sampled_from(valid[name]))
                if name in valid and draw(st.booleans())
                else draw(HOSTILE)
            )
            posted.setdefault(name, []).append(value)
        return posted

    return data()


VALID = {
    "message": ["Telefonnummeret er forkert."],
    "title": ["Gå-hold"],
    "organisation": ["Testrup Kommune"],
    "summary": ["Gåture for ældre."],
    "municipalities": ["aarhus", "odder"],
    "period_start": ["2020", "1950", "2100"],
    "contact_email": ["a@example.dk", "A@Example.DK"],
    "contact_phone": ["76 29 00 00", "+45 7629 0000"],
    "submitter_email": ["b@example.dk"],
    "hjemmeside": [""],
}


def check_answer(response, posted: dict[str, list[str]]) -> None:
    assert_sound(response, [v for values in posted.values() for v in values])
    assert response.status_code in (302, 400, 413, 429), response.status_code
    if response.status_code == 400:
        body = response.content.decode()
        assert "form-error-message" in body
        for english in ENGLISH:
            assert english not in body, english


@pytest.mark.parametrize(
    ("url_name", "form"), [("report_error", ErrorReportForm), ("suggest", SuggestionForm)]
)
def test_any_post_to_a_public_form_gets_a_sound_answer(url_name, form, settings):
    settings.FEEDBACK_RATE_LIMIT = 10**6  # the limit has its own tests; here every post counts
    entry = Intervention.objects.published().order_by("slug").first()
    url = reverse(
        f"interventions:{url_name}", args=[entry.slug] if url_name == "report_error" else []
    )
    client = Client()

    @FUZZ
    @given(posted=form_data(list(form.base_fields), VALID))
    def check(posted):
        before = Proposal.objects.count()
        response = client.post(url, posted)
        check_answer(response, posted)
        stored = Proposal.objects.count() - before
        assert stored == (
            1 if response.status_code == 302 and not posted.get("hjemmeside", [""])[-1] else 0
        )
        if stored:
            proposal = Proposal.objects.latest("pk")
            for value in proposal.changes.values():
                assert "\x00" not in str(value)

    check()


def test_raw_bodies_are_survived():
    """Bodies that are not form-encoded at all, of any content type."""
    client = Client()
    url = reverse("interventions:suggest")
    cache.clear()

    @FUZZ
    @given(
        body=st.binary(max_size=2000),
        content_type=st.sampled_from(
            [
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=zzz",
                "multipart/form-data",
                "application/json",
                "text/plain",
            ]
        ),
    )
    def check(body, content_type):
        cache.clear()
        response = client.generic("POST", url, body, content_type=content_type)
        assert response.status_code in (302, 400, 413), response.status_code

    check()
