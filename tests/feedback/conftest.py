"""Entries with an owner to ask, and requests made for them."""

import pytest

from interventions.feedback.confirmations import ask_owner
from tests.factories import ContactFactory, InterventionFactory

BASE = "http://testserver"


@pytest.fixture
def entry():
    obj = InterventionFactory(title="Bostøtte til unge", organisation="Testkommune")
    ContactFactory(
        intervention=obj,
        name="Mødedeltager",
        email="moede@example.dk",
        kind="meeting_participant",
        order=0,
    )
    ContactFactory(intervention=obj, name="Anne Ejer", email="anne@example.dk", order=1)
    return obj


@pytest.fixture
def asked(entry, mailoutbox):
    """A request e-mailed to the entry's contact person; the link is in `asked.link`."""
    return ask_owner(entry, base_url=BASE)


def path_of(link: str) -> str:
    return link.removeprefix(BASE)
