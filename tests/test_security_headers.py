"""Security headers, cookies, CSRF, sessions and admin-login throttling, seen through the client."""

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from interventions.models import Intervention

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
LOGIN = reverse("admin:login")
PASSWORD = "hemmelig-kode-123"


def public_urls() -> list[str]:
    detail = Intervention.objects.published().first().get_absolute_url()
    return ["/", "/indsatser/", "/indsatser/?q=psykiatri&sector=kommunal", detail]


def csp(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: sources
        for name, *sources in (part.split() for part in policy.split(";") if part.strip())
    }


# --- Headers --------------------------------------------------------------------------------------


def test_every_public_page_sends_the_protective_headers(client):
    for url in [*public_urls(), "/findes-ikke/", LOGIN]:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert "Content-Security-Policy" in response, url


def test_the_content_security_policy_allows_only_this_host_and_no_inline_script(client):
    policy = csp(client.get("/indsatser/"))
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    for directive, sources in policy.items():
        for source in sources:
            # Keywords, nonces and data: images only: never another host or a wildcard.
            assert re.fullmatch(r"'(self|none|nonce-[A-Za-z0-9+/=]+)'|data:", source), (
                directive,
                source,
            )


def test_a_page_from_the_page_cache_sends_the_same_protective_headers(client, settings):
    """A hit, compressed or not, skips the view, not the middleware that adds the headers."""
    from django.core.cache import cache

    settings.PUBLIC_PAGE_CACHE_SECONDS = 300
    cache.clear()
    for url in public_urls():
        fresh = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        for encoding in ("gzip", ""):
            hit = client.get(url, HTTP_ACCEPT_ENCODING=encoding)
            assert hit["X-Cache"] == "hit", url
            for header in (
                "X-Content-Type-Options",
                "Referrer-Policy",
                "Cross-Origin-Opener-Policy",
                "X-Frame-Options",
                "Content-Security-Policy",
            ):
                assert hit[header] == fresh[header], (url, header)


def test_hsts_is_sent_over_https_when_configured(client, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = False
    settings.SECURE_HSTS_PRELOAD = False
    assert client.get("/", secure=True)["Strict-Transport-Security"] == "max-age=3600"
    assert "Strict-Transport-Security" not in client.get("/", secure=False)


class _Markup(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, event handlers, style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes and "nonce" not in attributes:
            self.blocked.append("<script> without src or nonce")
        if tag == "style" and "nonce" not in attributes:
            self.blocked.append("<style> without nonce")
        self.blocked += [f"{tag} {name}=" for name in attributes if name.startswith("on")]
        if "style" in attributes:
            self.blocked.append(f"{tag} style=")
        if tag == "form":
            self.forms.append(
                {"method": (attributes.get("method") or "get").lower(), "csrf": False}
            )
        if tag == "input" and attributes.get("name") == "csrfmiddlewaretoken" and self.forms:
            self.forms[-1]["csrf"] = True


def markup(html: str) -> _Markup:
    parser = _Markup()
    parser.feed(html)
    return parser


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_templates_contain_nothing_the_policy_would_block(template):
    assert markup(template.read_text(encoding="utf-8")).blocked == []


# --- Cookies, CSRF and sessions -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing cost is beside the point here, and logins are many."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_superuser("redaktor", "redaktor@example.dk", PASSWORD)


def log_in(client, username, password, **extra):
    client.get(LOGIN, **extra)
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": reverse("admin:index")},
        **extra,
    )


def test_cookies_are_secure_http_only_and_same_site(client, editor):
    response = log_in(client, "redaktor", PASSWORD)
    assert response.status_code == 302
    for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
        cookie = client.cookies[name]
        assert cookie["secure"] and cookie["httponly"], name
        assert cookie["samesite"] == "Lax", name
    # A browser-session cookie: gone when the browser closes.
    assert not client.cookies[settings.SESSION_COOKIE_NAME]["max-age"]


def test_sessions_expire(client, editor):
    log_in(client, "redaktor", PASSWORD)
    # This client's session (the browser tests' live server may have left others).
    session = Session.objects.get(session_key=client.session.session_key)
    lifetime = session.expire_date - timezone.now()
    assert timedelta(seconds=settings.SESSION_COOKIE_AGE - 60) < lifetime
    assert lifetime <= timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert client.get(reverse("admin:index")).status_code == 200

    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_a_post_without_the_csrf_token_is_refused(editor):
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN, {"username": "redaktor", "password": PASSWORD})
    assert response.status_code == 403


def test_every_form_that_posts_carries_a_csrf_token(client, editor):
    client.force_login(editor)
    intervention = Intervention.objects.first()
    urls = [
        *public_urls(),
        reverse("admin:index"),
        reverse("admin:interventions_intervention_changelist"),
        reverse("admin:interventions_intervention_change", args=[intervention.pk]),
        reverse("admin:interventions_intervention_add"),
        reverse("admin:password_change"),
    ]
    post_forms = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        for form in markup(response.content.decode()).forms:
            if form["method"] == "post":
                post_forms += 1
                assert form["csrf"], url
    assert post_forms >= 4
    # And the login form itself, for anonymous users.
    forms = markup(Client().get(LOGIN).content.decode()).forms
    assert forms and all(f["csrf"] for f in forms if f["method"] == "post")


# --- Admin login throttling (django-axes) ---------------------------------------------------------


def normalised(response) -> str:
    """A page without its per-request tokens, to compare two answers."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'nonce="[^"]+"', "", html)


def fail(client, username, times, **extra):
    return [log_in(client, username, "forkert-kode", **extra) for _ in range(times)]


def test_failed_logins_say_the_same_whether_or_not_the_user_exists(editor):
    existing = fail(Client(), "redaktor", 1)[0]
    unknown = fail(Client(), "ingen-saadan-bruger", 1)[0]
    assert existing.status_code == unknown.status_code == 200
    assert normalised(existing).replace("redaktor", "X") == normalised(unknown).replace(
        "ingen-saadan-bruger", "X"
    )
    assert "korrekt" in existing.content.decode()  # Django's Danish "enter a correct ..." message


def test_the_login_locks_after_the_configured_number_of_failures(editor):
    client = Client()
    limit = settings.AXES_FAILURE_LIMIT
    answers = fail(client, "redaktor", limit + 1)
    assert [r.status_code for r in answers] == [200] * (limit - 1) + [429, 429]
    page = answers[-1].content.decode()
    assert "For mange mislykkede loginforsøg" in page and "redaktor" not in page

    # Even the right password does not get in while the lock-out lasts.
    locked = log_in(client, "redaktor", PASSWORD)
    assert locked.status_code == 429
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_lock_out_looks_the_same_for_unknown_users(editor):
    limit = settings.AXES_FAILURE_LIMIT
    existing = fail(Client(), "redaktor", limit + 1)[-1]
    unknown = fail(Client(), "ingen-saadan-bruger", limit + 1)[-1]
    assert existing.status_code == unknown.status_code == 429
    assert normalised(existing) == normalised(unknown)


def test_a_lock_out_holds_for_one_user_name_from_one_address(editor, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    limit = settings.AXES_FAILURE_LIMIT
    attacker = {"HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    assert fail(Client(), "redaktor", limit, **attacker)[-1].status_code == 429
    # Forging an extra address in front does not help: the proxy's entry is the one that counts.
    forged = {"HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.7"}
    assert log_in(Client(), "redaktor", PASSWORD, **forged).status_code == 429
    # The editor, from another address, still gets in.
    colleague = {"HTTP_X_FORWARDED_FOR": "192.0.2.10"}
    assert log_in(Client(), "redaktor", PASSWORD, **colleague).status_code == 302
