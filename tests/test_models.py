"""The model's rules hold in the database itself, whatever writes to it."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from interventions.models import (
    Confirmation,
    Contact,
    Intervention,
    Law,
    LegalParagraph,
    Municipality,
)
from tests.factories import InterventionFactory

pytestmark = pytest.mark.django_db


def _violates(**fields) -> None:
    entry = InterventionFactory()
    for name, value in fields.items():
        setattr(entry, name, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        entry.save()


def test_period_cannot_end_before_it_starts():
    _violates(period_start=2020, period_end=2019)


def test_years_must_be_plausible():
    _violates(period_start=1200)


def test_budget_cannot_be_negative():
    _violates(budget_dkk=-1)


def test_a_budget_kind_or_budget_years_need_an_amount():
    _violates(budget_dkk=None, budget_kind="per_year")
    _violates(budget_dkk=None, budget_first_year=2016)
    _violates(budget_dkk=1000, budget_kind="monthly")


def test_an_amounts_years_are_in_order():
    _violates(
        budget_dkk=1000, budget_kind="period_total", budget_first_year=2018, budget_last_year=2016
    )


@pytest.mark.parametrize(
    ("fields", "label"),
    [
        ({"budget_kind": "per_year", "budget_first_year": 2016}, "5.900.000 kr. om året (2016)"),
        (
            {"budget_kind": "period_total", "budget_first_year": 2014, "budget_last_year": 2018},
            "5.900.000 kr. i alt for 2014–2018",
        ),
        ({"budget_kind": "per_unit"}, "5.900.000 kr. pr. deltager eller forløb"),
        (
            {"budget_kind": "construction", "budget_price_year": 2020},
            "5.900.000 kr. til anlæg, 2020-priser",
        ),
        ({"budget_kind": ""}, "5.900.000 kr."),
    ],
)
def test_an_amount_is_labelled_with_what_it_is(fields, label):
    assert Intervention(budget_dkk=5_900_000, **fields).budget_label == label


def test_no_amount_no_label():
    assert Intervention(budget_dkk=None).budget_label == ""


def test_sector_status_and_evaluation_must_be_valid_choices():
    _violates(sector="privat")
    _violates(status="forsvundet")
    _violates(evaluation_level="rygter")


def test_slugs_are_unique():
    InterventionFactory(slug="samme-slug")
    with pytest.raises(IntegrityError), transaction.atomic():
        InterventionFactory(slug="samme-slug")


def test_contact_email_is_stored_in_lower_case():
    entry = InterventionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(intervention=entry, name="A", email="Anne@Aarhus.dk")


def test_legal_paragraphs_sort_naturally_and_have_labels():
    law = Law.objects.create(
        abbreviation="TST", name="Testloven", full_name="Lov om test", url="https://example.dk/lov"
    )
    for number in ["107", "82b", "85", "82", "82a", "83"]:
        LegalParagraph.objects.create(law=law, number=number, title=f"Paragraf {number}")
    numbers = list(LegalParagraph.objects.filter(law=law).values_list("number", flat=True))
    assert numbers == ["82", "82a", "82b", "83", "85", "107"]
    paragraph = LegalParagraph.objects.get(law=law, number="82b")
    assert paragraph.label == "TST § 82b"
    assert paragraph.slug == "tst-82b"
    assert paragraph.link == "https://example.dk/lov#P82b"


def test_paragraph_number_format_is_enforced():
    law = Law.objects.get(abbreviation="SEL")
    with pytest.raises(IntegrityError), transaction.atomic():
        LegalParagraph.objects.create(law=law, number="§85", title="x")


@pytest.mark.parametrize(
    ("label", "expected"),
    [("SEL § 85", ("SEL", "85")), ("SEL §82 b", ("SEL", "82b")), ("ABL § 105", ("ABL", "105"))],
)
def test_paragraph_labels_parse(label, expected):
    assert LegalParagraph.parse_label(label) == expected


@pytest.mark.parametrize("label", ["§ 85", "SEL 85", "", "SEL § abc"])
def test_malformed_paragraph_labels_are_refused(label):
    with pytest.raises(ValueError):
        LegalParagraph.parse_label(label)


def test_natural_keys_round_trip():
    aarhus = Municipality.objects.get_by_natural_key("Aarhus")
    assert aarhus.natural_key() == ("Aarhus",)
    assert aarhus.region.name == "Region Midtjylland"
    entry = Intervention.objects.get_by_natural_key("biofeedback-horsens")
    assert entry.natural_key() == ("biofeedback-horsens",)
    assert LegalParagraph.objects.get_by_natural_key("SEL", "85").label == "SEL § 85"


def test_display_title_tells_repeated_titles_apart():
    entry = InterventionFactory(title="FACT", organisation="Regionspsykiatrien Randers")
    assert entry.display_title == "FACT (Regionspsykiatrien Randers)"


@pytest.mark.parametrize(
    ("model", "field_name"),
    [
        (Intervention, "sector"),
        (Intervention, "status"),
        (Intervention, "evaluation_level"),
        (Confirmation, "method"),
    ],
)
@pytest.mark.parametrize("language", ["da", "en"])
def test_choice_displays_say_what_djangos_say(model, field_name, language):
    """The entry page's `get_FOO_display()` (kept cheap) shows what Django's shows: the label in
    the active language, and an unknown value as it is."""
    field = model._meta.get_field(field_name)
    with translation.override(language):
        for value in [*(value for value, _label in field.flatchoices), "not-a-choice", ""]:
            entry = model(**{field_name: value})
            shown = getattr(entry, f"get_{field_name}_display")()
            assert shown == entry._get_FIELD_display(field)
            assert type(shown) is type(entry._get_FIELD_display(field))
