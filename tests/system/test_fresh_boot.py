"""Nothing depends on when the machine booted.

`time.monotonic()` counts from an arbitrary point (on Linux, the machine's boot), so its value
says nothing by itself: a process started five seconds after boot must search, suggest and keep
its caches exactly like one started a month later. Caches that were never filled are empty
because nothing was loaded, not because some load time lies far enough in the past.
"""

import json
import re
import subprocess
import sys
import time
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interventions.caching import behind
from interventions.listing.index import catalogue_index
from interventions.models import Intervention, Law, LegalParagraph
from interventions.search.documents import forget_caches
from interventions.search.hints import suggest
from interventions.search.query import CACHE_SECONDS, parse_query
from tests.factories import InterventionFactory
from tests.support import ROOT, Clock, production_env

pytestmark = pytest.mark.django_db

BOOTED_SECONDS_AGO = 5.0


@pytest.fixture
def young_machine(monkeypatch) -> Clock:
    clock = Clock(BOOTED_SECONDS_AGO)  # a machine that booted that long ago
    monkeypatch.setattr(time, "monotonic", clock)
    return clock


# --- A fresh process on a freshly booted machine --------------------------------------------------

# Run in a new interpreter: its caches have never been filled, as in a worker just started.
FRESH_PROCESS = f"""
import json, sys, time
time.monotonic = lambda: {BOOTED_SECONDS_AGO}
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="localhost")
answers = {{}}
for path in sys.argv[1:]:
    response = client.get(path, secure=True)
    answers[path] = [response.status_code, response.content.decode()]
json.dump(answers, sys.stdout)
"""

NO_HIT = "zzzzzzqqq"  # no entry matches it, so the page looks for a suggestion
TYPO = "psykatri"  # one letter short of "psykiatri"
PARAGRAPH = "§ 85"
FRESH_PATHS = {
    (kind, query): f"{base}?{urlencode({'q': query})}"
    for kind, base in (("page", "/indsatser/"), ("api", "/api/interventions/"))
    for query in (NO_HIT, TYPO, PARAGRAPH)
}


@pytest.fixture(scope="module")
def fresh_process_answers(scratch_databases) -> dict[str, tuple[int, str]]:
    """What a process started five seconds after boot answers, first thing, for each path."""
    result = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, *FRESH_PATHS.values()],
        env=production_env(scratch_databases.url("loaded")),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return {path: tuple(answer) for path, answer in json.loads(result.stdout).items()}


def _count(kind: str, body: str) -> int:
    if kind == "api":
        return json.loads(body)["count"]
    return int(re.search(r'id="result-count"[^>]*>(\d+) indsats', body).group(1))


@pytest.mark.parametrize("kind", ["page", "api"])
def test_a_fresh_process_on_a_young_machine_searches(fresh_process_answers, kind):
    """Right after boot, a search for nothing known, a typo and a paragraph all answer 200."""
    for query in (NO_HIT, TYPO, PARAGRAPH):
        status, _body = fresh_process_answers[FRESH_PATHS[kind, query]]
        assert status == 200, (kind, query)
    assert _count(kind, fresh_process_answers[FRESH_PATHS[kind, NO_HIT]][1]) == 0
    with_85 = Intervention.objects.published().filter(legal_paragraphs__slug="sel-85")
    expected = with_85.distinct().count()
    assert expected
    assert _count(kind, fresh_process_answers[FRESH_PATHS[kind, PARAGRAPH]][1]) == expected


def test_a_fresh_process_on_a_young_machine_corrects_a_typo(fresh_process_answers):
    _status, body = fresh_process_answers[FRESH_PATHS["page", TYPO]]
    assert "Viser resultater for »psykiatri«." in body
    assert _count("page", body) > 0


# --- In this process, with the clock of a young machine -------------------------------------------


def test_a_new_entry_s_words_are_suggested_at_once_on_a_young_machine(client, young_machine):
    """The lexicon follows an entry's new search text at once, whatever the clock reads."""
    suggest("psykatri")  # the lexicon is loaded, before the new entry
    InterventionFactory(title="Zebrafiskeriet i Testby", summary="Zebrafiskeri for alle.")
    response = client.get("/indsatser/", {"q": "zebrafiskerj"})
    assert response.status_code == 200
    assert response.context["suggestion"]["text"] == "zebrafiskeri"


def test_a_new_paragraph_is_found_at_once_on_a_young_machine(client, young_machine):
    """The paragraphs follow a catalogue change at once, whatever the clock reads."""
    parse_query("§ 85")  # the paragraphs are loaded, before the new one
    paragraph = LegalParagraph.objects.create(
        law=Law.objects.get(abbreviation="SEL"), number="999", title="Testparagraf"
    )
    entry = InterventionFactory(paragraphs=[paragraph.label])
    page = client.get("/indsatser/", {"q": "§ 999"})
    assert [e.slug for e in page.context["page"]] == [entry.slug]
    api = client.get("/api/interventions/", {"q": "SEL § 999"})
    assert [item["slug"] for item in api.json()["results"]] == [entry.slug]


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx)


@pytest.mark.parametrize(
    "use", [lambda: suggest("psykatri"), lambda: parse_query("§ 85")], ids=["lexicon", "paragraphs"]
)
def test_search_caches_are_kept_for_their_time_from_when_they_were_loaded(
    young_machine, use, monkeypatch
):
    """Loaded at the first use (five seconds after boot), kept CACHE_SECONDS, then loaded again
    behind the request that finds them old (here in this thread, when the test says)."""
    refreshes: list = []
    monkeypatch.setattr(behind, "refresh_behind", refreshes.append)
    forget_caches()
    loading = _queries(use)  # the words, names, aliases and places (or the paragraphs)
    assert loading > 0
    young_machine.now += CACHE_SECONDS
    assert _queries(use) == 0
    young_machine.now += 1
    assert _queries(use) == 0  # served as kept, while a refresh loads it again
    assert refreshes
    assert _queries(lambda: [refresh() for refresh in refreshes]) == loading
    assert _queries(use) == 0


def test_the_catalogue_index_is_kept_for_its_time_from_when_it_was_built(
    settings, young_machine, monkeypatch
):
    """Built at the first request five seconds after boot; after CATALOGUE_INDEX_SECONDS built
    again behind the request that finds it old (here in this thread, when the test says)."""
    rebuilds: list = []
    monkeypatch.setattr(behind, "refresh_behind", rebuilds.append)
    index = catalogue_index()
    assert catalogue_index() is index
    young_machine.now += settings.CATALOGUE_INDEX_SECONDS - 1
    assert catalogue_index() is index
    assert not rebuilds
    young_machine.now += 2
    assert catalogue_index() is index  # served as built, while a rebuild builds it again
    assert len(rebuilds) == 1
    rebuilds.pop()()
    rebuilt = catalogue_index()
    assert rebuilt is not index
    assert catalogue_index() is rebuilt


@pytest.mark.parametrize("query", [NO_HIT, TYPO, PARAGRAPH])
def test_the_list_page_and_the_api_search_on_a_young_machine(client, young_machine, query):
    page = client.get("/indsatser/", {"q": query})
    api = client.get("/api/interventions/", {"q": query})
    assert (page.status_code, api.status_code) == (200, 200)
    assert page.context["page"].paginator.count == api.json()["count"]
