"""The FilterSet is the contract of the query string: OR within a facet, AND across facets, and
AND within a facet named in `match_all`."""

import copy
import itertools

import pytest
from django import forms
from django.db.models import QuerySet
from django.db.models.sql.query import Query
from django.http import QueryDict

from interventions.listing.filters import InterventionFilter, VocabularyField, shallow_copy
from interventions.models import Intervention, LegalParagraph, TargetGroup

pytestmark = pytest.mark.django_db


def results(query: str) -> set[str]:
    filterset = InterventionFilter(QueryDict(query), queryset=Intervention.objects.published())
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("slug", flat=True))


def filterset(query: str) -> InterventionFilter:
    return InterventionFilter(QueryDict(query), queryset=Intervention.objects.published())


def slugs(query: str) -> list[str]:
    return sorted(results(query))


def published():
    return Intervention.objects.published()


def with_target_group(slug: str) -> set[str]:
    return set(TargetGroup.objects.get(slug=slug).interventions.values_list("slug", flat=True))


def test_values_within_a_facet_are_ored():
    expected = with_target_group("voksne-med-autisme") | with_target_group("hjemloese")
    assert results("target_group=voksne-med-autisme&target_group=hjemloese") == expected
    assert expected


def test_facets_are_anded():
    expected = with_target_group("voksne-med-udviklingshaemning") & set(
        Intervention.objects.filter(municipalities__name="Aarhus").values_list("slug", flat=True)
    )
    assert expected
    assert results("target_group=voksne-med-udviklingshaemning&municipality=aarhus") == expected


def test_legal_paragraph_filter_uses_the_slug():
    expected = set(
        LegalParagraph.objects.get_by_label("SEL § 104").interventions.values_list(
            "slug", flat=True
        )
    )
    assert expected
    assert results("paragraph=sel-104") == expected


def test_region_includes_the_regions_municipalities_and_regional_entries():
    midt = results("region=region-midtjylland")
    assert "biofeedback-horsens" in midt  # through Horsens Kommune
    assert "fasemodellen-region-midtjylland" in midt  # the region itself takes part
    assert "familiedialog-lolland" not in midt


def test_a_theme_includes_its_tracks():
    assert results("section=boern-og-unge") == set(
        Intervention.objects.filter(source_section__code="boern-og-unge").values_list(
            "slug", flat=True
        )
    )


def test_empty_values_are_ignored():
    assert results("target_group=&q=&sector=") == set(
        Intervention.objects.published().values_list("slug", flat=True)
    )


@pytest.mark.parametrize(
    "query",
    [
        "target_group=findes-ikke",
        "sector=privat",
        "paragraph=sel-9999",
        "sort=hemmelig",
        "q=%25%25%25",
    ],
)
def test_unknown_values_make_the_filterset_invalid(query):
    filterset = InterventionFilter(QueryDict(query), queryset=Intervention.objects.all())
    assert not filterset.is_valid()
    list(filterset.qs)  # still evaluates without error


def test_free_text_and_facets_combine():
    assert results("q=misbrug&source=dassos-2015") <= results("source=dassos-2015")
    assert "cafe-tumling-aarhus" in results("q=misbrug&source=dassos-2015")


def test_has_budget_keeps_entries_with_a_stated_amount():
    slugs = results("has_budget=true")
    assert slugs == set(
        Intervention.objects.filter(budget_dkk__isnull=False).values_list("slug", flat=True)
    )
    assert slugs


def test_sorting_is_whitelisted_and_stable():
    """`sort` takes the public names only, and ties are broken by title and slug."""
    filterset = InterventionFilter(QueryDict("sort=-budget"), queryset=Intervention.objects.all())
    assert filterset.is_valid(), filterset.errors
    rows = list(filterset.qs.values_list("budget_kind", "budget_dkk", "title", "slug"))
    # Within a kind of amount, largest first; the kinds in BudgetKind's order; none last.
    kinds = [kind for kind, budget, _title, _slug in rows if budget is not None]
    order = list(Intervention.BudgetKind.values)
    assert kinds == sorted(kinds, key=order.index)
    assert len(set(kinds)) > 1
    for kind in set(kinds):
        budgets = [b for k, b, _title, _slug in rows if k == kind and b is not None]
        assert budgets == sorted(budgets, reverse=True)
    amounts = [budget for _kind, budget, _title, _slug in rows]
    first_none = amounts.index(None)
    assert all(b is None for b in amounts[first_none:])
    # Entries with the same kind and amount (or none) follow in title order, then slug.
    for a, b in itertools.pairwise(rows):
        if a[:2] == b[:2]:
            assert a[2:] <= b[2:]
    assert any(a[:2] == b[:2] for a, b in itertools.pairwise(rows))  # ties exist to break
    for field_name in ("budget_dkk", "-budget_dkk", "summary", "-pk"):
        refused = InterventionFilter(QueryDict(f"sort={field_name}"))
        assert not refused.is_valid(), field_name
        assert "sort" in refused.errors


# --- "Alle valgte": AND within a facet -----------------------------------------------------------


def test_match_all_keeps_the_entries_with_every_chosen_value():
    both = (
        published().filter(target_groups__slug="hjemloese").filter(target_groups__slug="unge-15-25")
    )
    query = "target_group=hjemloese&target_group=unge-15-25"
    anded = slugs(f"{query}&match_all=target_group")
    assert anded == sorted(both.values_list("slug", flat=True))
    assert 0 < len(anded) < len(slugs(query))  # fewer than "either" keeps


def test_match_all_applies_only_to_the_facets_it_names():
    query = "target_group=hjemloese&target_group=unge-15-25&method=housing-first&method=fact"
    method_or = published().filter(methods__slug__in=["housing-first", "fact"])
    expected = (
        published()
        .filter(target_groups__slug="hjemloese")
        .filter(target_groups__slug="unge-15-25")
        .filter(pk__in=method_or.values("pk"))
    )
    assert slugs(f"{query}&match_all=target_group") == sorted(
        expected.values_list("slug", flat=True)
    )


def test_match_all_with_one_or_no_value_chosen_changes_nothing():
    assert slugs("target_group=hjemloese&match_all=target_group") == slugs("target_group=hjemloese")
    assert slugs("match_all=target_group&match_all=method") == slugs("")


@pytest.mark.parametrize("facet", ["target_group", "method", "paragraph", "policy_area"])
def test_match_all_is_offered_for_the_many_to_many_vocabularies(facet):
    assert filterset(f"match_all={facet}").is_valid()


@pytest.mark.parametrize("facet", ["region", "municipality", "status", "source", "nope", ""])
def test_match_all_for_any_other_facet_is_an_error_not_ignored(facet):
    if not facet:
        assert filterset("match_all=").is_valid()  # an empty value is no filter
        return
    form = filterset(f"match_all={facet}")
    assert not form.is_valid()
    assert "match_all" in form.errors


def test_match_all_reads_the_chosen_rows_without_a_query_per_value(django_assert_num_queries):
    query = (
        "target_group=hjemloese&target_group=unge-15-25&target_group=aeldre&match_all=target_group"
    )
    fs = filterset(query)
    assert fs.is_valid()
    with django_assert_num_queries(1):
        list(fs.qs.values_list("pk", flat=True))


def test_budget_kind_keeps_the_amounts_of_that_kind_and_sorts_within_it():
    filterset = InterventionFilter(
        QueryDict("budget_kind=period_total&sort=-budget"), queryset=Intervention.objects.all()
    )
    assert filterset.is_valid(), filterset.errors
    rows = list(filterset.qs.values_list("budget_kind", "budget_dkk"))
    assert rows and {kind for kind, _amount in rows} == {"period_total"}
    assert [amount for _kind, amount in rows] == sorted((a for _k, a in rows), reverse=True)


def test_a_forms_vocabulary_fields_share_their_queryset_only_while_it_holds_no_rows():
    """Each request's form copies the fields; an unevaluated queryset is shared rather than
    cloned, and one that has cached rows is cloned as Django clones it, so no form sees rows
    another read."""
    form_class = InterventionFilter(QueryDict(""), queryset=None).get_form_class()
    template = form_class.base_fields["target_group"]
    assert isinstance(template, VocabularyField)
    copied = copy.deepcopy(template)
    assert copied.queryset is template.queryset and copied.widget is not template.widget
    assert copied.widget.choices.field is copied  # its own choices iterator
    copied.known = {"a": 1}
    assert template.known is None
    try:
        assert list(copied.queryset)  # evaluated: rows cached on the shared queryset
        fresh = copy.deepcopy(template)
        assert fresh.queryset is not template.queryset
        assert fresh.queryset._result_cache is None
    finally:
        template.queryset = template.queryset.all()  # the form class's template stays unread


def test_forms_share_their_fixed_fields_and_each_has_its_own_vocabulary_fields():
    """A form changes only its vocabulary fields (`known`, the values its request chose): it
    shares the others with every form, and one request's chosen values never show in another's
    form or in the form class."""
    first = filterset("target_group=hjemloese&q=unge")
    second = filterset("policy_area=psykiatri")
    assert first.is_valid() and second.is_valid()
    one, other = first.form.fields, second.form.fields
    assert one["q"] is other["q"] and one["sort"] is other["sort"]
    assert one["target_group"] is not other["target_group"]
    assert one["target_group"].known == {"hjemloese": TargetGroup.objects.get(slug="hjemloese").pk}
    assert other["target_group"].known == {}
    assert other["policy_area"].known and not one["policy_area"].known
    assert type(first.form).base_fields["target_group"].known is None
    assert set(first.form.cleaned_data["target_group"]) == {
        TargetGroup.objects.get(slug="hjemloese")
    }


def test_a_form_copies_a_vocabulary_field_deeply_once_its_queryset_holds_rows():
    form_class = InterventionFilter(QueryDict(""), queryset=None).get_form_class()
    template = form_class.base_fields["target_group"]
    try:
        assert list(template.queryset)  # evaluated: rows cached on the form class's queryset
        form = filterset("target_group=hjemloese").form
        assert form.fields["target_group"].queryset._result_cache is None
    finally:
        template.queryset = template.queryset.all()  # the form class's template stays unread


def test_an_unchosen_vocabulary_cleans_to_its_fields_one_kept_empty_queryset():
    """Every request's form cleans an unchosen (or empty) vocabulary to the same `none()`, which
    stays empty whoever evaluates it; a chosen one gets its own queryset; a field given another
    queryset keeps a new `none()` of that one."""
    first, second = filterset("q=unge"), filterset("target_group=&policy_area=psykiatri")
    assert first.is_valid() and second.is_valid()
    nothing = first.form.cleaned_data["target_group"]
    assert second.form.cleaned_data["target_group"] is nothing
    assert list(nothing) == []
    third = filterset("")
    assert third.is_valid() and third.form.cleaned_data["target_group"] is nothing
    assert list(third.form.cleaned_data["target_group"]) == []
    chosen = second.form.cleaned_data["policy_area"]
    assert chosen is not first.form.cleaned_data["policy_area"]
    assert [area.slug for area in chosen] == ["psykiatri"]
    template = type(first.form).base_fields["target_group"]
    before = template.queryset
    try:
        template.queryset = TargetGroup.objects.filter(slug="hjemloese")
        again = filterset("q=unge")
        assert again.is_valid()
        fresh = again.form.cleaned_data["target_group"]
        assert fresh is not nothing and list(fresh) == []
    finally:
        template.queryset = before


def test_chosen_vocabularies_are_validated_without_building_their_conditions(monkeypatch):
    """Validating a request that chooses vocabularies builds no query condition (the list page
    never reads the cleaned rows); the cleaned rows are still exactly the chosen ones, as a
    queryset, as a subquery, filtered or counted."""
    built = []
    add_q = Query.add_q

    def counting(self, q_object, *args, **kwargs):
        built.append(q_object)
        return add_q(self, q_object, *args, **kwargs)

    query = "target_group=hjemloese&target_group=unge-15-25&policy_area=psykiatri"
    assert filterset(query).is_valid()  # the catalogue index is built (and kept) first
    fs = filterset(query)
    monkeypatch.setattr(Query, "add_q", counting)
    assert fs.is_valid()
    assert built == []
    groups = fs.form.cleaned_data["target_group"]
    assert isinstance(groups, QuerySet)
    assert {g.slug for g in groups} == {"hjemloese", "unge-15-25"}
    assert groups.filter(slug="hjemloese").count() == 1
    assert fs.form.cleaned_data["policy_area"].count() == 1
    monkeypatch.setattr(Query, "add_q", add_q)
    assert results("target_group=hjemloese&policy_area=psykiatri") == (
        with_target_group("hjemloese")
        & set(published().filter(policy_areas__slug="psykiatri").values_list("slug", flat=True))
    )


def test_shallow_copy_is_copy_copy_for_the_filters_and_fields():
    """Each request copies the filters and the vocabulary fields shallowly; an object with its
    own way of being copied (`__copy__`, slots) is copied as `copy.copy` copies it."""
    form_class = InterventionFilter(QueryDict(""), queryset=None).get_form_class()
    for original in [*InterventionFilter.base_filters.values(), *form_class.base_fields.values()]:
        clone = shallow_copy(original)
        assert type(clone) is type(original) and clone is not original
        assert vars(clone) == vars(copy.copy(original))

    class OwnCopy:
        def __copy__(self):
            return "its own"

    class Slotted:
        __slots__ = ("value",)

    slotted = Slotted()
    slotted.value = 1
    assert shallow_copy(OwnCopy()) == "its own"
    assert shallow_copy(slotted).value == 1 and shallow_copy(slotted) is not slotted


def test_empty_parameters_are_left_out_of_the_filtersets_data_not_the_requests():
    params = QueryDict("target_group=&q=unge&target_group=hjemloese&sector=+")
    data = filterset(params.urlencode()).data
    assert list(data.lists()) == [("target_group", ["hjemloese"]), ("q", ["unge"])]
    assert data.encoding == params.encoding and data._mutable
    kept = InterventionFilter(params, queryset=None)
    assert params.getlist("target_group") == ["", "hjemloese"] and kept.data is not params


def test_a_plain_dict_is_read_as_its_query_string_would_be():
    """Django's forms take a dict as data too (a list for a field of several values)."""
    as_dict = InterventionFilter(
        {"q": "unge", "target_group": ["", "hjemloese"], "sector": " "},
        queryset=Intervention.objects.published(),
    )
    as_query = filterset("q=unge&target_group=&target_group=hjemloese&sector=+")
    assert list(as_dict.data.lists()) == [("q", ["unge"]), ("target_group", ["hjemloese"])]
    assert as_dict.is_valid() and as_query.is_valid()
    chosen = [list(f.form.cleaned_data["target_group"]) for f in (as_dict, as_query)]
    assert chosen[0] == chosen[1] and len(chosen[0]) == 1
    assert as_dict.form.cleaned_data["q"] == "unge" and "sector" not in as_dict.data
    assert not InterventionFilter({}, queryset=None).data


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=unge&target_group=hjemloese&target_group=aeldre&region=x&sector=&has_budget=true",
        "sort=-budget,title&match_all=target_group&target_group=hjemloese&status=nonsense",
        "has_budget=maybe&sort=nonsense&match_all=sector&q=" + "x" * 300,
    ],
)
def test_the_form_cleans_as_djangos_without_a_bound_field_per_field(query):
    """Validation cleans each field as Django's forms do (the same cleaned values and errors)
    without making a bound field per valid field; a template still gets the ones it asks for."""
    ours, django = filterset(query), filterset(query)
    django.form._clean_fields = forms.Form._clean_fields.__get__(django.form)
    assert ours.is_valid() == django.is_valid()
    assert set(ours.form._bound_fields_cache) == set(ours.errors)  # Django's error lists make them
    assert ours.errors == django.errors

    def plain(value):
        return sorted(value.values_list("pk", flat=True)) if isinstance(value, QuerySet) else value

    assert {k: plain(v) for k, v in ours.form.cleaned_data.items()} == {
        k: plain(v) for k, v in django.form.cleaned_data.items()
    }
    assert ours.form["q"].value() == django.form["q"].value()


def test_no_field_needs_djangos_bound_field_to_clean():
    """What the form's `_clean_fields` leaves out of Django's: no field is disabled or a file,
    and the form has no `clean_<name>`. A filter that needs one of them needs Django's again."""
    form = filterset("").form
    for name, field in form.fields.items():
        assert not field.disabled and not isinstance(field, forms.FileField), name
        assert not hasattr(form, f"clean_{name}"), name
