"""Issue #21: the detail page's budget reads simply: the amount with its kind, years and price
level on one line (Intervention.budget_label), who says so beside it, what it covers below."""

import html
import re

import pytest
from django.utils import timezone

from interventions.models import BudgetKind
from tests.factories import InterventionFactory, confirm

pytestmark = pytest.mark.django_db


def budget(page: str) -> dict[str, str]:
    block = re.search(r'<dd class="facts-budget">(.*?)</dd>', page, re.DOTALL)
    assert block, "no budget on the page"
    parts = {"all": block.group(1)}
    for name in ("budget-amount", "detail-muted", "budget-note"):
        found = re.search(rf'<span class="{name}">(.*?)</span>(?!\s*</span>)', block.group(1))
        parts[name] = html.unescape(re.sub(r"<[^>]+>", "", found.group(1))) if found else ""
    return parts


def test_a_period_total_reads_amount_kind_years_and_price_level_then_what_it_covers(client):
    entry = InterventionFactory(
        budget_dkk=9_390_742,
        budget_kind=BudgetKind.PERIOD_TOTAL,
        budget_first_year=2014,
        budget_last_year=2018,
        budget_price_year=2016,
        budget_note="Satspuljestøtte til projektet",
    )
    shown = budget(client.get(entry.get_absolute_url()).content.decode())
    assert shown["budget-amount"] == "9.390.742 kr. i alt for 2014–2018, 2016-priser"
    assert shown["detail-muted"] == entry.according_to_source
    assert re.search(
        r'<span class="budget-note">Beløbet dækker: <span lang="da">Satspuljestøtte til '
        r"projektet</span></span>",
        shown["all"],
    )


def test_a_yearly_amount_without_a_note_is_one_line(client):
    entry = InterventionFactory(
        budget_dkk=5_900_000,
        budget_kind=BudgetKind.PER_YEAR,
        budget_first_year=2016,
        budget_last_year=2016,
        budget_note="",
    )
    shown = budget(client.get(entry.get_absolute_url()).content.decode())
    assert shown["budget-amount"] == "5.900.000 kr. om året (2016)"
    assert "budget-note" not in shown["all"]


def test_a_confirmed_budget_does_not_say_according_to_the_source(client):
    entry = InterventionFactory(budget_dkk=63_000, budget_kind=BudgetKind.PER_UNIT)
    confirm(entry, on=timezone.localdate())
    shown = budget(client.get(entry.get_absolute_url()).content.decode())
    assert shown["budget-amount"] == "63.000 kr. pr. deltager eller forløb"
    assert "ifølge kilden" not in shown["all"]


def test_no_amount_no_budget_line(client):
    entry = InterventionFactory(budget_dkk=None)
    assert 'class="facts-budget"' not in client.get(entry.get_absolute_url()).content.decode()
