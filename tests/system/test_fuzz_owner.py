"""Hostile input at the owner's link pages: any token, any value in any field of the
confirmation and correction forms. Never a server error, never live markup; a bad value is the
form again with 400, a good one a proposal or a confirmation; the request stays single use."""

from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from interventions.feedback.confirmations import ask_owner
from interventions.feedback.models import ConfirmationRequest, Proposal, RequestStatus
from interventions.feedback.owner import CorrectionForm
from interventions.models import Confirmation
from tests.factories import ContactFactory, InterventionFactory
from tests.system.test_fuzz import FUZZ, HOSTILE, assert_sound

pytestmark = pytest.mark.django_db

FIELDS = list(CorrectionForm().fields)


@pytest.fixture
def link_path():
    entry = InterventionFactory()
    ContactFactory(intervention=entry)
    asked = ask_owner(entry, base_url="")
    return asked.request, asked.link


def reopen(request: ConfirmationRequest) -> None:
    """Each example starts from a fresh, unanswered request."""
    Proposal.objects.filter(request=request).delete()
    Confirmation.objects.filter(intervention=request.intervention).delete()
    ConfirmationRequest.objects.filter(pk=request.pk).update(
        status=RequestStatus.PENDING, answered_at=None, answered_by=""
    )


def test_any_token_gets_a_page_not_an_error():
    client = Client()

    @FUZZ
    @given(token=HOSTILE)
    def check(token):
        for suffix in ("", "ret/", "tak/"):
            response = client.get(f"/bekraeft/{quote(token, safe='')}/{suffix}")
            assert_sound(response, [token])
            assert response.status_code in (400, 404)

    check()


def test_any_correction_is_a_proposal_or_the_form_again(link_path):
    request, path = link_path
    client = Client()

    @FUZZ
    @given(values=st.dictionaries(st.sampled_from(FIELDS), HOSTILE, max_size=len(FIELDS)))
    def check(values):
        reopen(request)
        response = client.post(path + "ret/", values)
        assert_sound(response, list(values.values()))
        assert response.status_code in (302, 400, 413), response.status_code
        answered = ConfirmationRequest.objects.get(pk=request.pk).status
        assert (answered == RequestStatus.CORRECTED) == (response.status_code == 302)
        if response.status_code == 302:
            assert response.url.endswith("/tak/")

    check()


def test_any_confirmation_name_confirms_or_is_refused(link_path):
    request, path = link_path
    client = Client()

    @FUZZ
    @given(name=HOSTILE)
    def check(name):
        reopen(request)
        response = client.post(path, {"confirmed_by": name})
        assert_sound(response, [name])
        assert response.status_code in (302, 400, 413)
        confirmed = Confirmation.objects.filter(intervention=request.intervention).exists()
        assert confirmed == (response.status_code == 302)

    check()
