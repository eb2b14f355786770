"""The catalogue's domain model: vocabularies, source documents and interventions.

Every model that fixtures reference has a natural key (slug, code, name or law + number), so
fixtures read like data. Rules that must always hold are database constraints.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from datetime import date
from typing import NamedTuple

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce, Greatest, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from interventions.curation import schema
from interventions.validators import (
    MAX_YEAR,
    MIN_YEAR,
    PARAGRAPH_DIGITS,
    PARAGRAPH_LETTER,
    PARAGRAPH_NUMBER_REGEX,
    validate_danish_phone,
    validate_lower_case_email,
    validate_paragraph_number,
    validate_year,
)


class NaturalKeyManager(models.Manager):
    """`get_by_natural_key` for models whose natural key is the one unique field they name."""

    def get_by_natural_key(self, key):
        return self.get(**{self.model.natural_key_field: key})


# --- Vocabularies ---------------------------------------------------------------------------------


class Region(models.Model):
    code = models.CharField(_("DAGI-kode"), max_length=4, unique=True)
    name = models.CharField(_("navn"), max_length=100, unique=True)
    slug = models.SlugField(unique=True)

    natural_key_field = "name"
    objects = NaturalKeyManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regioner")

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.name,)


class Municipality(models.Model):
    code = models.CharField(_("kommunekode"), max_length=3, unique=True)
    name = models.CharField(
        _("navn"), max_length=100, unique=True, help_text=_("Uden 'Kommune', fx 'Aarhus'.")
    )
    slug = models.SlugField(unique=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="municipalities")

    natural_key_field = "name"
    objects = NaturalKeyManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("kommune")
        verbose_name_plural = _("kommuner")

    def __str__(self) -> str:
        return f"{self.name} Kommune"

    def natural_key(self) -> tuple[str]:
        return (self.name,)


class VocabularyTerm(models.Model):
    """A controlled term referenced by its slug."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(_("navn"), max_length=120, unique=True)
    description = models.TextField(_("beskrivelse"), blank=True)
    aliases = models.TextField(
        _("andre navne"),
        blank=True,
        help_text=_(
            "Ét navn pr. linje, som søgningen også finder termen ved: engelske navne, "
            "forkortelser og danske varianter (fx 'IPS', 'peer support'). Ikke synonymer for "
            "andre termer."
        ),
    )

    natural_key_field = "slug"
    objects = NaturalKeyManager()

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class TargetGroup(VocabularyTerm):
    class Meta(VocabularyTerm.Meta):
        verbose_name = _("målgruppe")
        verbose_name_plural = _("målgrupper")


class PolicyArea(VocabularyTerm):
    class Meta(VocabularyTerm.Meta):
        verbose_name = _("fagområde")
        verbose_name_plural = _("fagområder")


class Method(VocabularyTerm):
    class Meta(VocabularyTerm.Meta):
        verbose_name = _("metode")
        verbose_name_plural = _("metoder")


class KKRGoal(models.Model):
    """A goal from the KKR Midtjylland framework, quoted in source 000."""

    slug = models.SlugField(max_length=80, unique=True)
    area = models.CharField(_("område"), max_length=120, help_text=_("Fx 'Voksenhandicapområdet'."))
    text = models.CharField(_("målsætning"), max_length=300)
    order = models.PositiveSmallIntegerField(_("rækkefølge"), default=0)

    natural_key_field = "slug"
    objects = NaturalKeyManager()

    class Meta:
        ordering = ["order", "area", "text"]
        verbose_name = _("KKR-målsætning")
        verbose_name_plural = _("KKR-målsætninger")

    def __str__(self) -> str:
        return self.text

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class Law(models.Model):
    abbreviation = models.CharField(_("forkortelse"), max_length=10, unique=True)
    name = models.CharField(_("navn"), max_length=100)
    full_name = models.CharField(_("fuldt navn"), max_length=200)
    url = models.URLField(_("link til lovteksten"), blank=True)

    natural_key_field = "abbreviation"
    objects = NaturalKeyManager()

    class Meta:
        ordering = ["abbreviation"]
        verbose_name = _("lov")
        verbose_name_plural = _("love")

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.abbreviation,)


_PARAGRAPH_NUMBER = re.compile(rf"^({PARAGRAPH_DIGITS})\s*({PARAGRAPH_LETTER}?)$")
_LABEL = re.compile(rf"^\s*([A-ZÆØÅ]{{2,6}})\s*§\s*({PARAGRAPH_DIGITS}\s*{PARAGRAPH_LETTER}?)\s*$")


class LegalParagraphManager(models.Manager):
    def get_by_natural_key(self, law_abbreviation: str, number: str):
        return self.get(law__abbreviation=law_abbreviation, number=number)

    def get_by_label(self, label: str) -> LegalParagraph:
        law, number = LegalParagraph.parse_label(label)
        return self.get_by_natural_key(law, number)


class LegalParagraph(models.Model):
    law = models.ForeignKey(Law, on_delete=models.PROTECT, related_name="paragraphs")
    number = models.CharField(
        _("nummer"),
        max_length=8,
        validators=[validate_paragraph_number],
        help_text=_("Paragraffens nummer med evt. bogstav, fx '85' eller '82b'."),
    )
    title = models.CharField(_("titel"), max_length=200)
    url = models.URLField(
        _("link"), blank=True, help_text=_("Tom: lovens link med paragraffens anker (#P85).")
    )
    slug = models.SlugField(unique=True, editable=False, help_text=_("Fx 'sel-85'."))
    # Natural order 82 < 82a < 82b < 83 < 107, kept in sortable columns.
    number_value = models.PositiveSmallIntegerField(editable=False)
    number_suffix = models.CharField(max_length=1, blank=True, editable=False)

    objects = LegalParagraphManager()

    class Meta:
        ordering = ["law__abbreviation", "number_value", "number_suffix"]
        constraints = [
            models.UniqueConstraint(fields=["law", "number"], name="unique_paragraph_per_law"),
            models.CheckConstraint(
                condition=Q(number__regex=PARAGRAPH_NUMBER_REGEX), name="paragraph_number_format"
            ),
        ]
        verbose_name = _("paragraf")
        verbose_name_plural = _("paragraffer")

    def __str__(self) -> str:
        return f"{self.label} {self.title}"

    def save(self, *args, **kwargs) -> None:
        match = _PARAGRAPH_NUMBER.match(self.number)
        if match:
            self.number_value, self.number_suffix = int(match.group(1)), match.group(2)
        self.slug = f"{self.law.abbreviation}-{self.number}".lower()
        super().save(*args, **kwargs)

    def natural_key(self) -> tuple[str, str]:
        return (self.law.abbreviation, self.number)

    natural_key.dependencies = ["interventions.law"]

    @property
    def label(self) -> str:
        return f"{self.law.abbreviation} § {self.number}"

    @property
    def link(self) -> str:
        if self.url:
            return self.url
        return f"{self.law.url}#P{self.number}" if self.law.url else ""

    @staticmethod
    def parse_label(label: str) -> tuple[str, str]:
        """'SEL § 82 b' -> ('SEL', '82b'); ValueError for anything else."""
        match = _LABEL.match(label or "")
        if not match:
            raise ValueError(f"not a paragraph label like 'SEL § 85': {label!r}")
        return match.group(1), match.group(2).replace(" ", "")


class DatePrecision(models.TextChoices):
    YEAR = "year", _("år")
    MONTH = "month", _("måned")
    DAY = "day", _("dag")


def date_label(on: date | None, precision: str = DatePrecision.DAY) -> str:
    """A date as precisely as it is known, in the active language: "2016", "januar 2016",
    "30. november 2018"."""
    if on is None:
        return ""
    if precision == DatePrecision.YEAR:
        return str(on.year)
    if precision == DatePrecision.MONTH:
        return date_format(on, "F Y")
    return date_format(on)  # the language's own: "30. november 2018", "Nov. 30, 2018"


def choice_display(choices: type[models.Choices], value):
    """What Django's `get_FOO_display()` shows for a field with `choices=<choices>`: the label
    of `value` in the active language, or `value` itself when it is none of them. Django's
    builds a dict of all the choices and hashes every lazy label, so translates each of them
    (~50 us a call); the enum's own lookup finds the one."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


# --- Sources --------------------------------------------------------------------------------------


class SourceDocument(models.Model):
    key = models.SlugField(_("nøgle"), max_length=60, unique=True)
    title = models.CharField(_("titel"), max_length=250)
    publisher = models.CharField(_("udgiver"), max_length=200)
    year = models.PositiveSmallIntegerField(_("år"))
    file = models.CharField(
        _("kildefil"),
        max_length=100,
        blank=True,
        help_text=_("Tekstudgaven som linjehenvisninger peger i."),
    )
    description = models.TextField(_("beskrivelse"), blank=True)
    # The date of the information an entry holds until an owner confirms it (Intervention.
    # information_date): the first day of the month or year the document gives.
    published_on = models.DateField(
        _("udgivet"),
        help_text=_("Første dag i den måned eller det år, dokumentet angiver som udgivelse."),
    )
    published_precision = models.CharField(
        _("udgivelsesdatoens præcision"),
        max_length=5,
        choices=DatePrecision,
        default=DatePrecision.YEAR,
    )
    published_basis = models.CharField(
        _("hvor datoen står"),
        max_length=300,
        blank=True,
        help_text=_("Hvor i dokumentet udgivelsesdatoen står, fx 'Kolofon, linje 12'."),
    )
    short_name = models.CharField(
        _("kort navn"),
        max_length=120,
        help_text=_("Til sætninger som 'Oplysningerne stammer fra DASSOS' inspirationskatalog'."),
    )
    citation = models.TextField(_("henvisning"), blank=True)
    url = models.URLField(_("webadresse"), max_length=300, blank=True)
    isbn = models.CharField(_("ISBN"), max_length=20, blank=True)

    natural_key_field = "key"
    objects = NaturalKeyManager()

    class Meta:
        ordering = ["file", "key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=MIN_YEAR, year__lte=MAX_YEAR), name="source_year_plausible"
            ),
        ]
        verbose_name = _("kildedokument")
        verbose_name_plural = _("kildedokumenter")

    def __str__(self) -> str:
        return f"{self.publisher}: {self.title} ({self.year})"

    @property
    def published_label(self) -> str:
        """The publication date as precisely as the document gives it: "januar 2016", "2018"."""
        return date_label(self.published_on, self.published_precision)

    def natural_key(self) -> tuple[str]:
        return (self.key,)


class SectionKind(models.TextChoices):
    TEMA = "tema", _("Tema")
    SPOR = "spor", _("Spor")
    KLYNGE = "klynge", _("Klynge")
    GRUPPE = "gruppe", _("Gruppe")
    KAPITEL = "kapitel", _("Kapitel")
    OMRAADE = "omraade", _("Område")


class SourceSection(models.Model):
    """A part of a source that users browse by: a theme or track, a cluster, a group."""

    Kind = SectionKind

    source = models.ForeignKey(SourceDocument, on_delete=models.CASCADE, related_name="sections")
    code = models.SlugField(
        _("kode"), max_length=80, unique=True, help_text=_("Unik i hele kataloget, fx 'spor-4-1'.")
    )
    kind = models.CharField(_("type"), max_length=10, choices=SectionKind)
    name = models.CharField(_("navn"), max_length=250)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    order = models.PositiveSmallIntegerField(_("rækkefølge"), default=0)

    natural_key_field = "code"
    objects = NaturalKeyManager()

    class Meta:
        ordering = ["source", "order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SectionKind.values), name="section_kind_valid"
            ),
        ]
        verbose_name = _("afsnit i kilden")
        verbose_name_plural = _("afsnit i kilderne")

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class Guidance(models.Model):
    """A recommendation (001) or piece of advice (004): guidance, not an intervention."""

    source = models.ForeignKey(SourceDocument, on_delete=models.PROTECT, related_name="guidance")
    number = models.PositiveSmallIntegerField(_("nummer"))
    group = models.CharField(_("gruppe"), max_length=250, blank=True)
    title = models.CharField(_("titel"), max_length=300)
    text = models.TextField(_("tekst"))
    source_first_line = models.PositiveIntegerField(null=True, blank=True)
    source_last_line = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["source", "number"]
        constraints = [
            models.UniqueConstraint(fields=["source", "number"], name="unique_guidance_number"),
        ]
        verbose_name = _("anbefaling")
        verbose_name_plural = _("anbefalinger og gode råd")

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    def natural_key(self) -> tuple[str, int]:
        return (self.source.key, self.number)

    @property
    def text_after_title(self) -> str:
        """The text without the title it repeats: most sources' titles are the text's first
        sentence, or its start. What is left of a sentence the title cut goes on after "…"."""
        text, title = self.text.strip(), self.title.strip().rstrip(".:")
        if not title or not text.casefold().startswith(title.casefold()):
            return text
        rest = text[len(title) :].lstrip(" \t")
        if rest[:1] in (".", ":", ";", "!", "?"):  # the title was the whole first sentence
            return rest[1:].strip()
        if rest[:1] == "," or rest[:1].islower():  # the title stopped inside a sentence
            return "… " + rest.lstrip(", ").strip()
        return rest.strip()


# --- Interventions --------------------------------------------------------------------------------


class Section(NamedTuple):
    """One of the TIDieR-aligned text sections: its fixture key, model field and heading."""

    key: str
    field: str
    heading: str


TEXT_SECTIONS: tuple[Section, ...] = (
    Section("purpose", "purpose", _("Formål")),
    Section("background", "background", _("Baggrund og rationale")),
    Section("target_group", "target_group_text", _("Målgruppe")),
    Section("activities", "activities", _("Indhold og aktiviteter")),
    Section("organisation", "organisation_text", _("Aktører og organisering")),
    Section("outcomes", "outcomes", _("Betydning for borgerne")),
    Section("resources", "resources", _("Ressourcer og økonomi")),
    Section("collaboration", "collaboration", _("Samarbejdspartnere")),
    Section("evaluation", "evaluation", _("Erfaringer og evaluering")),
    Section("materials", "materials", _("Materialer")),
)


# Information older than this is stale: flagged on the cards, the entry's page and in the admin.
STALE_AFTER_MONTHS = 24
# A planned entry whose planned start lies this many years back is listed for editors to check.
PLANNED_START_OVERDUE_YEARS = 2


def today() -> date:
    """The current local date; the one clock freshness reads, so tests can pass their own."""
    return timezone.localdate()


def stale_cutoff(on: date | None = None) -> date:
    """Information dated before this is stale (24 months before `on`)."""
    on = on or today()
    year, month = divmod(on.year * 12 + on.month - 1 - STALE_AFTER_MONTHS, 12)
    # 29 February, 24 months back, is 28 February: clamp the day to the month's length.
    return date(year, month + 1, min(on.day, calendar.monthrange(year, month + 1)[1]))


# The columns a result card and its sort line read (`InterventionQuerySet.for_cards`); a card
# that reads another one costs a query per entry, which the query budgets catch.
CARD_FIELDS = (
    "slug",
    "title",
    "organisation",
    "summary",
    "status",
    "period_start",
    "period_end",
    "budget_dkk",
    "budget_note",
    "budget_kind",
    "budget_first_year",
    "budget_last_year",
    "budget_price_year",
    "last_confirmed_on",
    "updated_at",
    "source__published_on",
    "source__published_precision",
)


class InterventionQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug: str) -> Intervention:
        return self.get(slug=slug)

    def published(self) -> InterventionQuerySet:
        return self.filter(is_published=True)

    def with_information_date(self) -> InterventionQuerySet:
        """Annotated with `information_on`: the date of the information (Intervention.
        information_date), for sorting by the newest information."""
        return self.annotate(information_on=information_date_expression())

    def stale(self, on: date | None = None) -> InterventionQuerySet:
        """Entries whose information is more than 24 months older than `on` (default today):
        neither the source nor a confirmation is that recent."""
        return self.filter(_fresh_q(on, negate=True))

    def fresh(self, on: date | None = None) -> InterventionQuerySet:
        return self.filter(_fresh_q(on))

    def with_freshness(self, on: date | None = None) -> InterventionQuerySet:
        return self.annotate(freshness_bucket=freshness_expression(on))

    def needing_status_check(self, on: date | None = None) -> InterventionQuerySet:
        """Entries whose stated status cannot be true any more: running or planned while their
        own period has ended, or planned with a start years ago. Listed for editors."""
        year = (on or today()).year
        active = [Status.RUNNING, Status.PLANNED]
        return self.filter(
            Q(status__in=active, period_end__lt=year)
            | Q(status=Status.PLANNED, period_start__lte=year - PLANNED_START_OVERDUE_YEARS)
        )

    def for_cards(self, snippets: bool = False) -> InterventionQuerySet:
        """What a result card in the list needs of the entry itself (`cards.attach_cards` loads
        places and target groups for the cards it renders) and of its source (the information's
        age and the status as the source said), and what its sort line shows: only those
        columns, as building the entries is most of the query's cost; the text sections too for
        `snippets`."""
        texts = [section.field for section in TEXT_SECTIONS] if snippets else []
        return self.select_related("source").only(*CARD_FIELDS, *texts)

    def with_relations(self) -> InterventionQuerySet:
        """Everything a list card or an export row shows, in a constant number of queries."""
        return self.select_related("source", "source_section").prefetch_related(
            "municipalities",
            "regions",
            "target_groups",
            "policy_areas",
            "methods",
            "kkr_goals",
            models.Prefetch("legal_bases", queryset=legal_bases_in_order()),
            "contacts",
            models.Prefetch(
                "served", queryset=ServedMunicipality.objects.select_related("municipality")
            ),
            "confirmations",
            # Requests the owner left unanswered (ADR 0015), for `unanswered_request_on`.
            models.Prefetch(
                "confirmation_requests",
                queryset=ConfirmationRequest.objects.filter(status="no_answer"),
                to_attr="unanswered_requests",
            ),
        )


class Sector(models.TextChoices):
    KOMMUNAL = "kommunal", _("Kommunal")
    REGIONAL = "regional", _("Regional")
    TVAERSEKTORIEL = "tvaersektoriel", _("Tværsektoriel")
    CIVILSAMFUND = "civilsamfund", _("Civilsamfund")
    STATSLIG = "statslig", _("Statslig")


class Status(models.TextChoices):
    PLANNED = "planned", _("Planlagt")
    RUNNING = "running", _("I drift")
    ENDED = "ended", _("Afsluttet")
    PAUSED = "paused", _("Sat på pause")
    UNKNOWN = "unknown", _("Ukendt")


class Freshness(models.TextChoices):
    """How current an entry's information is; four buckets that never overlap (the facet
    "Aktualitet", the admin filter)."""

    CONFIRMED = "confirmed", _("Bekræftet inden for 2 år")
    RECENT_SOURCE = "recent_source", _("Kilden er under 2 år gammel, ikke bekræftet siden")
    CONFIRMED_LONG_AGO = "confirmed_long_ago", _("Ældre oplysninger, bekræftet for over 2 år siden")
    NEVER_CONFIRMED = "never_confirmed", _("Ældre oplysninger, aldrig bekræftet")


def information_date_expression() -> models.Expression:
    """Intervention.information_date in SQL: the later of the source's publication and the
    latest confirmation (SQLite's MAX() of a NULL is NULL, hence the Coalesce)."""
    published = models.F("source__published_on")
    return Greatest(published, Coalesce(models.F("last_confirmed_on"), published))


def budget_kind_order_expression() -> models.Expression:
    """The kinds of amount in BudgetKind's order, entries without an amount last: sorting by
    budget sorts within a kind, so a yearly sum is never ranked against a project's total."""
    return models.Case(
        *(
            models.When(budget_kind=kind, budget_dkk__isnull=False, then=models.Value(i))
            for i, kind in enumerate(BudgetKind.values)
        ),
        default=models.Value(len(BudgetKind.values)),
        output_field=models.IntegerField(),
    )


def _fresh_q(on: date | None, negate: bool = False) -> Q:
    cutoff = stale_cutoff(on)
    fresh = Q(last_confirmed_on__gte=cutoff) | Q(source__published_on__gte=cutoff)
    return ~fresh if negate else fresh


def freshness_expression(on: date | None = None) -> models.Expression:
    """Intervention.freshness in SQL: one Freshness value per entry."""
    cutoff = stale_cutoff(on)
    return models.Case(
        models.When(last_confirmed_on__gte=cutoff, then=models.Value(Freshness.CONFIRMED.value)),
        models.When(
            source__published_on__gte=cutoff, then=models.Value(Freshness.RECENT_SOURCE.value)
        ),
        models.When(
            last_confirmed_on__isnull=False,
            then=models.Value(Freshness.CONFIRMED_LONG_AGO.value),
        ),
        default=models.Value(Freshness.NEVER_CONFIRMED.value),
        output_field=models.CharField(),
    )


class BudgetKind(models.TextChoices):
    """What an amount is: amounts of different kinds are never compared with each other."""

    PER_YEAR = "per_year", _("Årligt beløb")
    PERIOD_TOTAL = "period_total", _("Samlet beløb for en periode")
    PER_UNIT = "per_unit", _("Pr. deltager eller forløb")
    CONSTRUCTION = "construction", _("Anlægsbudget")


class EvaluationLevel(models.TextChoices):
    NONE_KNOWN = "none_known", _("Ingen kendt evaluering")
    INTERNAL = "internal", _("Intern opfølgning")
    EXTERNAL = "external", _("Ekstern evaluering")
    EFFECT_STUDY = "effect_study", _("Effektstudie")


class Intervention(models.Model):
    BudgetKind = BudgetKind
    Sector = Sector
    Status = Status
    EvaluationLevel = EvaluationLevel
    Freshness = Freshness

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(_("titel"), max_length=250)
    alternative_titles = models.JSONField(
        _("alternative titler"),
        default=list,
        blank=True,
        help_text=_("Andre titler kilden bruger; søgningen finder dem."),
    )
    summary = models.TextField(_("resumé"), help_text=_("1-3 sætninger i klart sprog."))

    source = models.ForeignKey(
        SourceDocument, on_delete=models.PROTECT, related_name="interventions"
    )
    locator = models.CharField(
        _("placering i kilden"), max_length=250, help_text=_("Fx 'nr. 12' eller 'Initiativ 1.3.2'.")
    )
    source_first_line = models.PositiveIntegerField(
        _("første linje i kilden"), null=True, blank=True
    )
    source_last_line = models.PositiveIntegerField(
        _("sidste linje i kilden"), null=True, blank=True
    )
    source_section = models.ForeignKey(
        SourceSection,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interventions",
        verbose_name=_("afsnit i kilden"),
    )

    sector = models.CharField(_("sektor"), max_length=20, choices=Sector)
    organisation = models.CharField(
        _("organisation"), max_length=250, help_text=_("Ejeren, som kilden skriver den.")
    )
    municipalities = models.ManyToManyField(
        Municipality,
        blank=True,
        related_name="interventions",
        verbose_name=_("kommuner"),
        help_text=_("Kommuner der driver eller er med til at drive indsatsen."),
    )
    served_municipalities = models.ManyToManyField(
        Municipality,
        through="ServedMunicipality",
        blank=True,
        related_name="served_by",
        verbose_name=_("betjente kommuner"),
        help_text=_("Kommuner hvis borgere indsatsen dækker uden at kommunen driver den."),
    )
    regions = models.ManyToManyField(
        Region,
        blank=True,
        related_name="interventions",
        verbose_name=_("regioner"),
        help_text=_("Regioner der deltager (fx regionspsykiatrien)."),
    )
    target_groups = models.ManyToManyField(
        TargetGroup, related_name="interventions", verbose_name=_("målgrupper")
    )
    policy_areas = models.ManyToManyField(
        PolicyArea, blank=True, related_name="interventions", verbose_name=_("fagområder")
    )
    kkr_goals = models.ManyToManyField(
        KKRGoal, blank=True, related_name="interventions", verbose_name=_("KKR-målsætninger")
    )
    legal_paragraphs = models.ManyToManyField(
        LegalParagraph,
        through="LegalBasis",
        blank=True,
        related_name="interventions",
        verbose_name=_("lovgrundlag"),
    )
    methods = models.ManyToManyField(
        Method, blank=True, related_name="interventions", verbose_name=_("metoder")
    )
    related = models.ManyToManyField(
        "self", blank=True, symmetrical=True, verbose_name=_("relaterede indsatser")
    )

    period_start = models.PositiveSmallIntegerField(
        _("startår"), null=True, blank=True, validators=[validate_year]
    )
    period_end = models.PositiveSmallIntegerField(
        _("slutår"), null=True, blank=True, validators=[validate_year]
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.UNKNOWN)
    budget_dkk = models.PositiveBigIntegerField(
        _("budget (kr.)"), null=True, blank=True, help_text=_("Kun et beløb kilden oplyser.")
    )
    budget_note = models.CharField(_("hvad beløbet dækker"), max_length=300, blank=True)
    budget_kind = models.CharField(
        _("beløbets art"),
        max_length=15,
        choices=BudgetKind,
        blank=True,
        help_text=_("Hvad beløbet er; beløb af forskellig art sammenlignes ikke."),
    )
    budget_first_year = models.PositiveSmallIntegerField(
        _("beløbet gælder fra år"),
        null=True,
        blank=True,
        validators=[validate_year],
        help_text=_("Året eller periodens første år, som kilden angiver det."),
    )
    budget_last_year = models.PositiveSmallIntegerField(
        _("beløbet gælder til år"), null=True, blank=True, validators=[validate_year]
    )
    budget_price_year = models.PositiveSmallIntegerField(
        _("prisår"),
        null=True,
        blank=True,
        validators=[validate_year],
        help_text=_("Kun hvis kilden siger, hvilket års priser beløbet er i."),
    )
    funding_source = models.CharField(_("finansiering"), max_length=250, blank=True)
    evaluation_level = models.CharField(
        _("evalueringsniveau"),
        max_length=15,
        choices=EvaluationLevel,
        default=EvaluationLevel.NONE_KNOWN,
    )

    purpose = models.TextField(_("formål"), blank=True)
    background = models.TextField(_("baggrund og rationale"), blank=True)
    target_group_text = models.TextField(_("målgruppe (tekst)"), blank=True)
    activities = models.TextField(_("indhold og aktiviteter"), blank=True)
    organisation_text = models.TextField(_("aktører og organisering"), blank=True)
    outcomes = models.TextField(_("betydning for borgerne"), blank=True)
    resources = models.TextField(_("ressourcer og økonomi"), blank=True)
    collaboration = models.TextField(_("samarbejdspartnere"), blank=True)
    evaluation = models.TextField(_("erfaringer og evaluering"), blank=True)
    materials = models.TextField(_("materialer"), blank=True)

    editorial_note = models.TextField(
        _("intern note"),
        blank=True,
        help_text=_("Til redaktionen: kildehenvisninger, valg og tvivl. Vises aldrig offentligt."),
    )
    public_note = models.TextField(
        _("offentlig note"),
        blank=True,
        help_text=_("En bemærkning til læserne, fx at kilden er uklar om perioden."),
    )
    is_published = models.BooleanField(_("offentliggjort"), default=True)
    reviewed_on = models.DateField(
        _("gennemgået mod kilden"),
        null=True,
        blank=True,
        help_text=_(
            "Dagen redaktionen sidst gennemgik indsatsen mod kildedokumentet. Det er ikke en "
            "bekræftelse: kun ejeren eller en redaktør efter kontakt kan bekræfte oplysningerne."
        ),
    )
    last_confirmed_on = models.DateField(
        _("senest bekræftet"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Datoen for den seneste bekræftelse; vedligeholdes ud fra bekræftelserne."),
    )
    responsible_editor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responsible_for",
        verbose_name=_("ansvarlig redaktør"),
        help_text=_("Den redaktør der holder indsatsen ajour."),
    )
    search_document = models.TextField(
        editable=False, blank=True, help_text=_("Normaliseret søgetekst, vedligeholdes automatisk.")
    )
    # The title and the metadata on their own, so the search can rank a match there higher.
    search_title = models.TextField(editable=False, blank=True)
    search_meta = models.TextField(editable=False, blank=True)
    loaded_checksum = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text=_(
            "Kontrolsum af indsatsens indhold lige efter sidste indlæsning; afviger indholdet nu, "
            "er indsatsen redigeret siden (tom: ikke indlæst fra fixtures)."
        ),
    )
    edit_version = models.PositiveIntegerField(
        _("version"),
        default=0,
        editable=False,
        help_text=_(
            "Tælles op ved hver ændring af indsatsen, dens kontaktpersoner, lovgrundlag og "
            "koblinger; redigeringsformularen afviser at gemme oven i en ændring, den ikke har set."
        ),
    )
    created_at = models.DateTimeField(_("oprettet"), auto_now_add=True)
    updated_at = models.DateTimeField(_("opdateret"), auto_now=True)

    objects = InterventionQuerySet.as_manager()
    # Who changed what and when; the vocabulary links are snapshotted with every record.
    history = HistoricalRecords(
        m2m_fields=[
            municipalities,
            regions,
            target_groups,
            policy_areas,
            kkr_goals,
            methods,
            related,
        ],
        excluded_fields=[
            "search_document",
            "search_title",
            "search_meta",
            "loaded_checksum",
            "last_confirmed_on",  # follows the confirmations, which have a history of their own
            # Bookkeeping, not content: a restored version must not bring its old number back.
            "edit_version",
        ],
    )

    class Meta:
        ordering = ["title", "slug"]
        permissions = [("publish_intervention", _("Kan offentliggøre og tilbagetrække indsatser"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(sector__in=Sector.values), name="intervention_sector_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="intervention_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(evaluation_level__in=EvaluationLevel.values),
                name="intervention_evaluation_level_valid",
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_start__lte=models.F("period_end")),
                name="intervention_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_start__gte=MIN_YEAR, period_start__lte=MAX_YEAR),
                name="intervention_period_start_plausible",
            ),
            models.CheckConstraint(
                condition=Q(period_end__isnull=True)
                | Q(period_end__gte=MIN_YEAR, period_end__lte=MAX_YEAR),
                name="intervention_period_end_plausible",
            ),
            models.CheckConstraint(
                condition=Q(budget_dkk__isnull=True) | Q(budget_dkk__gte=0),
                name="intervention_budget_non_negative",
            ),
            # No kind, period or price year without an amount. (An amount without a kind is
            # refused by the entry rules, not here: rows from before the kinds existed have none
            # until the catalogue is loaded again.)
            models.CheckConstraint(
                condition=Q(budget_kind="")
                | Q(budget_dkk__isnull=False, budget_kind__in=BudgetKind.values),
                name="intervention_budget_kind_with_amount",
            ),
            models.CheckConstraint(
                condition=Q(budget_dkk__isnull=False)
                | Q(
                    budget_first_year__isnull=True,
                    budget_last_year__isnull=True,
                    budget_price_year__isnull=True,
                ),
                name="intervention_budget_years_with_amount",
            ),
            models.CheckConstraint(
                condition=Q(budget_first_year__isnull=True)
                | Q(budget_last_year__isnull=True)
                | Q(budget_first_year__lte=models.F("budget_last_year")),
                name="intervention_budget_years_ordered",
            ),
            models.CheckConstraint(
                condition=Q(source_first_line__isnull=True)
                | Q(source_last_line__isnull=True)
                | Q(source_first_line__lte=models.F("source_last_line")),
                name="intervention_source_lines_ordered",
            ),
            models.CheckConstraint(condition=~Q(slug=""), name="intervention_slug_not_empty"),
            models.CheckConstraint(condition=~Q(title=""), name="intervention_title_not_empty"),
        ]
        indexes = [models.Index(fields=["is_published", "title"])]
        verbose_name = _("indsats")
        verbose_name_plural = _("indsatser")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        """Save; the edit version goes up by one, and the search texts follow the new content.

        The version is raised in the database (`edit_version = edit_version + 1`), so two saves
        never both write the same number; it is read back from the database when next asked for.
        """
        update_fields = kwargs.get("update_fields")
        if (
            not self._state.adding
            and self.pk is not None
            and (update_fields is None or update_fields)
        ):
            self.edit_version = models.F("edit_version") + 1
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "edit_version"}
        super().save(*args, **kwargs)
        if hasattr(self.__dict__.get("edit_version"), "resolve_expression"):
            del self.__dict__["edit_version"]  # deferred: loaded again on first use

    def get_absolute_url(self) -> str:
        return reverse("interventions:detail", kwargs={"slug": self.slug})

    # Django's own, as `choice_display` computes it (the entry page shows all three).
    def get_sector_display(self) -> str:
        return choice_display(Sector, self.sector)

    def get_status_display(self) -> str:
        return choice_display(Status, self.status)

    def get_evaluation_level_display(self) -> str:
        return choice_display(EvaluationLevel, self.evaluation_level)

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def clean(self) -> None:
        """The rules of a valid entry that the database cannot state (curation/schema.py: the
        same rules the fixture loader and the intake apply)."""
        others = Intervention.objects.exclude(pk=self.pk)
        if self.pk is not None:
            others = others.exclude(pk__in=self.related.values("pk"))
        has_twin = bool(
            self.title
            and self.organisation
            and schema.twins(others, self.title, self.organisation).exists()
        )
        breaches = schema.entry_rule_breaches(
            period_start=self.period_start,
            period_end=self.period_end,
            budget_dkk=self.budget_dkk,
            budget_note=self.budget_note,
            budget_kind=self.budget_kind,
            budget_years=(self.budget_first_year, self.budget_last_year, self.budget_price_year),
            title=self.title,
            organisation=self.organisation,
            has_twin=has_twin,
        )
        errors: dict[str, list] = {}
        for breach in breaches:
            errors.setdefault(breach.field, []).append(breach.message(schema.DANISH_RULES))
        if errors:
            raise ValidationError(errors)

    # --- The age of the information (ADR 0012) ---

    @property
    def information_date(self) -> date:
        """The date of the information: the source's publication or the latest confirmation,
        whichever is later. Never the day the entry was loaded or reviewed."""
        published = self.source.published_on
        confirmed = self.last_confirmed_on
        return max(published, confirmed) if confirmed else published

    @property
    def is_confirmed(self) -> bool:
        """Whether an owner or an editor after contact has ever confirmed the entry."""
        return self.last_confirmed_on is not None

    @property
    def information_is_confirmation(self) -> bool:
        """Whether the information dates from a confirmation rather than from the source."""
        return self.is_confirmed and self.last_confirmed_on >= self.source.published_on

    def latest_confirmation(self) -> Confirmation | None:
        """The latest confirmation (uses prefetched confirmations when there are any)."""
        confirmations = list(self.confirmations.all())
        return max(confirmations, key=lambda c: (c.confirmed_on, c.pk), default=None)

    @property
    def unanswered_request_on(self) -> date | None:
        """The day the owner was last asked to confirm the entry without answering (a request
        closed as no answer, ADR 0015) since the latest confirmation; None when there is none.
        Never a confirmation: the freshness does not change. Uses with_relations()' prefetch."""
        requests = getattr(self, "unanswered_requests", None)
        if requests is None:
            requests = self.confirmation_requests.filter(status="no_answer")
        asked = (timezone.localdate(r.created_at) for r in requests)
        return max(
            (d for d in asked if not self.last_confirmed_on or d > self.last_confirmed_on),
            default=None,
        )

    def is_stale_on(self, on: date | None = None) -> bool:
        return self.information_date < stale_cutoff(on)

    @property
    def is_stale(self) -> bool:
        """The information is more than 24 months old: shown on the card and the page."""
        return self.is_stale_on()

    def freshness_on(self, on: date | None = None) -> Freshness:
        """The same bucket as freshness_expression() computes in SQL."""
        cutoff = stale_cutoff(on)
        if self.last_confirmed_on and self.last_confirmed_on >= cutoff:
            return Freshness.CONFIRMED
        if self.source.published_on >= cutoff:
            return Freshness.RECENT_SOURCE
        if self.last_confirmed_on:
            return Freshness.CONFIRMED_LONG_AGO
        return Freshness.NEVER_CONFIRMED

    @property
    def freshness(self) -> Freshness:
        return self.freshness_on()

    @property
    def information_year(self) -> int:
        return self.information_date.year

    def period_ended_while_active_on(self, on: date | None = None) -> bool:
        """The entry says it runs or is planned, but its own period ended before this year."""
        year = (on or today()).year
        return (
            self.status in (Status.RUNNING, Status.PLANNED)
            and self.period_end is not None
            and self.period_end < year
        )

    @property
    def period_ended_while_active(self) -> bool:
        return self.period_ended_while_active_on()

    @property
    def status_as_stated(self) -> str:
        """The status as the information says it, with its age: "I drift ifølge kilden (2016)",
        "I drift, bekræftet 2026", or "Ukendt — perioden sluttede 2018" when the stated status
        cannot be true any more."""
        if self.period_ended_while_active:
            return _("Ukendt — perioden sluttede %(year)s") % {"year": self.period_end}
        status = self.get_status_display()
        if self.status == Status.UNKNOWN:
            return status
        if self.information_is_confirmation:
            return _("%(status)s, bekræftet %(year)s") % {
                "status": status,
                "year": self.last_confirmed_on.year,
            }
        return _("%(status)s ifølge kilden (%(year)s)") % {
            "status": status,
            "year": self.source.published_on.year,
        }

    @property
    def period_label(self) -> str:
        """The period as years: "2016–2018", "2016–", "–2018", "2016"; "" when none is given."""
        start, end = self.period_start, self.period_end
        if start and end:
            return str(start) if start == end else f"{start}–{end}"
        if start:
            return f"{start}–"
        return f"–{end}" if end else ""

    @property
    def budget_years_label(self) -> str:
        """The years the amount is for: "2016", "2014–2018"; "" when the source gives none."""
        first, last = self.budget_first_year, self.budget_last_year
        if first and last and first != last:
            return f"{first}–{last}"
        return str(first or last or "")

    @property
    def budget_label(self) -> str:
        """The amount with what it is, so that no one compares a yearly sum with a project's
        total: "5.900.000 kr. om året (2016)", "9.390.742 kr. i alt for 2014–2018",
        "63.000 kr. pr. deltager eller forløb", "6.200.000 kr. til anlæg"; "" without one."""
        if self.budget_dkk is None:
            return ""
        amount = _("%(amount)s kr.") % {"amount": intcomma(self.budget_dkk)}
        years = self.budget_years_label
        wording = {
            BudgetKind.PER_YEAR: _("%(amount)s om året"),
            BudgetKind.PERIOD_TOTAL: _("%(amount)s i alt"),
            BudgetKind.PER_UNIT: _("%(amount)s pr. deltager eller forløb"),
            BudgetKind.CONSTRUCTION: _("%(amount)s til anlæg"),
        }.get(self.budget_kind, "%(amount)s")
        label = wording % {"amount": amount}
        if years:
            label = (
                _("%(label)s for %(years)s")
                if self.budget_kind == BudgetKind.PERIOD_TOTAL
                else _("%(label)s (%(years)s)")
            ) % {"label": label, "years": years}
        if self.budget_price_year:
            label = _("%(label)s, %(year)s-priser") % {
                "label": label,
                "year": self.budget_price_year,
            }
        return label

    @property
    def according_to_source(self) -> str:
        """What a stated fact (period, budget, contacts) rests on until the information dates
        from a confirmation: "ifølge kilden (2016)"; "" once the owner has confirmed it."""
        if self.information_is_confirmation:
            return ""
        return _("ifølge kilden (%(year)s)") % {"year": self.source.published_on.year}

    @property
    def contacts_heading(self) -> str:
        """The contacts' heading with their age, "Kontakt ifølge kilden (2016)" or "Kontakt,
        bekræftet 2026": a 2016 e-mail address is not shown as today's."""
        if self.information_is_confirmation:
            return _("Kontakt, bekræftet %(year)s") % {"year": self.last_confirmed_on.year}
        return _("Kontakt ifølge kilden (%(year)s)") % {"year": self.source.published_on.year}

    @property
    def contact_people(self) -> list[Contact]:
        """The people to contact about the entry (uses the prefetched contacts)."""
        return [c for c in self.contacts.all() if c.kind == ContactKind.CONTACT]

    @property
    def meeting_participants(self) -> list[Contact]:
        """People the source met about the entry: named, never offered as contacts."""
        return [c for c in self.contacts.all() if c.kind == ContactKind.MEETING_PARTICIPANT]

    def text_sections(self) -> list[tuple[Section, str]]:
        """The filled text sections in display order."""
        return [(s, text) for s in TEXT_SECTIONS if (text := getattr(self, s.field))]

    @property
    def display_title(self) -> str:
        """Title with the owner, so repeated titles ("FACT") can be told apart in a list."""
        return f"{self.title} ({self.organisation})" if self.organisation else self.title


def legal_bases_in_order() -> models.QuerySet:
    """Legal bases as entries list them: those the source states first, then by law and number."""
    return LegalBasis.objects.select_related("paragraph__law").order_by(
        "-stated_in_source",
        "paragraph__law__abbreviation",
        "paragraph__number_value",
        "paragraph__number_suffix",
    )


class LegalBasis(models.Model):
    """An intervention's legal paragraph; stated by the source or assigned by an editor."""

    intervention = models.ForeignKey(
        Intervention, on_delete=models.CASCADE, related_name="legal_bases"
    )
    paragraph = models.ForeignKey(
        LegalParagraph, on_delete=models.PROTECT, related_name="legal_bases"
    )
    stated_in_source = models.BooleanField(
        _("angivet i kilden"),
        default=True,
        help_text=_("Fra: kilden nævner paragraffen. Ellers er den tilføjet af en redaktør."),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-stated_in_source", "paragraph__law__abbreviation", "paragraph__number_value"]
        constraints = [
            models.UniqueConstraint(
                fields=["intervention", "paragraph"], name="unique_legal_basis"
            ),
        ]
        verbose_name = _("lovgrundlag")
        verbose_name_plural = _("lovgrundlag")

    def __str__(self) -> str:
        return self.paragraph.label


class ContactKind(models.TextChoices):
    CONTACT = "contact", _("Kontaktperson")
    # The 2018 source lists the people its authors met on municipal visits (seed 001, Bilag A):
    # someone who was in a meeting, not someone who answers questions about the entry.
    MEETING_PARTICIPANT = "meeting_participant", _("Deltog i kildens møde med kommunen")


class Contact(models.Model):
    Kind = ContactKind

    intervention = models.ForeignKey(
        Intervention, on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("navn"), max_length=200)
    role = models.CharField(_("rolle"), max_length=250, blank=True)
    organisation = models.CharField(_("organisation"), max_length=250, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, validators=[validate_lower_case_email])
    phone = models.CharField(
        _("telefon"),
        max_length=40,
        blank=True,
        validators=[validate_danish_phone],
        help_text=_("8 cifre, evt. med +45, fx 76 29 00 00."),
    )
    kind = models.CharField(
        _("art"), max_length=20, choices=ContactKind, default=ContactKind.CONTACT
    )
    order = models.PositiveSmallIntegerField(_("rækkefølge"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="contact_email_lowercase"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="contact_name_not_empty"),
            models.CheckConstraint(
                condition=Q(kind__in=ContactKind.values), name="contact_kind_valid"
            ),
        ]
        verbose_name = _("kontaktperson")
        verbose_name_plural = _("kontaktpersoner")

    def __str__(self) -> str:
        return self.name


class ServedBasis(models.TextChoices):
    SOURCE = "source", _("Angivet i kilden")
    EDITORS = "editors", _("Redaktionens vurdering")


class ServedMunicipality(models.Model):
    """A municipality whose citizens an entry serves without running it (a regional team that
    covers three municipalities), and on what basis: the source says so, or the editors infer it."""

    Basis = ServedBasis

    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="served")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="served_entries"
    )
    basis = models.CharField(
        _("grundlag"), max_length=10, choices=ServedBasis, default=ServedBasis.SOURCE
    )
    source_first_line = models.PositiveIntegerField(_("første kildelinje"), null=True, blank=True)
    source_last_line = models.PositiveIntegerField(_("sidste kildelinje"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["municipality__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["intervention", "municipality"], name="unique_served_municipality"
            ),
            models.CheckConstraint(
                condition=Q(basis__in=ServedBasis.values), name="served_basis_valid"
            ),
        ]
        verbose_name = _("betjent kommune")
        verbose_name_plural = _("betjente kommuner")

    def __str__(self) -> str:
        return self.municipality.name


class ConfirmationMethod(models.TextChoices):
    EMAIL = "email", _("E-mail")
    TELEPHONE = "telephone", _("Telefon")
    LINK = "link", _("Bekræftelseslink")
    INTAKE_FORM = "intake_form", _("Ejerens eget indberetningsskema")
    MEETING = "meeting", _("Møde")


class Confirmation(models.Model):
    """The owner (or an editor after contacting the owner) confirmed that the entry is correct:
    who, when and how. A history of confirmations, never one overwritten date."""

    Method = ConfirmationMethod

    intervention = models.ForeignKey(
        Intervention, on_delete=models.CASCADE, related_name="confirmations"
    )
    confirmed_on = models.DateField(_("bekræftet den"))
    confirmed_by = models.CharField(
        _("bekræftet af"),
        max_length=250,
        help_text=_("Ejeren og evt. personen, fx 'Aarhus Kommune, Socialforvaltningen'."),
    )
    method = models.CharField(_("hvordan"), max_length=20, choices=ConfirmationMethod)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registreret af"),
    )
    recorded_at = models.DateTimeField(_("registreret"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-confirmed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(method__in=ConfirmationMethod.values), name="confirmation_method_valid"
            ),
            models.CheckConstraint(condition=~Q(confirmed_by=""), name="confirmation_by_not_empty"),
        ]
        verbose_name = _("bekræftelse")
        verbose_name_plural = _("bekræftelser")

    def __str__(self) -> str:
        return f"{self.confirmed_by}, {self.confirmed_on:%d.%m.%Y}"

    def get_method_display(self) -> str:  # Django's, as `choice_display` computes it
        return choice_display(ConfirmationMethod, self.method)

    def clean(self) -> None:
        problems = confirmation_date_problems(
            self.confirmed_on,
            source_published_on=(
                self.intervention.source.published_on
                if self.intervention_id and self.intervention.source_id
                else None
            ),
        )
        if problems:
            raise ValidationError({"confirmed_on": problems})


def confirmation_date_problems(
    confirmed_on: date | None, *, source_published_on: date | None, on: date | None = None
) -> list[str]:
    """Why a confirmation date cannot be right (in the active language); [] if it can. Used by
    the admin (Confirmation.clean) and the fixture check."""
    if confirmed_on is None:
        return []
    if confirmed_on > (on or today()):
        return [_("En bekræftelse kan ikke ligge i fremtiden.")]
    if source_published_on and confirmed_on < source_published_on:
        return [
            _("Bekræftelsen (%(confirmed)s) ligger før kilden blev udgivet (%(published)s).")
            % {
                "confirmed": date_format(confirmed_on, "j. F Y"),
                "published": date_format(source_published_on, "j. F Y"),
            }
        ]
    return []


def refresh_last_confirmed(intervention_ids) -> None:
    """Set each entry's last_confirmed_on from its confirmations (after one is saved or deleted,
    and after a load); an update, so no edit version or history record is spent on it."""
    for pk in set(intervention_ids):
        latest = (
            Confirmation.objects.filter(intervention_id=pk)
            .order_by("-confirmed_on")
            .values_list("confirmed_on", flat=True)
            .first()
        )
        Intervention.objects.filter(pk=pk).exclude(last_confirmed_on=latest).update(
            last_confirmed_on=latest
        )


class SearchWord(models.Model):
    """Every word of every entry's search document, each once: the search's vocabulary, with the
    number of published entries that have it.

    On PostgreSQL a query's stem is looked up here ("misbrug" -> misbrug, misbrugere,
    alkoholmisbrug ...) and the entries are found through a GIN index over their words, instead of
    a LIKE over 100,000 long texts (see `search.WordsMatch`). Words are added as texts change and
    never removed: a word no entry has any more matches nothing, and counts 0.

    `entries` is what the typo lexicon reads (search/hints.py) instead of every published entry's
    words (16 s at 100,000 entries, ADR 0011). It is moved in the same transaction as the
    `SearchEntry` rows it counts (`SearchEntry.store`, `discard`, `follow_publication`), so it
    always equals a count over those rows; `recount()` makes it so from scratch.
    """

    word = models.TextField(unique=True)
    entries = models.PositiveIntegerField(
        default=0, help_text=_("Antal offentliggjorte indsatser hvis søgetekst har ordet.")
    )

    class Meta:
        verbose_name = _("søgeord")
        verbose_name_plural = _("søgeord")

    def __str__(self) -> str:
        return self.word

    @classmethod
    def count(cls, changes: Counter, known=()) -> None:
        """Add `changes` (word -> entries more or fewer) to the words' counts, and store the
        `known` words not stored yet (the words of an unpublished entry count 0)."""
        with transaction.atomic():
            cls._count(changes, known)

    @classmethod
    def _count(cls, changes: Counter, known) -> None:
        moved = sorted((w, n) for w, n in changes.items() if n)
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            if connection.features.has_select_for_update:
                # The stored words first, locked in word order: two transactions that move the
                # same words never wait for each other in opposite orders (SQLite has one
                # writer).
                for rows, params in _moved_rows(moved):
                    cursor.execute(
                        f"SELECT {table}.id FROM {table} JOIN ({rows}) AS moved ON "
                        f"{table}.word = moved.word ORDER BY {table}.word FOR UPDATE OF {table}",
                        params,
                    )
            for rows, params in _moved_rows([(w, n) for w, n in moved if n > 0]):
                cursor.execute(
                    f"INSERT INTO {table} (word, entries) SELECT word, n FROM ({rows}) AS moved "
                    f"WHERE true ON CONFLICT (word) DO UPDATE SET entries = {table}.entries"
                    " + excluded.entries",
                    params,
                )
            # Fewer: the words are stored (they were counted), and a row inserted with a count
            # below 0 would fail the check before the conflict turns it into an update. Never
            # below 0: the counts only steer typo corrections, and a count that drifted (a row
            # changed by hand; `refresh_search` recounts) must not fail an editor's save.
            for rows, params in _moved_rows([(w, -n) for w, n in moved if n < 0]):
                cursor.execute(
                    f"UPDATE {table} SET entries = CASE WHEN {table}.entries > moved.n THEN "
                    f"{table}.entries - moved.n ELSE 0 END FROM ({rows}) AS moved "
                    f"WHERE {table}.word = moved.word",
                    params,
                )
        unmoved = sorted(set(known) - {w for w, _n in moved})
        if unmoved:
            cls.objects.bulk_create(
                [cls(word=w) for w in unmoved], ignore_conflicts=True, batch_size=2000
            )

    @classmethod
    def recount(cls) -> None:
        """Count every word anew from the `SearchEntry` rows (a migration, a restore, the
        `refresh_search` command): one pass over every entry's words."""
        counted: Counter = Counter()
        rows = SearchEntry.objects.values_list("words", "published").order_by()
        for words, published in rows.iterator(chunk_size=2000):
            split = words.split()
            counted.update(split if published else dict.fromkeys(split, 0))
        with transaction.atomic():
            cls.objects.exclude(entries=0).update(entries=0)
            cls.objects.bulk_create(
                [cls(word=w, entries=n) for w, n in sorted(counted.items())],
                update_conflicts=True,
                unique_fields=["word"],
                update_fields=["entries"],
                batch_size=2000,
            )


# Words of one counting statement: a UNION ALL of rows (SQLite allows 500 in one compound).
WORDS_PER_STATEMENT = 400


def _moved_rows(moved: list[tuple[str, int]]):
    """(word, n) pairs as a table of rows (word, n) in SQL, WORDS_PER_STATEMENT at a time, with
    its parameters. Joined, not `word IN (...)`: PostgreSQL plans a list of hundreds of words
    through the words' trigram index (10 s for 452 words at 100,000 entries, 17 ms joined)."""
    for start in range(0, len(moved), WORDS_PER_STATEMENT):
        batch = moved[start : start + WORDS_PER_STATEMENT]
        rows = " UNION ALL ".join(["SELECT %s AS word, %s AS n"] * len(batch))
        yield rows, [value for row in batch for value in row]


# Every entry's search texts into `SearchEntry` and `SearchEntryText`: the same SQL on SQLite and
# PostgreSQL, used by `SearchEntry.rebuild`.
COPY_SEARCH_TEXTS = (
    "INSERT INTO interventions_searchentry (intervention_id, words, published) "
    "SELECT id, search_document, is_published FROM interventions_intervention",
    "INSERT INTO interventions_searchentrytext (intervention_id, title, meta) "
    "SELECT id, search_title, search_meta FROM interventions_intervention",
)


def _counted(words: str, published: bool) -> Counter:
    return Counter(words.split()) if published else Counter()


class SearchEntry(models.Model):
    """An entry's search texts again, in a narrow row of their own: what a search's lookup reads.

    The entries' own rows are wide (3.5 kB each at 100,000 entries): a broad word's lookup read
    every matching row from the heap to find its ids and send its title and metadata (757 ms of a
    1.5 s search for "brug", ADR 0011). Here the words are kept out of line (on PostgreSQL a GIN
    index over them, as over the entries' own) and the title and metadata in a table of their own
    (`SearchEntryText`), so the ids lookup reads ~130 bytes a row. The search keeps the published
    ids per catalogue version (`search.query`); `published` here is what the words' counts
    (`SearchWord.entries`) were counted from, and moves with them.

    Written in one place, `store()`, with the entries' texts and their `SearchEntryText` rows
    (search/documents.py, and the bench's bulk load); its publication follows the entry's
    (`follow_publication`, on every save); removed with the entry (`discard`, before the delete);
    not in backups (derived data: `restore` rebuilds it).
    """

    intervention = models.OneToOneField(
        Intervention, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    words = models.TextField(help_text=_("Indsatsens søgetekst (search_document)."))
    published = models.BooleanField(
        default=True,
        help_text=_("Om indsatsen er offentliggjort; søgeordenes antal er talt herfra."),
    )

    class Meta:
        verbose_name = _("søgetekst")
        verbose_name_plural = _("søgetekster")

    def __str__(self) -> str:
        return str(self.intervention_id)

    @classmethod
    def _locked(cls, pks) -> dict[int, tuple[str, bool]]:
        """The rows of these entries as they are, locked to the end of the transaction (on
        PostgreSQL: another writer of the same entries waits, then reads what this one wrote)."""
        pks, found = list(pks), {}
        for start in range(0, len(pks), ROWS_PER_READ):
            rows = cls.objects.select_for_update().filter(
                intervention_id__in=pks[start : start + ROWS_PER_READ]
            )
            for pk, words, published in rows.values_list("intervention_id", "words", "published"):
                found[pk] = (words, published)
        return found

    @classmethod
    def store(cls, entries) -> None:
        """Write these entries' current search texts and publication (one upsert per 2,000
        entries), and move the words' counts from what the rows said to what they say now."""
        entries = list(entries)
        if not entries:
            return
        with transaction.atomic():
            changes: Counter = Counter()
            for words, published in cls._locked(e.pk for e in entries).values():
                changes.subtract(_counted(words, published))
            known = set()
            for e in entries:
                changes.update(_counted(e.search_document, e.is_published))
                known.update(e.search_document.split())
            _upsert(
                [
                    cls(intervention_id=e.pk, words=e.search_document, published=e.is_published)
                    for e in entries
                ],
                ["words", "published"],
            )
            _upsert(
                [
                    SearchEntryText(intervention_id=e.pk, title=e.search_title, meta=e.search_meta)
                    for e in entries
                ],
                ["title", "meta"],
            )
            SearchWord.count(changes, known)

    @classmethod
    def follow_publication(cls, pk: int, published: bool) -> None:
        """The entry was saved published or not: if its row says otherwise, its words count one
        entry more or fewer. (No row yet: `store` writes it with the entry's texts.)"""
        with transaction.atomic():
            row = cls._locked([pk]).get(pk)
            if row is None or row[1] == published:
                return
            cls.objects.filter(intervention_id=pk).update(published=published)
            moved = Counter(row[0].split())
            SearchWord.count(moved if published else Counter({w: -n for w, n in moved.items()}))

    @classmethod
    def discard(cls, pks) -> None:
        """Remove these entries' rows (their entries are being deleted): their words count them
        no more."""
        pks = list(pks)
        with transaction.atomic():
            changes: Counter = Counter()
            for words, published in cls._locked(pks).values():
                changes.subtract(_counted(words, published))
            cls.objects.filter(intervention_id__in=pks).delete()
            SearchWord.count(changes)

    @classmethod
    def rebuild(cls) -> None:
        """Copy every entry's search texts and publication anew, in the database, and count the
        words again (a restore, the `refresh_search` command)."""
        with transaction.atomic():
            with connection.cursor() as cursor:
                for model in (cls, SearchEntryText):
                    cursor.execute(f"DELETE FROM {model._meta.db_table}")
                for statement in COPY_SEARCH_TEXTS:
                    cursor.execute(statement)
            SearchWord.recount()


ROWS_PER_READ = 2000  # entries' rows read (and locked) per query


def _upsert(rows: list[models.Model], fields: list[str]) -> None:
    """Insert these rows keyed by their entry, or update `fields` of the rows already there (one
    statement per 2,000)."""
    type(rows[0]).objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["intervention"],
        update_fields=fields,
        batch_size=2000,
    )


class SearchEntryText(models.Model):
    """An entry's title and metadata as search texts, beside its `SearchEntry` row: what a search
    counts a word in, for the entries whose title or metadata holds it.

    Out of `SearchEntry`'s rows so that those are the id, a pointer to the words and the
    publication: a broad word's ids lookup visits the heap of every match, 1,663 blocks at
    100,000 entries on PostgreSQL where the title and metadata in the rows made it 8,538 (ADR
    0011, "seventh round"). Written with the `SearchEntry` row, by `store()` and
    `rebuild()` only; removed with the entry (the cascade).
    """

    intervention = models.OneToOneField(
        Intervention, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    title = models.TextField(help_text=_("Indsatsens titel som søgetekst (search_title)."))
    meta = models.TextField(help_text=_("Indsatsens metadata som søgetekst (search_meta)."))

    class Meta:
        verbose_name = _("søgetitel og -metadata")
        verbose_name_plural = _("søgetitler og -metadata")

    def __str__(self) -> str:
        return str(self.intervention_id)


# The living catalogue's models live in their wing; imported here so they belong to this app.
from interventions.feedback.models import (  # noqa: E402, F401
    ConfirmationRequest,
    Proposal,
    SentMessage,
)
