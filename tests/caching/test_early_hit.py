"""A stored page is answered before the session middleware, exactly as the normal path answers it.

`EarlyHitMiddleware` (interventions/caching/early_hit.py) only reads what the page cache stored,
only for visitors without a session, messages or unknown cookies. A request that went the early
way has no `session`: the session middleware never saw it.
"""

import gzip

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interventions.caching import early_hit
from interventions.caching.early_hit import EarlyHitMiddleware
from interventions.caching.page_cache import public_page
from interventions.caching.version import catalogue_version
from interventions.models import Intervention

pytestmark = pytest.mark.django_db
LIST = "/indsatser/"
SEARCH_WITH_FACETS = (
    "/indsatser/?q=psykiatri&target_group=borgere-i-akut-psykisk-krise"
    "&policy_area=psykiatri&region=region-midtjylland"
)
HTMX = {"HX-Request": "true", "HX-Target": "results"}
GZIP = {"Accept-Encoding": "gzip, deflate, br"}
VALID_CSRF_COOKIE = "a" * 32


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 300
    settings.PUBLIC_CACHE_MAX_AGE = 60
    cache.clear()


def get(client, url, **headers):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    response.queries = len(ctx)
    return response


def early(response) -> bool:
    """Whether the request was answered before the session middleware."""
    return not hasattr(response.wsgi_request, "session")


@pytest.fixture
def normal_path_only(monkeypatch):
    """Every request goes the normal path, as before the early middleware existed."""

    def use():
        monkeypatch.setattr(EarlyHitMiddleware, "hit", lambda self, request: None)

    return use


# --- The same answer both ways --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        (LIST, {}),
        (LIST, GZIP),
        ("/en" + LIST, GZIP),
        ("/indsatser/?q=psykiatri", {}),
        (SEARCH_WITH_FACETS, GZIP),
        (SEARCH_WITH_FACETS, {**HTMX, **GZIP}),
        ("/en" + SEARCH_WITH_FACETS, HTMX),
        ("/indsatser/akutteam-herning/", GZIP),
        ("/api/interventions/?q=psykiatri", {}),
        ("/api/interventions/?q=psykiatri", {**GZIP, "Origin": "https://example.org"}),
    ],
)
def test_an_early_hit_sends_the_status_body_and_every_header_of_a_normal_hit(
    client, normal_path_only, url, headers
):
    assert get(client, url, **headers)["X-Cache"] == "miss"
    first = get(client, url, **headers)
    normal_path_only()
    normal = get(client, url, **headers)
    assert early(first) and not early(normal)
    assert first.status_code == normal.status_code == 200
    assert first.content == normal.content
    assert list(first.items()) == list(normal.items())  # names, values and their order
    assert not first.cookies and not normal.cookies
    assert first["X-Cache"] == "hit" and first.queries == 0


def test_the_headers_compared_are_the_ones_a_hit_must_carry(client):
    get(client, LIST, **GZIP)
    hit = get(client, LIST, **GZIP)
    assert early(hit)
    assert hit["Content-Language"] == "da" and hit["X-Frame-Options"] == "DENY"
    assert set(hit["Vary"].split(", ")) == {
        *("Accept-Language", "Cookie", "Accept", "HX-Request", "HX-Boosted", "HX-Target"),
        "Accept-Encoding",
    }
    assert hit["Content-Encoding"] == "gzip" and int(hit["Content-Length"]) == len(hit.content)
    assert "public" in hit["Cache-Control"] and hit["ETag"] and hit["Last-Modified"]
    assert "default-src 'self'" in hit["Content-Security-Policy"]
    assert hit["X-Content-Type-Options"] == "nosniff"
    assert gzip.decompress(hit.content).startswith(b"<!doctype html>")
    english = get(client, "/en" + LIST)
    assert get(client, "/en" + LIST)["Content-Language"] == "en" and english["X-Cache"] == "miss"


def test_a_language_cookie_and_a_well_formed_csrf_cookie_do_not_stop_an_early_hit(client):
    get(client, LIST)
    client.cookies["django_language"] = "en"
    client.cookies["csrftoken"] = VALID_CSRF_COOKIE
    hit = get(client, LIST)
    assert early(hit) and hit["X-Cache"] == "hit" and hit["Content-Language"] == "da"


# --- Who never gets one ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cookie",
    [("sessionid", "anything"), ("messages", "anything"), ("consent", "1"), ("csrftoken", "bad")],
)
def test_a_visitor_with_another_cookie_goes_the_normal_path(client, cookie):
    get(client, LIST)
    client.cookies[cookie[0]] = cookie[1]
    response = get(client, LIST)
    assert not early(response)


def test_a_malformed_csrf_cookie_is_replaced_as_before(client):
    """CsrfViewMiddleware sets a new cookie for a malformed one; only the normal path does."""
    get(client, LIST)
    client.cookies["csrftoken"] = "too-short"
    response = get(client, LIST)
    assert not early(response) and "csrftoken" in response.cookies


def test_a_logged_in_editor_gets_a_private_page_not_the_stored_one(client):
    get(client, LIST)
    editor = get_user_model().objects.create_user("redaktoer", password="x" * 12, is_staff=True)
    client.force_login(editor)
    response = get(client, LIST)
    assert not early(response) and "X-Cache" not in response
    assert "private" in response["Cache-Control"]


def test_posts_and_conditional_requests_go_the_normal_path(client):
    stored = get(client, LIST)
    post = client.post(LIST)
    assert not early(post) and post.status_code == 405
    revalidated = get(client, LIST, **{"If-None-Match": stored["ETag"]})
    assert not early(revalidated) and revalidated.status_code == 304


def test_a_failed_precondition_is_answered_412_with_a_page_stored(client):
    """If-Match and If-Unmodified-Since are preconditions too: the stored page's 200 would
    answer what the normal path refuses."""
    get(client, LIST)
    long_ago = "Mon, 01 Jan 2001 00:00:00 GMT"
    for header in ({"If-Match": '"other"'}, {"If-Unmodified-Since": long_ago}):
        response = get(client, LIST, **header)
        assert response.status_code == 412 and not early(response)


def test_an_unknown_host_is_refused_as_before(client):
    get(client, LIST)
    response = client.get(LIST, headers={"Host": "evil.example"})
    assert response.status_code == 400 and not early(response)


def test_a_redirect_to_www_is_made_as_before(client, settings):
    get(client, LIST)
    settings.PREPEND_WWW = True
    response = get(client, LIST)
    assert response.status_code == 301 and not early(response)


def test_the_admin_is_never_answered_early_even_with_a_page_stored_under_its_key(
    client, rf, settings
):
    """Nothing stores an admin page (it is not public); the early path refuses it anyway."""
    url = f"/{settings.ADMIN_URL}login/"
    request = rf.get(url)
    request.LANGUAGE_CODE = settings.LANGUAGE_CODE
    key = public_page(request, catalogue_version()).key
    cache.set(key, (200, b"stored", [("Content-Type", "text/html")], None))
    response = client.get(url)
    assert response.status_code == 200 and b"stored" not in response.content
    assert not early(response)


def test_nothing_stored_means_the_normal_path(client):
    response = get(client, LIST)
    assert response["X-Cache"] == "miss" and not early(response)


def test_an_edit_is_a_miss_for_the_early_path_too(client, django_capture_on_commit_callbacks):
    entry = Intervention.objects.published().get(slug="akutteam-herning")
    url = entry.get_absolute_url()
    get(client, url)
    assert early(get(client, url))
    with django_capture_on_commit_callbacks(execute=True):
        entry.title = "Akutteam Herning (nyt navn)"
        entry.save()
    fresh = get(client, url)
    assert not early(fresh) and fresh["X-Cache"] == "miss"
    again = get(client, url)
    assert early(again) and "Akutteam Herning (nyt navn)" in again.content.decode()


def test_the_early_path_never_reads_the_version_from_the_database(client, settings):
    """When the version is due to be read again, the normal path reads it (one query)."""
    settings.CATALOGUE_VERSION_SECONDS = 0  # (so the first request stores under the version read)
    get(client, LIST)
    due = get(client, LIST)
    assert not early(due) and due["X-Cache"] == "hit" and due.queries == 1
    settings.CATALOGUE_VERSION_SECONDS = 3600
    again = get(client, LIST)
    assert early(again) and again.queries == 0


def test_the_page_cache_off_means_no_early_hits(client, settings):
    get(client, LIST)
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    response = get(client, LIST)
    assert not early(response) and "X-Cache" not in response


# --- Its place ------------------------------------------------------------------------------------


def test_it_refuses_to_start_unless_it_comes_right_before_what_it_skips(settings):
    own = "interventions.caching.early_hit.EarlyHitMiddleware"
    EarlyHitMiddleware(lambda request: None)  # the project's order
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index(early_hit.PAGE_CACHE), "some.other.Middleware")
    settings.MIDDLEWARE = middleware
    with pytest.raises(ImproperlyConfigured, match=own):
        EarlyHitMiddleware(lambda request: None)
