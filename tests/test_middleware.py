"""Django's locale and messages middleware, without the work an anonymous GET throws away
(catalogue/middleware.py, ADR 0017 tenth round): the same language, the same messages."""

import pytest
from django.contrib import messages
from django.contrib.messages import middleware as django_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.middleware import locale as django_locale
from django.utils import translation

from catalogue import middleware
from catalogue.middleware import LocaleMiddleware, MessageMiddleware

PATHS = [
    "/",
    "/indsatser/",
    "/indsatser/akutteam-herning/",
    "/en/",
    "/en/indsatser/?q=x",
    "/en-gb/indsatser/",
    "/de/indsatser/",
    "/api/interventions/",
    "/robots.txt",
    "/no-such-page/",
]
CLIENT_LANGUAGES = [
    {},
    {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"},
    {"HTTP_ACCEPT_LANGUAGE": "da"},
    {"HTTP_COOKIE": "django_language=en"},
    {"HTTP_COOKIE": "django_language=da", "HTTP_ACCEPT_LANGUAGE": "en"},
]


def _language(middleware_class, rf, path, headers):
    request = rf.get(path, **headers)
    with translation.override(None):
        middleware_class(lambda r: HttpResponse()).process_request(request)
        return request.LANGUAGE_CODE, translation.get_language()


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("headers", CLIENT_LANGUAGES)
def test_the_language_is_django_s(rf, path, headers):
    assert _language(LocaleMiddleware, rf, path, headers) == _language(
        django_locale.LocaleMiddleware, rf, path, headers
    )


def test_the_url_decides_without_reading_the_cookie_or_accept_language(rf, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("get_language_from_request called")

    monkeypatch.setattr(translation, "get_language_from_request", refuse)
    assert _language(LocaleMiddleware, rf, "/en/indsatser/", CLIENT_LANGUAGES[4]) == ("en", "en")
    assert _language(LocaleMiddleware, rf, "/indsatser/", CLIENT_LANGUAGES[1]) == ("da", "da")


def test_other_url_configurations_go_django_s_way(rf, monkeypatch):
    """With a prefix for the default language too, the cookie or Accept-Language decide."""
    for module in (middleware, django_locale):
        monkeypatch.setattr(
            module, "is_language_prefix_patterns_used", lambda urlconf: (True, True)
        )
    assert middleware.language_from_url(rf.get("/")) is None
    assert _language(LocaleMiddleware, rf, "/indsatser/", CLIENT_LANGUAGES[1]) == ("en", "en")


@pytest.mark.django_db
def test_the_pages_say_their_language_as_before(client):
    response = client.get("/en/indsatser/", headers={"Accept-Language": "da"})
    assert response["Content-Language"] == "en"
    response = client.get("/api/interventions/", headers={"Accept-Language": "en"})
    assert response["Content-Language"] == "da"


# --- Messages -------------------------------------------------------------------------------------


def _through(middleware_class, rf, cookie=None, add=None, read=False):
    """One request through the session and message middleware; the response's messages cookie
    and the messages read."""
    request = rf.get("/", **({"HTTP_COOKIE": f"messages={cookie}"} if cookie else {}))
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    messages_middleware = middleware_class(lambda r: HttpResponse())
    messages_middleware.process_request(request)
    if add:
        messages.success(request, add)
    seen = [str(m) for m in messages.get_messages(request)] if read else []
    response = messages_middleware.process_response(request, HttpResponse())
    morsel = response.cookies.get("messages")
    return (morsel.value, morsel["max-age"]) if morsel else None, seen


@pytest.mark.parametrize("middleware_class", [MessageMiddleware, django_messages.MessageMiddleware])
def test_a_message_is_stored_then_shown_once_as_by_django(rf, middleware_class):
    (stored, max_age), _seen = _through(middleware_class, rf, add="Gemt.")
    assert (stored, max_age) == _through(django_messages.MessageMiddleware, rf, add="Gemt.")[0]
    assert _through(middleware_class, rf, cookie=stored) == (None, [])  # not read: kept
    (cleared, max_age), seen = _through(middleware_class, rf, cookie=stored, read=True)
    assert seen == ["Gemt."] and cleared == "" and max_age == 0


@pytest.mark.django_db
def test_a_request_that_uses_no_message_builds_no_storage(client, monkeypatch):
    built = []
    init = FallbackStorage.__init__

    def counted(self, *args, **kwargs):
        built.append(self)
        init(self, *args, **kwargs)

    monkeypatch.setattr(FallbackStorage, "__init__", counted)
    assert client.get("/indsatser/").status_code == 200
    assert client.get("/api/interventions/").status_code == 200
    assert built == []


@pytest.mark.django_db
def test_the_admin_still_shows_a_message_after_a_post_redirect(admin_client):
    response = admin_client.post("/admin/auth/group/add/", {"name": "Korrektur"}, follow=True)
    assert response.redirect_chain and response.redirect_chain[-1][1] == 302
    page = response.content.decode()
    assert 'class="messagelist"' in page and "Korrektur" in page.split('class="messagelist"')[1]
    again = admin_client.get("/admin/auth/group/").content.decode()
    assert 'class="messagelist"' not in again  # shown once
