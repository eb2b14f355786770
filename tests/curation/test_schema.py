"""The entry schema (curation/schema.py): limits read from the model fields, and the rules of a
valid entry, which the admin (Intervention.clean), the loader and the intake all apply."""

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation

from interventions.curation import schema
from interventions.models import Contact, Intervention
from tests.factories import InterventionFactory


def test_a_number_outside_a_signed_column_is_worded_with_both_ends():
    """No input field is signed today; the wording is there for one that will be."""
    limits = schema.FieldLimits(
        field=models.IntegerField(), kind="integer", required=False, unique=False
    )
    limits = schema.FieldLimits(**{**limits.__dict__, "min_value": -5, "max_value": 5})
    assert schema.value_problems(7, limits) == ["must be a whole number from -5 to 5, got 7"]
    assert schema.value_problems(-5, limits) == []


def test_the_limits_are_the_model_fields_own():
    assert (
        schema.field_limits(Contact, "email").max_length
        == Contact._meta.get_field("email").max_length
    )
    assert schema.field_limits(Intervention, "sector").choices == tuple(Intervention.Sector)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"period_start": 2020, "period_end": 2010}, [("period_end", "period_order")]),
        ({"period_start": 2010, "period_end": 2010}, []),
        ({"period_start": "2020", "period_end": 2010}, []),  # the value check reports that
        ({"budget_dkk": 5, "budget_note": " "}, [("budget_note", "budget_note")]),
        ({"budget_dkk": 0, "budget_note": ""}, [("budget_note", "budget_note")]),
        ({"budget_dkk": None, "budget_note": ""}, []),
        ({"target_groups": 5}, [("target_groups", "target_groups")]),
        ({"target_groups": 4}, []),
        ({"target_groups": 0}, []),  # "is required" says it
        ({"has_twin": True, "title": "T", "organisation": "O"}, [("title", "duplicate_title")]),
    ],
)
def test_each_rule_is_broken_exactly_when_it_should_be(values, expected):
    breaches = schema.entry_rule_breaches(**values)
    assert [(b.field, b.rule) for b in breaches] == expected


def test_every_rule_is_worded_for_editors_and_for_curators():
    assert schema.DANISH_RULES.keys() == schema.ENGLISH_RULES.keys()
    breach = schema.RuleBreach("period_end", "period_order", {"start": 2020, "end": 2010})
    with translation.override("da"):
        assert breach.message(schema.DANISH_RULES) == "Slutåret (2010) ligger før startåret (2020)."
    with translation.override("en"):
        assert (
            breach.message(schema.DANISH_RULES)
            == "The end year (2010) is before the start year (2020)."
        )
    assert breach.message(schema.ENGLISH_RULES) == "ends (2010) before it starts (2020)"


def test_twins_are_found_whatever_the_case_and_spacing(db):
    entry = InterventionFactory(title="Aaben Dialog", organisation="Horsens Kommune")
    found = schema.twins(Intervention.objects.all(), " aaben DIALOG", "HORSENS KOMMUNE ")
    assert list(found) == [entry]
    assert schema.title_key(" aaben DIALOG", "HORSENS KOMMUNE ") == schema.title_key(
        entry.title, entry.organisation
    )


def test_the_model_refuses_a_twin_unless_the_two_are_related(db):
    """Intervention.clean() applies the schema's duplicate-title rule; two sources' descriptions
    of one service, linked as related, may share title and owner (CURATION.md)."""
    first = InterventionFactory(title="Aaben Dialog", organisation="Horsens Kommune")
    second = InterventionFactory(title="aaben dialog", organisation="Horsens Kommune")
    with translation.override("da"), pytest.raises(ValidationError) as raised:
        second.clean()
    assert raised.value.message_dict == {
        "title": ["Horsens Kommune har allerede en indsats med titlen “aaben dialog”."]
    }
    second.related.add(first)
    second.clean()
