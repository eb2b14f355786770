"""The site's frame: the parts that depend only on the language are rendered once per process
(`{% constant %}`, ADR 0017), and still follow the language, the settings and the page."""

from unittest.mock import Mock

import pytest
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.utils import translation

from interventions.templatetags import site_tags

pytestmark = pytest.mark.django_db


def footer(html: bytes) -> str:
    return html.decode().split('<footer class="site-footer">')[1]


def test_each_language_keeps_its_own_frame(client):
    for _ in range(2):  # the second round is served from what the first rendered
        danish, english = client.get("/om/").content, client.get("/en/om/").content
        assert "Om kataloget" in footer(danish) and "About the catalogue" not in footer(danish)
        assert "About the catalogue" in footer(english)
        assert 'href="/en/data/"' in footer(english) and 'href="/data/"' in footer(danish)
        assert '<a class="skipnav" href="#main">Gå til sidens indhold</a>' in danish.decode()


def test_a_changed_setting_is_seen_by_the_next_page(client, settings):
    before = footer(client.get("/").content)
    settings.DATA_LICENCE = "CC-BY-4.0"
    after = footer(client.get("/").content)
    assert "Creative Commons" in after and "Creative Commons" not in before


def test_the_menu_marks_the_page_it_is_on(client):
    for path in ("/maalgrupper/", "/kilder/", "/en/kilder/"):
        html = client.get(path).content.decode()
        assert html.count('aria-current="page"') == 1
        assert f'<a class="nav-link" href="{path}" aria-current="page">' in html


def test_the_menu_reverses_its_addresses_once_per_language(client, monkeypatch):
    """The menu's six addresses are reversed once per language and script prefix, not read
    again on every page; each page still marks its own item, in its own language."""
    client.get("/kilder/")
    client.get("/en/kilder/")
    reversed_url = Mock(wraps=site_tags.reversed_url)
    monkeypatch.setattr(site_tags, "reversed_url", reversed_url)
    for path in ("/maalgrupper/", "/en/kilder/", "/kilder/"):
        html = client.get(path).content.decode()
        assert f'<a class="nav-link" href="{path}" aria-current="page">' in html
    reversed_names = {call.args[0] for call in reversed_url.call_args_list}
    assert not {name for name, _label in site_tags.MAIN_MENU} & reversed_names


def test_a_constant_part_is_rendered_once_per_language(settings):
    template = Template('{% load site_tags %}{% constant "t" %}{{ n }}{% endconstant %}')
    site_tags._CONSTANT.clear()
    with translation.override("da"):
        assert template.render(Context({"n": 1})) == "1"
        assert template.render(Context({"n": 2})) == "1"  # what depends on more is not for it
    with translation.override("en"):
        assert template.render(Context({"n": 3})) == "3"
    settings.DEBUG = True  # while developing, templates change: rendered every time
    with translation.override("da"):
        assert template.render(Context({"n": 4})) == "4"


@pytest.mark.parametrize("tag", ["{% constant %}", "{% constant name %}", '{% constant "a" "b" %}'])
def test_a_constant_part_needs_one_quoted_name(tag):
    with pytest.raises(TemplateSyntaxError):
        Template("{% load site_tags %}" + tag + "{% endconstant %}")


def test_a_constant_part_cannot_hold_a_block():
    """Blocks are found without looking inside constants (ADR 0017, eleventh round)."""
    with pytest.raises(TemplateSyntaxError):
        Template(
            '{% load site_tags %}{% constant "a" %}{% block b %}{% endblock %}{% endconstant %}'
        )


def test_a_child_template_overrides_the_blocks_beside_constants(settings):
    settings.DEBUG = False
    site_tags._CONSTANT.clear()
    engine = Engine(
        loaders=[
            (
                "django.template.loaders.locmem.Loader",
                {
                    "base": '{% load site_tags %}{% constant "c" %}[{{ n }}]{% endconstant %}'
                    "{% block b %}base{% endblock %}",
                    "child": '{% extends "base" %}{% block b %}child {{ n }}{% endblock %}',
                },
            )
        ],
        libraries={"site_tags": "interventions.templatetags.site_tags"},
    )
    with translation.override("da"):
        assert engine.get_template("child").render(Context({"n": 1})) == "[1]child 1"
        assert engine.get_template("child").render(Context({"n": 2})) == "[1]child 2"


def test_a_rendering_reads_the_language_once_and_language_blocks_read_it_again(settings):
    """The kept parts read the language and script prefix once per rendering (includes share
    it); `{% language %}` from `site_tags` switches them inside its block and back after it."""
    settings.DEBUG = False
    site_tags._CONSTANT.clear()
    template = Template(
        '{% load i18n site_tags %}{% translate "Søg" %}|{% constant "lang" %}'
        '{% get_current_language as code %}{{ code }}{% endconstant %}|{% language "en" %}'
        '{% translate "Søg" %}|{% constant "lang" %}{% get_current_language as code %}{{ code }}'
        '{% endconstant %}{% endlanguage %}|{% translate "Søg" %}'
    )
    with translation.override("da"):
        assert template.render(Context()) == "Søg|da|Search|en|Søg"
        assert template.render(Context()) == "Søg|da|Search|en|Søg"
    with translation.override("en"):
        assert template.render(Context()) == "Search|en|Search|en|Search"


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("autoescape", ["on", "off"])
def test_the_print_line_is_what_now_and_blocktranslate_wrote(settings, language, autoescape):
    """`{% print_origin %}` is kept per language and day; it reads as the template did."""
    settings.DEBUG = False
    old = Template(
        f"{{% load i18n %}}{{% autoescape {autoescape} %}}{{% now 'DATE_FORMAT' as printed_on %}}"
        "{% blocktranslate %}Indsatskataloget · udskrevet {{ printed_on }}{% endblocktranslate %}"
        "{% endautoescape %}"
    )
    new = Template(
        f"{{% load site_tags %}}{{% autoescape {autoescape} %}}{{% print_origin %}}"
        "{% endautoescape %}"
    )
    with translation.override(language):
        expected = old.render(Context())
        assert new.render(Context()) == expected
        assert new.render(Context()) == expected  # kept
    assert ("printed" in expected) == (language == "en")


def test_the_print_line_follows_the_day(settings, monkeypatch):
    """A new day is a new key: nothing kept from the day before is shown."""
    settings.DEBUG = False
    template = Template("{% load site_tags %}{% print_origin %}")

    class Day(site_tags.datetime):
        @classmethod
        def now(cls, tz=None):
            return site_tags.datetime(2027, 1, 2, 12, tzinfo=tz)

    with translation.override("da"):
        today = template.render(Context())
        monkeypatch.setattr(site_tags, "datetime", Day)
        assert template.render(Context()) == "Indsatskataloget · udskrevet 2. januar 2027"
        assert template.render(Context()) != today


def test_a_list_page_reads_the_language_and_script_prefix_once_per_rendering(client, monkeypatch):
    """The list page's tags (language switch, sort menu, active filters, addresses) take the
    active language and script prefix from the rendering, which reads them once, and the
    selection's links read them once for all five: each is a thread-local look-up. The page
    still follows its language."""
    url = "/indsatser/?q=psykiatri&target_group=hjemloese&sort=title"
    first = {path: client.get(path).content for path in (url, f"/en{url}")}
    language = Mock(wraps=site_tags.get_language)
    prefix = Mock(wraps=site_tags.get_script_prefix)
    monkeypatch.setattr(site_tags, "get_language", language)
    monkeypatch.setattr(site_tags, "get_script_prefix", prefix)
    for path, before in first.items():
        language.reset_mock()
        prefix.reset_mock()
        assert client.get(path).content == before
        # Once by the rendering (`rendering`), once by the selection's links (`SelectionLinks`).
        assert language.call_count == 2 and prefix.call_count == 2
    assert b'<html lang="en">' in client.get(f"/en{url}").content
