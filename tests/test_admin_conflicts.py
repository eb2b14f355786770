"""Two editors on one entry: a form opened before someone else's save cannot overwrite it.

Every change to an entry raises its edit version: its own fields, its contacts and legal basis,
its links to vocabularies and related entries. The admin form carries the version it was opened
at; a save from an older version is refused with the name of whoever saved in between, when, and
what they changed, and nothing of the refused save is written.
"""

import pytest

from interventions.models import (
    Intervention,
    LegalBasis,
    LegalParagraph,
    TargetGroup,
)
from tests.factories import ContactFactory, InterventionFactory

pytestmark = pytest.mark.django_db


def version(entry) -> int:
    return Intervention.objects.get(pk=entry.pk).edit_version


def test_every_kind_of_change_raises_the_version_once_per_change():
    entry = InterventionFactory()
    other = InterventionFactory()
    group = TargetGroup.objects.get(slug="hjemloese")
    paragraph = LegalParagraph.objects.get_by_label("SEL § 85")
    start = version(entry)

    def raised(change) -> bool:
        before = version(entry)
        change()
        return version(entry) > before

    entry.title = "Ny titel"
    assert raised(entry.save)
    assert entry.edit_version == version(entry)  # read back after the save
    assert raised(lambda: entry.save(update_fields=["is_published"]))
    contact = ContactFactory(intervention=entry)
    assert version(entry) > start
    contact.phone = "76 29 00 00"
    assert raised(contact.save)
    assert raised(contact.delete)
    basis = LegalBasis(intervention=entry, paragraph=paragraph)
    assert raised(basis.save)
    assert raised(basis.delete)
    assert raised(lambda: entry.legal_paragraphs.add(paragraph))
    assert raised(lambda: entry.legal_paragraphs.clear())
    assert raised(lambda: paragraph.interventions.add(entry))  # from the paragraph's side
    assert raised(lambda: paragraph.interventions.clear())
    assert raised(lambda: entry.target_groups.remove(group))
    assert raised(lambda: entry.target_groups.add(group))
    assert raised(lambda: entry.target_groups.clear())
    assert raised(lambda: other.related.add(entry))  # related links are mutual
    assert raised(lambda: other.related.clear())
