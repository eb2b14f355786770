"""Public pages are cached for anonymous visitors, revalidated with 304s, invalidated by any edit.

The page cache is off in every other test (tests/conftest.py); here it is on. The Redis tests
need the server on 127.0.0.1:6379 and skip without it, unless REQUIRE_REDIS=1 (CI) makes that a
failure.
"""

import copy
import gzip
import logging
import os
import re
import time
import uuid

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import path
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import http_date

from catalogue.settings import cache_config
from interventions.caching import page_cache as cache_module
from interventions.caching.page_cache import normalised_query
from interventions.caching.version import catalogue_version
from interventions.models import Intervention, Method, SearchEntry, TargetGroup
from tests.support import (
    TcpProxy,
    fetch,
    finishes_within,
    free_port,
    gunicorn,
    manage,
    production_env,
)

pytestmark = pytest.mark.django_db
LIST = "/indsatser/"
REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 300
    settings.PUBLIC_CACHE_MAX_AGE = 60
    cache.clear()


@pytest.fixture
def entry():
    return Intervention.objects.published().get(slug="akutteam-herning")


def get(client, url, data=None, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data or {}, headers=headers)
    response.queries = len(ctx)
    return response


def edit(entry, capture, **changes):
    """Save like the admin does: in a transaction that commits."""
    with capture(execute=True):
        for name, value in changes.items():
            setattr(entry, name, value)
        entry.save()


# --- Hits and misses ------------------------------------------------------------------------------


def test_the_second_anonymous_request_is_served_from_the_cache_without_queries(client):
    first = get(client, LIST)
    second = get(client, LIST)
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert first.queries > 0 and second.queries == 0
    assert second.content == first.content


def test_a_page_from_the_cache_is_compressed_for_a_client_that_accepts_it(client):
    plain = get(client, LIST)
    packed = get(client, LIST, **{"Accept-Encoding": "gzip"})
    assert (plain["X-Cache"], packed["X-Cache"]) == ("miss", "hit")
    assert packed["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain
    assert gzip.decompress(packed.content) == plain.content


def test_a_hit_sends_the_body_compressed_when_stored_and_compresses_nothing(client, monkeypatch):
    """Compressing the list page cost more than the rest of a hit together (ADR 0017): the
    entry keeps the compressed body, and a miss sends the same bytes as every later hit."""
    import django.middleware.gzip

    import catalogue.middleware
    from interventions.caching import page_cache

    calls = []

    def counted(module, name):
        original = getattr(module, name)

        def compress(*args, **kwargs):
            calls.append(module.__name__)
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, compress)

    counted(page_cache, "gzip_compress")
    counted(catalogue.middleware, "gzip_compress")  # the GZipMiddleware in use
    counted(django.middleware.gzip, "compress_string")  # Django's, for streams
    miss = get(client, LIST, **{"Accept-Encoding": "gzip, deflate, br"})
    hits = [get(client, LIST, **{"Accept-Encoding": "gzip"}) for _ in range(3)]
    assert calls == [page_cache.__name__]  # once, when stored
    assert [r["X-Cache"] for r in [miss, *hits]] == ["miss", "hit", "hit", "hit"]
    for response in [miss, *hits]:
        assert response["Content-Encoding"] == "gzip"
        assert response.content == miss.content
        assert int(response["Content-Length"]) == len(response.content)
        assert response["Vary"].endswith(", Accept-Encoding")  # as GZipMiddleware has it
        assert response["ETag"] == miss["ETag"]
    plain = get(client, LIST)
    assert plain["X-Cache"] == "hit" and "Content-Encoding" not in plain
    assert gzip.decompress(miss.content) == plain.content
    assert plain["Vary"] == miss["Vary"]


def test_an_entry_stored_by_an_older_release_is_a_miss(client, rf):
    """Before ADR 0017's second round an entry was (status, body, headers); after a deploy the
    same key may still hold one."""
    from interventions.caching.page_cache import cache_key

    miss = get(client, LIST)
    request = rf.get(LIST)
    request.LANGUAGE_CODE = "da"
    key = cache_key(request, catalogue_version())
    status, content, headers, _packed = cache.get(key)
    cache.set(key, (status, content, headers), 300)
    again = get(client, LIST)
    assert again.status_code == 200 and again["X-Cache"] == "miss"
    assert again.content == miss.content
    assert len(cache.get(key)) == 4  # stored again, as this release stores


def _page_with_a_nonce(request):
    from django.http import HttpResponse

    return HttpResponse(f'<style nonce="{request.csp_nonce}">p {{}}</style>' + "<p>x</p>" * 50)


def _page_already_compressed(request):
    from django.http import HttpResponse

    # Level 0 (stored, not compressed): long, and it would compress again if nothing stopped it.
    body = gzip.compress(b"<p>x</p>" * 100, compresslevel=0)
    response = HttpResponse(body, content_type="text/html")
    response["Content-Encoding"] = "gzip"
    return response


# For the tests below: public pages (under PUBLIC_CACHE_PREFIXES) that need care when stored.
urlpatterns = [
    path("indsatser/nonce/", _page_with_a_nonce),
    path("indsatser/gz/", _page_already_compressed),
]


@pytest.mark.urls(__name__)
def test_a_body_the_view_compressed_itself_is_not_compressed_again(client):
    first = get(client, "/indsatser/gz/", **{"Accept-Encoding": "gzip"})
    again = get(client, "/indsatser/gz/", **{"Accept-Encoding": "gzip"})
    assert again["X-Cache"] == "hit"
    assert gzip.decompress(again.content) == gzip.decompress(first.content) == b"<p>x</p>" * 100


@pytest.mark.urls(__name__)
def test_a_page_that_uses_a_csp_nonce_is_never_stored(client):
    """A stored nonce would be stale on a hit, whose CSP header carries a new one or none."""
    first, second = get(client, "/indsatser/nonce/"), get(client, "/indsatser/nonce/")
    for response in (first, second):
        assert "X-Cache" not in response
        nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    assert first.content != second.content


@pytest.mark.parametrize("url", ["/", LIST, "/indsatser/akutteam-herning/"])
def test_public_pages_say_public_short_max_age_and_what_they_vary_on(client, url):
    response = get(client, url)
    assert response["Cache-Control"] == "public, max-age=60"
    vary = {v.strip() for v in response["Vary"].split(",")}
    assert {"Accept-Language", "Cookie", "HX-Request"} <= vary
    assert response["ETag"].startswith('W/"') and response["Last-Modified"]


def test_equivalent_query_strings_share_one_entry(client):
    get(client, LIST, {"target_group": "hjemloese", "sector": "kommunal"})
    reordered = client.get(f"{LIST}?sector=kommunal&target_group=hjemloese")
    assert reordered["X-Cache"] == "hit"


def test_normalised_query_sorts_names_keeps_value_order_and_blanks_and_drops_tracking():
    assert normalised_query("b=2&a=&a=1&utm_source=x&fbclid=y&b=1") == "a=&a=1&b=2&b=1"


def test_tracking_parameters_are_served_from_the_cache_but_never_stored(client):
    tracked = get(client, LIST, {"utm_source": "nyhedsbrev"})
    assert "X-Cache" not in tracked  # rendered, not stored: its links carry the tracking
    assert get(client, LIST)["X-Cache"] == "miss"
    assert get(client, LIST, {"utm_source": "nyhedsbrev"})["X-Cache"] == "hit"


def test_errors_are_not_cached(client):
    assert get(client, LIST, {"target_group": "findes-ikke"}).status_code == 400
    again = get(client, LIST, {"target_group": "findes-ikke"})
    # Rendered afresh (it may read nothing: the index keeps the entries its cards show).
    assert again.status_code == 400 and "X-Cache" not in again and again.templates
    assert get(client, "/indsatser/findes-ikke/").status_code == 404


def test_urls_outside_the_public_prefixes_and_undecorated_are_not_cached(client, settings):
    settings.PUBLIC_CACHE_PREFIXES = []
    assert "X-Cache" not in get(client, LIST)
    assert get(client, "/")["X-Cache"] == "miss"  # @public_cache on the view


# --- What must never share an entry ---------------------------------------------------------------


def test_a_blank_parameter_is_not_an_absent_one(client):
    """/api/docs/ is Swagger UI's HTML page; /api/docs/?script= is its start-up script. A view may
    answer differently to a blank parameter than to none, so they are never one entry."""
    page = get(client, "/api/docs/")
    script = get(client, "/api/docs/?script=")
    assert page["Content-Type"].startswith("text/html") and page["X-Cache"] == "miss"  # stored
    assert script["Content-Type"].startswith("application/javascript")


def test_htmx_requests_and_full_pages_have_separate_entries(client):
    get(client, LIST)
    partial = get(client, LIST, HX_Request="true")
    assert partial["X-Cache"] == "miss"
    assert get(client, LIST, HX_Request="true")["X-Cache"] == "hit"
    assert get(client, LIST)["X-Cache"] == "hit"


def test_hosts_and_schemes_have_separate_entries(client):
    """A page names its own address (og:url, the API's links): never another host's."""
    plain = get(client, LIST)
    other = client.get(LIST, HTTP_HOST="localhost")
    secure = client.get(LIST, secure=True)
    assert (other["X-Cache"], secure["X-Cache"]) == ("miss", "miss")
    assert b'content="http://localhost/' in other.content
    assert b'content="https://testserver/' in secure.content
    assert b'content="http://testserver/' in plain.content
    assert client.get(LIST, HTTP_HOST="localhost")["X-Cache"] == "hit"


def test_languages_have_separate_entries(client):
    get(client, LIST)
    english = get(client, "/en" + LIST)
    assert english["X-Cache"] == "miss" and english["Content-Language"] == "en"
    assert get(client, "/en" + LIST)["X-Cache"] == "hit"
    # The language is in the URL: a browser asking for English still gets the Danish entry.
    danish = get(client, LIST, Accept_Language="en")
    assert danish["X-Cache"] == "hit" and danish["Content-Language"] == "da"


def test_logged_in_users_neither_read_nor_fill_the_cache(client, entry):
    get(client, LIST)  # an anonymous entry exists
    editor = get_user_model().objects.create_user("redaktoer", password="x" * 12, is_staff=True)
    client.force_login(editor)
    logged_in = get(client, LIST)
    assert "X-Cache" not in logged_in and logged_in.queries > 0
    assert "private" in logged_in["Cache-Control"] and "no-store" in logged_in["Cache-Control"]
    assert "ETag" not in logged_in
    client.logout()
    assert get(client, LIST)["X-Cache"] == "hit"


# --- Invalidation ---------------------------------------------------------------------------------


def test_editing_an_entry_invalidates_every_page(client, entry, django_capture_on_commit_callbacks):
    detail = entry.get_absolute_url()
    get(client, LIST), get(client, detail)
    edit(entry, django_capture_on_commit_callbacks, title="Akutteam Herning (nyt navn)")
    fresh = get(client, detail)
    assert fresh["X-Cache"] == "miss" and "Akutteam Herning (nyt navn)" in fresh.content.decode()
    assert get(client, LIST)["X-Cache"] == "miss"


def test_unpublishing_removes_the_entry_from_cached_pages(
    client, entry, django_capture_on_commit_callbacks
):
    assert get(client, entry.get_absolute_url()).status_code == 200
    edit(entry, django_capture_on_commit_callbacks, is_published=False)
    assert get(client, entry.get_absolute_url()).status_code == 404


def test_vocabulary_links_and_deletions_invalidate(
    client, entry, django_capture_on_commit_callbacks
):
    versions = [catalogue_version()]
    with django_capture_on_commit_callbacks(execute=True):
        entry.target_groups.add(TargetGroup.objects.get(slug="aeldre"))
    versions.append(catalogue_version())
    with django_capture_on_commit_callbacks(execute=True):
        entry.contacts.all().delete()
        entry.delete()
    versions.append(catalogue_version())
    assert versions == sorted(set(versions))


def test_the_version_changes_only_when_the_transaction_commits(
    entry, django_capture_on_commit_callbacks
):
    before = catalogue_version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        entry.title = "Ændret"
        entry.save()
    assert catalogue_version() == before and callbacks  # would bump on commit, not before


def test_loading_a_changed_catalogue_invalidates(
    curated_fixtures, django_capture_on_commit_callbacks
):
    from interventions.curation.load import load

    before = catalogue_version()
    with django_capture_on_commit_callbacks(execute=True):
        load(curated_fixtures)  # unchanged: the loader writes nothing, so pages stay valid
    assert catalogue_version() == before

    changed = copy.deepcopy(curated_fixtures)
    _, _, entry = changed.interventions()[0]
    entry["summary"] += " Ændret."
    with django_capture_on_commit_callbacks(execute=True):
        load(changed)
    assert catalogue_version() > before


def test_saving_something_outside_the_catalogue_does_not_invalidate(
    django_capture_on_commit_callbacks,
):
    before = catalogue_version()
    with django_capture_on_commit_callbacks(execute=True):
        get_user_model().objects.create_user("anden", password="x" * 12)
    assert catalogue_version() == before


# --- One catalogue version for every process ------------------------------------------------


def test_another_process_renaming_a_term_reaches_this_process_search_with_the_version(
    client, entry, settings
):
    """The search's kept names and aliases follow the shared version like the pages do: a page
    of the new version is never rendered from the old vocabulary (and then kept as long as that
    version lives)."""
    settings.CATALOGUE_VERSION_SECONDS = 0
    method = entry.methods.first()
    assert get(client, LIST, {"q": "zebrafiskemetode"}).context["page"].paginator.count == 0
    with connection.cursor() as cursor:  # another process: no signal here, only its bump
        Method.objects.filter(pk=method.pk).update(aliases="zebrafiskemetode")
        cursor.execute(
            "UPDATE interventions_catalogue_version SET version = version + 1 WHERE id = 1"
        )
    found = get(client, LIST, {"q": "zebrafiskemetode"})
    assert found["X-Cache"] == "miss"
    assert entry.slug in [e.slug for e in found.context["page"]]


def test_a_word_another_process_brought_is_searched_as_typed_at_the_new_version(
    client, entry, settings
):
    """The typo lexicon is read in full every few minutes, but the words stored since join it
    at every new version: a page of the new version never "corrects" a word an edit in another
    process has just brought into the catalogue."""
    settings.CATALOGUE_VERSION_SECONDS = 0
    assert get(client, LIST, {"q": "støtekontaktperson"}).context["suggestion"]
    words = f"{entry.search_document.rstrip()} støtekontaktperson "
    with connection.cursor() as cursor:  # another process: no signal here, only its writes
        Intervention.objects.filter(pk=entry.pk).update(search_document=words)
        entry.search_document = words
        SearchEntry.store([entry])  # the entry's words, counted
        cursor.execute(
            "UPDATE interventions_catalogue_version SET version = version + 1 WHERE id = 1"
        )
    found = get(client, LIST, {"q": "støtekontaktperson"})
    assert found.context["suggestion"] is None
    assert [e.slug for e in found.context["page"]] == [entry.slug]


def test_the_catalogue_version_costs_one_query_per_interval(client, settings):
    """The version every process shares is read from the database at most once per
    CATALOGUE_VERSION_SECONDS in a process, not on every request: a page served from the cache
    costs no query within that time and one query when it has passed."""
    settings.CATALOGUE_VERSION_SECONDS = 0  # always due
    get(client, LIST)
    assert [get(client, LIST).queries for _ in range(2)] == [1, 1]
    settings.CATALOGUE_VERSION_SECONDS = 60
    assert [get(client, LIST).queries for _ in range(2)] == [0, 0]


def test_a_change_committed_by_another_process_is_seen_once_the_version_is_read(
    client, entry, settings
):
    """Another process's commit bumps the version in the database: this process's pages follow
    at its next read of the version, not after PUBLIC_PAGE_CACHE_SECONDS."""
    settings.CATALOGUE_VERSION_SECONDS = 0
    get(client, entry.get_absolute_url())
    assert get(client, entry.get_absolute_url())["X-Cache"] == "hit"
    with connection.cursor() as cursor:  # what `bump_catalogue_version` in another process does
        cursor.execute(
            "UPDATE interventions_catalogue_version SET version = version + 1 WHERE id = 1"
        )
    assert get(client, entry.get_absolute_url())["X-Cache"] == "miss"


@pytest.fixture(scope="module")
def collected_static():
    from tests.support import ensure_collected_static

    ensure_collected_static()


def test_an_unpublished_entry_leaves_every_worker_at_once_without_a_shared_cache(
    scratch_databases, collected_static
):
    """The documented production set-up without CACHE_URL: several gunicorn workers, each with
    its own local-memory page cache. An entry withdrawn by a management command (which shares no
    cache with them) is gone from every worker's pages within CATALOGUE_VERSION_SECONDS."""
    url = scratch_databases.create("withdrawn", template="loaded")
    env = production_env(url)
    env.pop("CACHE_URL", None)
    detail, search = "/indsatser/act-holstebro/", "/indsatser/?q=holstebro"
    with gunicorn(env, workers=3) as port:
        for _ in range(15):  # every worker has both pages in its cache
            assert fetch(port, detail).status == 200
            assert "act-holstebro" in fetch(port, search).body
        manage(
            "shell",
            "-c",
            "from interventions.models import Intervention as I; "
            "e = I.objects.get(slug='act-holstebro'); e.is_published = False; e.save()",
            env=env,
        )
        time.sleep(1.5)  # CATALOGUE_VERSION_SECONDS (1 s) and a margin
        statuses = [fetch(port, detail).status for _ in range(15)]
        bodies = [fetch(port, search).body for _ in range(15)]
    assert statuses == [404] * 15
    assert not [body for body in bodies if "act-holstebro" in body]


# --- Conditional requests -------------------------------------------------------------------------


def test_a_matching_etag_gets_304_without_queries(client):
    etag = get(client, LIST)["ETag"]
    revalidated = get(client, LIST, If_None_Match=etag)
    assert revalidated.status_code == 304 and revalidated.queries == 0
    assert revalidated["ETag"] == etag and not revalidated.content


def test_if_modified_since_gets_304(client):
    last_modified = get(client, "/indsatser/akutteam-herning/")["Last-Modified"]
    response = get(client, "/indsatser/akutteam-herning/", If_Modified_Since=last_modified)
    assert response.status_code == 304


def test_an_edit_changes_the_etag(client, entry, django_capture_on_commit_callbacks):
    etag = get(client, LIST)["ETag"]
    edit(entry, django_capture_on_commit_callbacks, summary="Et nyt resumé.")
    response = get(client, LIST, If_None_Match=etag)
    assert response.status_code == 200 and response["ETag"] != etag


def test_conditional_requests_work_with_the_page_cache_off(client, settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    first = get(client, LIST)
    assert "X-Cache" not in first
    assert get(client, LIST, If_None_Match=first["ETag"]).status_code == 304


def test_if_match_and_if_unmodified_since_still_fail_preconditions(client):
    """The page cache asks Django's `get_conditional_response` only when a precondition header
    is present; these two are among them (412 as before)."""
    assert get(client, LIST, If_Match='"other"').status_code == 412
    assert get(client, LIST, If_Unmodified_Since="Mon, 01 Jan 2001 00:00:00 GMT").status_code == 412


def test_without_a_precondition_header_no_conditional_response_is_computed(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("get_conditional_response called without a precondition")

    monkeypatch.setattr(cache_module, "get_conditional_response", refuse)
    assert get(client, LIST).status_code == 200
    assert get(client, LIST).status_code == 200  # a hit too


def _public_headers_as_before(response, page):
    """`add_public_headers` as it was written before the tenth round (ADR 0017): the reference."""
    response["ETag"] = page.etag
    response["Last-Modified"] = http_date(page.last_modified)
    patch_cache_control(response, public=True, max_age=django_settings.PUBLIC_CACHE_MAX_AGE)
    patch_vary_headers(response, ("Accept-Language", "Cookie", *cache_module.KEY_HEADERS))
    if response.get("Content-Encoding") == "gzip":
        patch_vary_headers(response, ("Accept-Encoding",))


@pytest.mark.parametrize("cache_control", [None, "", "no-cache", "max-age=30", "private, x=1"])
@pytest.mark.parametrize("vary", [None, "HX-Request", "Accept-Encoding, cookie", "*"])
@pytest.mark.parametrize("encoding", [None, "gzip", "br"])
def test_public_headers_are_what_they_were(cache_control, vary, encoding):
    page = cache_module._PublicPage("page:x", 'W/"abc"', 1_765_000_000)
    responses = []
    for add in (cache_module.add_public_headers, _public_headers_as_before):
        response = HttpResponse("x")
        for name, value in (
            ("Cache-Control", cache_control),
            ("Vary", vary),
            ("Content-Encoding", encoding),
        ):
            if value is not None:
                response[name] = value
        add(response, page)
        responses.append(list(response.items()))
    assert responses[0] == responses[1]


# --- Redis ----------------------------------------------------------------------------------------

PUBLIC_PAGES = [
    "/",
    LIST,
    f"{LIST}?q=bostøtte&sector=kommunal",
    "/indsatser/akutteam-herning/",
    "/api/interventions/",
    "/api/interventions/akutteam-herning/",
]


def test_an_unreachable_cache_is_a_cache_with_nothing_in_it(client, settings, caplog):
    """Redis down (nothing listens): every public page is rendered, from the database the first
    time (an entry's page then from the entry this process keeps, caching/entries.py), the
    failure is logged, and not once per request."""
    settings.CACHES = {"default": cache_config(f"redis://127.0.0.1:{free_port()}/0")}
    with caplog.at_level(logging.WARNING):
        for round_ in range(2):
            for url in PUBLIC_PAGES:
                response = get(client, url)
                assert response.status_code == 200, url
                assert response.get("X-Cache") != "hit", url  # rendered
                if round_ == 0:
                    assert response.queries > 0, url  # from the database
    warnings = [r for r in caplog.records if "cache" in r.getMessage().lower()]
    assert 1 <= len(warnings) <= 2


def test_a_hung_cache_is_a_miss_within_a_second(settings):
    """A Redis that accepts connections and never answers (hung, or behind a partition) costs at
    most about one socket timeout, and then nothing while it stays away."""
    hole = TcpProxy("127.0.0.1", 9)
    hole.restore()
    hole.black_hole()
    try:
        settings.CACHES = {"default": cache_config(f"redis://127.0.0.1:{hole.port}/0")}
        finished, outcome, took = finishes_within(10, lambda: cache.get("page:x", "absent"))
        assert finished and outcome == "absent" and took < 1.5
        finished, outcome, took = finishes_within(10, lambda: cache.set("page:x", 1))
        assert finished and took < 0.1  # the cache stays skipped for a while
    finally:
        hole.cut()


@pytest.fixture
def redis_cache(settings):
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:  # any failure means "no server here"
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"REQUIRE_REDIS=1 but Redis at {REDIS_URL} is unreachable: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable ({exc}); set REQUIRE_REDIS=1 to fail")
    # The backend CACHE_URL gives, with a key prefix of our own: no other process's keys are
    # read, and nothing is flushed.
    settings.CACHES = {
        "default": {
            **cache_config(REDIS_URL),
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "TIMEOUT": 120,
        }
    }
    yield cache
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(f"{cache.key_prefix}:*"))
    if keys:
        client.delete(*keys)


def test_settings_choose_redis_from_cache_url():
    assert cache_config("redis://127.0.0.1:6379/1")["BACKEND"].endswith("FailSafeRedisCache")
    assert cache_config("locmem://")["BACKEND"].endswith("LocMemCache")


def test_the_page_cache_works_on_redis(
    client, redis_cache, entry, django_capture_on_commit_callbacks
):
    assert type(redis_cache._cache).__name__ == "FailSafeClient"  # what CACHE_URL gives
    first, second = get(client, LIST), get(client, LIST)
    assert (first["X-Cache"], second["X-Cache"], second.queries) == ("miss", "hit", 0)
    assert get(client, LIST, If_None_Match=second["ETag"]).status_code == 304
    edit(entry, django_capture_on_commit_callbacks, title="Akutteam Herning på Redis")
    assert get(client, LIST)["X-Cache"] == "miss"
