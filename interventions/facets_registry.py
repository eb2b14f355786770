"""The facets of the catalogue, in one table: everything else about a facet is built from it.

A facet is a query-string parameter that narrows the list by a classification of the entries
(target group, region, status ...). From `FACETS` are built: the FilterSet's filters
(`listing/filters.py`), the catalogue index's bitsets (`listing/index.py`), the facet panel's
order and labels (`listing/facets.py`), the API's parameters (`api/schema.py`) and vocabulary
endpoints (`api/views.py`, `api/serializers.py`, `api/urls.py`), the browse pages' counts
(`views/browse.py`) and the download's CSV columns (`views/downloads.py`). Adding a facet is one
`Facet(...)` below plus its label's English translation in locale/en/LC_MESSAGES/django.po.

The shape of an entry
---------------------
`Facet(param, label, ...)`: `param` is the query-string parameter (and the facet's name
everywhere), `label` its Danish name (gettext_lazy). The order of `FACETS` is the panel's order.
A facet's values are one of two kinds:

- **A vocabulary** (`model=`): rows of a model, chosen by their `key` field (slug, key, code).
  An entry belongs to a value through `membership`, a tuple of `Membership(relation, via="")`:
  `relation` is a relation of `Intervention` (many-to-many or foreign key) and `via` an optional
  foreign key on the related model that leads on to the facet's model. Membership is the *union*
  of its ways, and is written only here: a region holds the entries linked to it directly or
  through one of their municipalities::

      membership=(Membership("regions"), Membership("municipalities", via="region"))

  Without `membership`, an entry belongs to the values its `relation` links it to. A
  municipality holds the entries it runs or co-runs and those that serve its citizens
  (ADR 0012): `membership=(Membership("municipalities"), Membership("served_municipalities"))`.
  `rows_related` (select_related names), `value_label` and `value_group` say how the panel shows
  a value; `api=Api(...)` gives it a vocabulary endpoint, `values_hint` says where a client finds
  the values otherwise.

  `match_all=True` offers "alle valgte" for a many-to-many vocabulary: with its parameter in
  `match_all` (`?target_group=a&target_group=b&match_all=target_group`), an entry must belong
  to every chosen value, not to any.

- **Fixed choices** (`choices=`): a list of (value, label). An entry's value is either one of its
  fields (`field="status"`) or computed by the database (`computed=`: a function returning a
  query expression over `Intervention`, called anew for every query, so it may use today's date).
  A computed value is what a facet such as the information's freshness needs: the FilterSet
  filters on it as an alias, the index reads it with the entries, the CSV shows its label. It is a
  database expression rather than a Python function over the entry because the FilterSet (the
  contract, and the API's and downloads' filter) filters in the database. An index is built
  again after `CATALOGUE_INDEX_SECONDS` (served meanwhile for at most `INDEX_STALE_SECONDS` more)
  and never serves past its day, so a value that changes with the date is never a day old there.

`csv=Csv(header, after=...)` gives a facet a column in the CSV and Excel downloads, placed after
the column named `after` (a fixed column's name, see `views/downloads.py`, or another facet's
param; "" puts it last). A vocabulary's column lists its `relation`'s values (`relation=`,
`rows=` and `text=` change which and how; `membership=True` lists every value the facet's
membership finds, as its filter does); a choice facet's column shows its value's label.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Count, F, Func, IntegerField, OuterRef, Q, Subquery
from django.db.models.expressions import Expression
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from interventions.models import (
    Freshness,
    Intervention,
    KKRGoal,
    LegalParagraph,
    Method,
    Municipality,
    PolicyArea,
    Region,
    SourceDocument,
    SourceSection,
    TargetGroup,
    freshness_expression,
    legal_bases_in_order,
)

Text = str | Promise  # a plain or a lazily translated string


@dataclass(frozen=True)
class Membership:
    """One way an entry belongs to a vocabulary value: `relation` of Intervention, then `via`."""

    relation: str
    via: str = ""

    @property
    def path(self) -> str:
        """The ORM path from an entry to the value."""
        return f"{self.relation}__{self.via}" if self.via else self.relation


@dataclass(frozen=True)
class Api:
    """A vocabulary's endpoint, /api/<path>/: each value with its number of published entries."""

    path: str  # "target-groups"
    basename: str  # the URL names' stem: "api:target-group-list"
    summary: str
    description: str  # the OpenAPI description (Danish, as the whole schema)
    fields: tuple[str, ...]  # the model's fields shown, before `count` and `interventions_url`
    annotate: Callable[[], dict[str, Any]] | None = None  # further counts the endpoint shows
    schema_name: str = ""  # the OpenAPI component's name, if not the model's


@dataclass(frozen=True)
class Csv:
    """A facet's column in the CSV download."""

    header: Text
    after: str = ""  # the column this one follows; "" for the last
    relation: str = ""  # a vocabulary's relation listed (default: the facet's `relation`)
    rows: Callable[[], models.QuerySet] | None = None  # how its rows are read (default: all)
    text: Callable[[Any], str] = str  # how one row is written
    # List the values the entry belongs to by the facet's membership (what its filter matches),
    # not only those its `relation` links: a region's column names the regions of the entry's
    # municipalities too, so a download filtered by a region never shows an empty "Regioner".
    membership: bool = False


@dataclass(frozen=True)
class Facet:
    param: str
    label: Text
    # A vocabulary: rows of `model` by their `key`, linked through `relation` (or `membership`).
    model: type[models.Model] | None = None
    relation: str = ""
    key: str = "slug"
    membership: tuple[Membership, ...] = ()
    rows_related: tuple[str, ...] = ()
    value_label: Callable[[Any], str] = str
    value_group: Callable[[Any], str] | None = None
    api: Api | None = None
    values_hint: str = ""
    # Fixed choices: an entry's `field`, or a value the database computes.
    choices: Sequence[tuple[str, Text]] = ()
    field: str = ""
    computed: Callable[[], Expression] | None = None
    csv: Csv | None = None
    # Offer "alle valgte" (AND: entries with every chosen value) beside the default OR, through
    # the `match_all` parameter: for a many-to-many vocabulary, where an entry has several values.
    match_all: bool = False

    def __post_init__(self) -> None:
        vocabulary, choices = self.model is not None, bool(self.choices)
        if vocabulary == choices:
            raise ValueError(f"facet {self.param!r}: give either a model or choices")
        if vocabulary and not (self.relation or self.membership):
            raise ValueError(f"facet {self.param!r}: a vocabulary needs a relation")
        if choices and bool(self.field) == (self.computed is not None):
            raise ValueError(f"facet {self.param!r}: choices need either a field or `computed`")
        if self.match_all and not (vocabulary and self.many_to_many):
            raise ValueError(f"facet {self.param!r}: only a many-to-many vocabulary can match all")

    # --- What kind -------------------------------------------------------------------------------

    @property
    def is_vocabulary(self) -> bool:
        return self.model is not None

    @property
    def ways(self) -> tuple[Membership, ...]:
        """How an entry belongs to a value (a vocabulary's membership), at least one way."""
        return self.membership or (Membership(self.relation),)

    @property
    def many_to_many(self) -> bool:
        """Whether an entry may have several values (a choice facet's entry has one)."""
        return any(Intervention._meta.get_field(w.relation).many_to_many for w in self.ways)

    @property
    def alias(self) -> str:
        """The name a computed value goes by in a query."""
        return f"facet_{self.param}"

    # --- In the database -------------------------------------------------------------------------

    @property
    def vocabulary(self) -> type[models.Model]:
        """A vocabulary facet's model (TypeError for a choice facet)."""
        if self.model is None:
            raise TypeError(f"facet {self.param!r} has no vocabulary")
        return self.model

    def rows(self) -> models.QuerySet:
        """A vocabulary's values, in the panel's order."""
        rows = self.vocabulary._default_manager.all()
        # select_related() without names would follow every foreign key.
        return rows.select_related(*self.rows_related) if self.rows_related else rows

    def value_expression(self) -> F | Expression:
        """A choice facet's value of an entry."""
        if self.computed is not None:
            return self.computed()
        return F(self.field)

    def condition(self, values) -> Q:
        """Entries belonging to any of `values` (rows or a queryset of them); the one place a
        vocabulary's membership becomes SQL."""
        condition = Q()
        for way in self.ways:
            condition |= Q(**{f"{way.path}__in": values})
        return condition

    def published_count(self) -> Coalesce:
        """Annotates a vocabulary's rows with their number of published entries, each entry
        counted once however many ways it belongs."""
        belonging = Q()
        for way in self.ways:
            belonging |= Q(**{way.path: OuterRef("pk")})
        members = (
            Intervention.objects.published()
            .filter(belonging)
            .order_by()
            .annotate(n=Func(F("pk"), function="COUNT", template="COUNT(DISTINCT %(expressions)s)"))
            .values("n")
        )
        return Coalesce(Subquery(members[:1], output_field=IntegerField()), 0)


FACETS: list[Facet] = [
    Facet(
        "target_group",
        _("Målgruppe"),
        model=TargetGroup,
        relation="target_groups",
        api=Api(
            "target-groups",
            "target-group",
            "Målgrupper",
            "Målgrupperne; `slug` er værdien til filteret `target_group`.",
            ("slug", "name", "description", "aliases"),
        ),
        csv=Csv(_("Målgrupper"), after="region"),
        match_all=True,
    ),
    Facet(
        "policy_area",
        _("Fagområde"),
        model=PolicyArea,
        relation="policy_areas",
        api=Api(
            "policy-areas",
            "policy-area",
            "Fagområder",
            "Fagområderne; `slug` er værdien til filteret `policy_area`.",
            ("slug", "name", "description", "aliases"),
        ),
        csv=Csv(_("Fagområder"), after="target_group"),
        match_all=True,
    ),
    Facet(
        "paragraph",
        _("Lovgrundlag"),
        model=LegalParagraph,
        relation="legal_paragraphs",
        rows_related=("law",),
        value_label=lambda p: f"{p.label} {p.title}",
        value_group=lambda p: p.law.name,
        api=Api(
            "legal-paragraphs",
            "legal-paragraph",
            "Lovgrundlag",
            "Paragrafferne med lov, titel og link til lovteksten; `slug` er værdien til "
            "`paragraph`.",
            ("slug", "label", "law", "number", "title", "url"),
        ),
        csv=Csv(
            _("Paragraffer"),
            after="policy_area",
            relation="legal_bases",
            rows=legal_bases_in_order,
            text=lambda basis: basis.paragraph.label,
        ),
        match_all=True,
    ),
    Facet(
        "municipality",
        _("Kommune"),
        model=Municipality,
        relation="municipalities",
        # Runs or serves (ADR 0012): a caseworker in Herning finds the regional team that serves
        # Herning without Herning running it. The CSV column lists only those that run it; the
        # served ones have a column of their own, with their basis.
        membership=(Membership("municipalities"), Membership("served_municipalities")),
        rows_related=("region",),
        value_label=lambda m: m.name,
        api=Api(
            "municipalities",
            "municipality",
            "Kommuner",
            "Kommunerne med deres region; `slug` er værdien til filteret `municipality`, som "
            "finder de indsatser, kommunen driver eller er med til at drive, og dem, der betjener "
            "kommunens borgere.",
            ("slug", "code", "name", "region"),
        ),
        csv=Csv(_("Kommuner"), after="summary", text=lambda m: m.name),
    ),
    Facet(
        "region",
        _("Region"),
        model=Region,
        relation="regions",
        membership=(
            Membership("regions"),
            Membership("municipalities", via="region"),
            Membership("served_municipalities", via="region"),
        ),
        value_label=lambda r: r.name,
        api=Api(
            "regions",
            "region",
            "Regioner",
            "Regionerne; en indsats hører til en region selv eller gennem en kommune, den drives "
            "af eller betjener.",
            ("slug", "code", "name"),
        ),
        # Every region the filter finds the entry in: its own, its municipalities' and those of
        # the municipalities it serves.
        csv=Csv(_("Regioner"), after="served", text=lambda r: r.name, membership=True),
    ),
    Facet(
        "method",
        _("Metode"),
        model=Method,
        relation="methods",
        api=Api(
            "methods",
            "method",
            "Metoder",
            "Metoderne (fx FACT, Housing First); `slug` er værdien til filteret `method`.",
            ("slug", "name", "description", "aliases"),
        ),
        csv=Csv(_("Metoder"), after="kkr_goal"),
        match_all=True,
    ),
    Facet(
        "kkr_goal",
        _("KKR-målsætning"),
        model=KKRGoal,
        relation="kkr_goals",
        value_group=lambda g: g.area,
        api=Api(
            "kkr-goals",
            "kkr-goal",
            "KKR-målsætninger",
            "KKR Midtjyllands målsætninger efter område; `slug` er værdien til `kkr_goal`.",
            ("slug", "area", "text"),
        ),
        csv=Csv(_("KKR-mål"), after="paragraph"),
    ),
    Facet(
        "sector",
        _("Sektor"),
        choices=Intervention.Sector.choices,
        field="sector",
        csv=Csv(_("Sektor"), after="status_as_stated"),
    ),
    Facet(
        "source",
        _("Kilde"),
        model=SourceDocument,
        relation="source",
        key="key",
        value_label=lambda s: s.title,
        api=Api(
            "sources",
            "source",
            "Kilder",
            "Kildedokumenterne med antal anbefalinger og gode råd; `key` er værdien til `source`.",
            ("key", "title", "publisher", "year", "description", "guidance_count"),
            annotate=lambda: {"guidance_count": Count("guidance", distinct=True)},
            schema_name="Source",
        ),
        csv=Csv(_("Kilde"), after="funding"),
    ),
    Facet(
        "section",
        _("Tema, spor, klynge eller gruppe"),
        model=SourceSection,
        relation="source_section",
        key="code",
        # A theme holds its tracks' entries (one level down).
        membership=(Membership("source_section"), Membership("source_section", via="parent")),
        rows_related=("source",),
        value_label=lambda s: s.name,
        value_group=lambda s: s.source.title,
        values_hint=(
            "`code`, fx `tema-1` eller `spor-1-1` (se kilderne); et tema omfatter sine spor"
        ),
    ),
    Facet(
        "status",
        _("Status"),
        choices=Intervention.Status.choices,
        field="status",
        csv=Csv(_("Status"), after="method"),
    ),
    Facet(
        "evaluation",
        _("Evaluering"),
        choices=Intervention.EvaluationLevel.choices,
        field="evaluation_level",
        csv=Csv(_("Evaluering"), after="sector"),
    ),
    Facet(
        "budget_kind",
        _("Beløbets art"),
        choices=Intervention.BudgetKind.choices,
        field="budget_kind",
        csv=Csv(_("Beløbets art"), after="budget"),
    ),
    Facet(
        "freshness",
        _("Aktualitet"),
        choices=Freshness.choices,
        # Computed for each query from today's date: the information's age moves on by itself.
        computed=freshness_expression,
        csv=Csv(_("Aktualitet"), after="confirmed_by"),
    ),
]


def facets() -> list[Facet]:
    """Every facet, in the panel's order."""
    return list(FACETS)


def facet(param: str) -> Facet:
    """The facet of a parameter; KeyError if there is none."""
    for candidate in FACETS:
        if candidate.param == param:
            return candidate
    raise KeyError(param)
