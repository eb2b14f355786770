"""Hostile input: hypothesis throws random and malicious query strings and paths at the site.

Whatever arrives, the answer is never a server error: a bad value gives 400 with a Danish
message (or is ignored where ignoring it is the sensible reading), an unknown page 404, and
nothing the visitor sent comes back as live markup.

FUZZ_EXAMPLES sets how many examples each test tries (default 25; `.ci/run` asks for more).
"""

import os
import re
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interventions.listing.filters import InterventionFilter
from interventions.models import Intervention

pytestmark = pytest.mark.django_db

# Every URL that takes the list's query string. Adding one is one line here.
QUERY_URLS = [
    "interventions:list",
    "interventions:download_csv",
    "interventions:download_json",
    "interventions:feed",
    "api:intervention-list",
]

# Every public parameter of the FilterSet, plus the ones the pages read themselves and the ones
# a visitor might reasonably try even though nothing reads them today.
PARAMETERS = [
    *InterventionFilter.base_filters,
    *("page", "page_size", "language", "lang", "format", "indsats"),
]

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

MARKER = "zq9x"
# Fragments that would run or break markup if echoed raw; each carries the marker.
HTML = [
    f"<script>alert('{MARKER}')</script>",
    f'"><img src=x onerror=alert("{MARKER}")>',
    f"'><svg onload=alert('{MARKER}')>",
    f"</textarea><b>{MARKER}</b>",
    f'" autofocus onfocus="alert({MARKER})',
    f"<a href=javascript:alert('{MARKER}')>",
]
SQL = [
    "' OR '1'='1",
    "1; DROP TABLE interventions_intervention; --",
    "' UNION SELECT username, password FROM auth_user --",
    '") OR 1=1 --',
    "%' AND 1=0 --",
    "\\",
    "'",
]
ODD = [
    "\x00",
    "a\x00b",
    "-1",
    "0",
    "1e9",
    "9" * 5000,
    "NaN",
    "-title",
    "--title",
    "true",
    "None",
    "§ 85",
    "æøå ÆØÅ",
    "\u202e\u200b\ufeff",
    "🙂" * 50,
    "x" * 20000,
    " ",
    "%",
    "%00",
]

HOSTILE = st.one_of(
    st.sampled_from(HTML + SQL + ODD),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
    st.builds(
        lambda a, h, b: a + h + b, st.text(max_size=20), st.sampled_from(HTML), st.text(max_size=20)
    ),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


def valid_values() -> dict[str, list[str]]:
    """Real values for every facet, so that the fuzzer also mixes good values with bad ones."""
    form = InterventionFilter({}, queryset=Intervention.objects.published()).form
    values: dict[str, list[str]] = {}
    for name, field in form.fields.items():
        choices = [str(value) for value, _label in getattr(field, "choices", []) if value != ""]
        values[name] = choices[:30] or ["1"]
    values["q"] = ["psykiatri", "bostøtte", "§ 85"]
    values["page"] = ["1", "2", "3"]
    values["sort"] = ["title", "-updated", "budget", "-start", "-information"]
    return values


def query_pairs(valid: dict[str, list[str]]):
    parameter = st.one_of(st.sampled_from(PARAMETERS), st.text(max_size=30))

    @st.composite
    def pair(draw):
        name = draw(parameter)
        if name in valid and draw(st.booleans()):
            return name, draw(st.sampled_from(valid[name]))
        return name, draw(HOSTILE)

    # Repeated parameters come naturally: the same name drawn twice.
    return st.lists(pair(), max_size=8)


def query_string(pairs) -> str:
    return urlencode(pairs, quote_via=quote, safe="")


def assert_sound(response, sent: list[str]) -> None:
    """The properties every answer to hostile input has."""
    assert response.status_code < 500, response.content[:500]
    content_type = response.get("Content-Type", "")
    if content_type.startswith("text/html"):
        body = response.content.decode()
        for value in sent:
            for fragment in HTML:
                if fragment in value:
                    assert fragment not in body, f"raw markup echoed: {fragment!r}"
        assert "Traceback" not in body


def assert_danish_error(response) -> None:
    """A 400 from the FilterSet names the problem in Danish."""
    body = response.content.decode()
    errors = response.context["errors"] if response.context and "errors" in response.context else []
    assert errors, body[:500]
    for message in errors:
        message = str(message)
        assert not re.search(
            r"\b(Select|Enter|valid choice|This field|is not one of)\b", message
        ), message


@pytest.mark.parametrize("url_name", QUERY_URLS)
def test_any_query_string_gets_a_sound_answer(url_name):
    url = reverse(url_name)
    valid = valid_values()
    client = Client()

    @FUZZ
    @given(pairs=query_pairs(valid))
    def check(pairs):
        response = client.get(f"{url}?{query_string(pairs)}")
        assert_sound(response, [v for _k, v in pairs])
        assert response.status_code in (200, 400)
        if response.status_code == 400 and response.get("Content-Type", "").startswith("text/html"):
            assert_danish_error(response)

    check()


@pytest.mark.parametrize("url_name", QUERY_URLS)
def test_raw_bytes_in_the_query_string_are_survived(url_name):
    """Invalid percent-encoding, invalid UTF-8 and stray separators, straight onto the wire."""
    url = reverse(url_name)
    client = Client()
    name = st.sampled_from(PARAMETERS)

    @FUZZ
    @given(
        name=name,
        raw=st.binary(max_size=200),
        extra=st.sampled_from(["", "&", "&&=", "=&=", "%", "%zz", "+"]),
    )
    def check(name, raw, extra):
        value = "".join(f"%{b:02X}" if b > 0x7E or b < 0x21 else chr(b) for b in raw)
        response = client.get(f"{url}?{name}={value}{extra}")
        assert_sound(response, [])
        assert response.status_code in (200, 400)

    check()


def test_many_repeated_parameters_are_refused_cleanly():
    """Beyond Django's DATA_UPLOAD_MAX_NUMBER_FIELDS a request is refused with 400, not served."""
    url = reverse("interventions:list")
    response = Client().get(url + "?" + "&".join(["target_group=x"] * 1500))
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"q": "x" * 201}, 400),
        ({"q": "!!!"}, 400),
        ({"q": "\x00"}, 400),
        ({"target_group": "findes-ikke"}, 400),
        ({"target_group": "a\x00b"}, 400),
        ({"sector": "<script>"}, 400),
        ({"sort": "password"}, 400),
        ({"page": "abc"}, 200),
        ({"page": "9" * 5000}, 200),
        ({"page": "-1"}, 200),
        ({"page_size": "100000"}, 200),
        ({"language": "xx"}, 200),
        ({"has_budget": "måske"}, 400),  # true/false only (the API needs it strict too)
        ({"ukendt": "<b>x</b>"}, 200),
    ],
)
def test_known_bad_values(client, query, status):
    response = client.get(reverse("interventions:list"), query)
    assert response.status_code == status
    if status == 400:
        assert_danish_error(response)


def test_search_text_is_echoed_escaped(client):
    payload = HTML[0]
    response = client.get(reverse("interventions:list"), {"q": payload, "ukendt": HTML[1]})
    body = response.content.decode()
    assert HTML[0] not in body and HTML[1] not in body
    assert "&lt;script&gt;" in body


SLUG = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=80),
    st.text(min_size=1, max_size=200),
    st.sampled_from(HTML + SQL + ODD),
)


def test_unknown_detail_slugs_are_404():
    client = Client()
    known = set(Intervention.objects.values_list("slug", flat=True))

    @FUZZ
    @given(slug=SLUG)
    def check(slug):
        response = client.get(f"/indsatser/{quote(slug, safe='')}/")
        assert_sound(response, [slug])
        if slug in known:
            assert response.status_code in (200, 404)  # 404 for a draft
        else:
            assert response.status_code == 404

    check()


def test_unknown_paths_are_404():
    client = Client()

    @FUZZ
    @given(path=st.lists(SLUG, min_size=1, max_size=4), slash=st.booleans())
    def check(path, slash):
        url = (
            "/findes-ikke/"
            + "/".join(quote(part, safe="") for part in path)
            + ("/" if slash else "")
        )
        response = client.get(url)
        assert_sound(response, path)
        assert response.status_code == 404

    check()


def test_compare_survives_any_choice_of_entries():
    """/sammenlign/: real slugs mixed with hostile ones, any number of them. More than four is
    400, an unknown or unpublished one 404, both with a Danish message; never a 500."""
    client = Client()
    published = list(Intervention.objects.published().values_list("slug", flat=True)[:6])
    choice = st.one_of(st.sampled_from(published), SLUG, st.just(""))

    @FUZZ
    @given(slugs=st.lists(choice, max_size=7))
    def check(slugs):
        response = client.get("/sammenlign/?" + query_string([("indsats", s) for s in slugs]))
        assert_sound(response, slugs)
        chosen = list(dict.fromkeys(s.strip() for s in slugs if s.strip()))
        if len(chosen) > 4:
            assert response.status_code == 400
            assert "Du kan sammenligne højst 4 indsatser" in response.content.decode()
        elif any(s not in published for s in chosen):
            assert response.status_code == 404
            assert "Kataloget har ingen offentliggjort indsats" in response.content.decode()
        else:
            assert response.status_code == 200

    check()


def test_unknown_entry_feeds_are_404():
    client = Client()
    known = set(Intervention.objects.published().values_list("slug", flat=True))

    @FUZZ
    @given(slug=SLUG)
    def check(slug):
        response = client.get(f"/indsatser/{quote(slug, safe='')}/feed.atom")
        assert_sound(response, [slug])
        assert response.status_code == (200 if slug in known else 404)

    check()
