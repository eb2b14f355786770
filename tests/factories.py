"""factory_boy factories for entries that tests build themselves (beside the curated catalogue)."""

import datetime

import factory

from interventions.changes import refresh_search_texts
from interventions.models import (
    Confirmation,
    Contact,
    Intervention,
    LegalBasis,
    LegalParagraph,
    SourceDocument,
    TargetGroup,
)


class InterventionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Intervention
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"testindsats-{n}")
    title = factory.Sequence(lambda n: f"Testindsats {n}")
    summary = "En indsats oprettet af testen."
    source = factory.LazyFunction(lambda: SourceDocument.objects.get(key="dassos-2015"))
    locator = "test"
    sector = Intervention.Sector.KOMMUNAL
    organisation = "Testkommune"

    @factory.post_generation
    def target_groups(self, create, extracted, **kwargs):
        if create:
            self.target_groups.set(extracted or [TargetGroup.objects.get(slug="hjemloese")])

    @factory.post_generation
    def municipalities(self, create, extracted, **kwargs):
        if create and extracted:
            self.municipalities.set(extracted)

    @factory.post_generation
    def paragraphs(self, create, extracted, **kwargs):
        for label in extracted or []:
            LegalBasis.objects.create(
                intervention=self, paragraph=LegalParagraph.objects.get_by_label(label)
            )

    @factory.post_generation
    def refresh(self, create, extracted, **kwargs):
        if create:
            refresh_search_texts(self)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    intervention = factory.SubFactory(InterventionFactory)
    name = "Test Person"
    email = "test.person@example.dk"


def confirm(
    entry: Intervention,
    on: datetime.date,
    by: str = "Horsens Kommune",
    method: str = Confirmation.Method.EMAIL,
) -> Confirmation:
    """Record that the owner confirmed `entry` on `on` (as an editor does in the admin)."""
    return Confirmation.objects.create(
        intervention=entry, confirmed_on=on, confirmed_by=by, method=method
    )
