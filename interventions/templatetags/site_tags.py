"""Template helpers for the site's frame and the list page: menus, language switch, sorting."""

from __future__ import annotations

import html
from datetime import date, datetime
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest
from django.template.loader_tags import BlockNode
from django.templatetags.i18n import LanguageNode, TranslateNode, do_translate
from django.templatetags.i18n import language as do_language
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse, translate_url
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from interventions.listing.facets import urlencode

if TYPE_CHECKING:  # a development dependency (django-stubs), not installed in production
    from django_stubs_ext import StrOrPromise

register = template.Library()
# The standard library's escape, as Django's uses, without its lazy-string wrapper: the facets
# escape some 1,500 strings per list page.
escape = html.escape
# Markup is marked safe as `SafeString(text)`: what `mark_safe` makes of a `str`, without its
# check of every argument for lazy text (~1 us a call, a few dozen a list page).

# The tags below write their markup without the indentation their templates had: the line
# break left keeps what the browser shows (one space, or nothing between blocks), and the
# spaces after it were ~5% of a search page's bytes, gzip-compressed on every uncached request
# (ADR 0017, fourteenth round).


# --- Parts of the frame that are the same on every page ----------------------------------------
# Where a rendering keeps what it read once (`rendering`): the render context's base layer,
# which lives as long as the template context (includes share it; `context.new()` starts anew).
_RENDERING = "site_tags.rendering"


def rendering(context) -> tuple[str, str, bool]:
    """The active language, the script prefix and settings.DEBUG, read once per rendering.

    Each of the first two is a thread-local look-up (~5 us through asgiref's `Local`), which
    the kept parts below asked for some fifty times a list page. `{% language %}` from this
    library reads them afresh inside its block.
    """
    base = context.render_context.dicts[0]
    read = base.get(_RENDERING)
    if read is None:
        read = base[_RENDERING] = (get_language(), get_script_prefix(), settings.DEBUG)
    return read


# The rendered parts, per (template, part, language, script prefix): a handful per process.
_CONSTANT: dict[tuple[str, str, str, str], SafeString] = {}


class ConstantNode(template.Node):
    # Not searched for nodes: `{% extends %}` looks for the parent's blocks on every rendering,
    # through every node (about 70 of base.html's ~120 are inside constants). `constant`
    # refuses a block.
    child_nodelists = ()

    def __init__(self, nodelist: template.NodeList, name: str) -> None:
        self.nodelist = nodelist
        self.name = name

    def render(self, context) -> SafeString:
        language, prefix, debug = rendering(context)
        if debug:  # templates may change while developing
            return self.nodelist.render(context)
        key = (self.origin.name, self.name, language, prefix)
        try:
            return _CONSTANT[key]
        except KeyError:
            rendered = _CONSTANT[key] = self.nodelist.render(context)
            return rendered


@register.tag
def constant(parser, token) -> ConstantNode:
    """`{% constant "name" %}...{% endconstant %}`: rendered once per language and process.

    For the frame's parts that depend on nothing but the language and the settings ({% static %},
    {% url %} without arguments, {% translate %}, the data licence): about half of a page's
    template time went on the frame (ADR 0017). Never wrap anything that reads the request, the
    catalogue or the page's context.
    """
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError("{% constant %} takes one quoted name")
    nodelist = parser.parse(("endconstant",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):
        raise template.TemplateSyntaxError("{% constant %} cannot hold a {% block %}")
    return ConstantNode(nodelist, bits[1][1:-1])


# `{% translate "literal" %}` rendered, per (message, language, autoescape): a few hundred.
_TRANSLATED: dict[tuple[str, str, bool], str] = {}


class KeptTranslateNode(TranslateNode):
    """Django's `{% translate %}`, keeping what a literal message renders to per language.

    A page renders some twenty labels this way ("Målgrupper", "Kilde"), each a gettext through
    the active translation's thread-local lookups and a value rendered in its context, about
    four times what a dictionary look-up costs. Only a literal without a context, filters,
    `noop` or `as` is kept; anything else, and every message with DEBUG on, is Django's.
    """

    def render(self, context) -> str:
        expression = self.filter_expression
        var = expression.var
        language, _prefix, debug = rendering(context)
        if (
            debug
            or self.noop
            or self.asvar
            or self.message_context
            or expression.filters
            or not isinstance(var, template.Variable)
            or var.literal is None
        ):
            return super().render(context)
        key = (var.literal, language, context.autoescape)
        value = _TRANSLATED.get(key)
        if value is None:
            value = _TRANSLATED[key] = super().render(context)
        return value


@register.tag("translate")
@register.tag("trans")
def translate(parser, token) -> TranslateNode:
    """`{% translate %}` as Django parses it (so `make messages` reads it as Django's), rendered
    by `KeptTranslateNode`: a template that loads this library after `i18n` gets it."""
    node = do_translate(parser, token)
    return KeptTranslateNode(node.filter_expression, node.noop, node.asvar, node.message_context)


class RereadLanguageNode(LanguageNode):
    """Django's `{% language %}`, with `rendering` read afresh inside its block (and the
    outer reading back after it)."""

    def render(self, context) -> str:
        base = context.render_context.dicts[0]
        outer = base.pop(_RENDERING, None)
        try:
            return super().render(context)
        finally:
            base.pop(_RENDERING, None)
            if outer is not None:
                base[_RENDERING] = outer


@register.tag("language")
def language_tag(parser, token) -> LanguageNode:
    """`{% language %}` as Django parses it, rendered by `RereadLanguageNode`."""
    node = do_language(parser, token)
    return RereadLanguageNode(node.nodelist, node.language)


def _forget_constants(**kwargs) -> None:
    """Settings a part or the menu may read (the licence, the static files, the URLs) changed:
    tests do that."""
    _CONSTANT.clear()
    _REVERSED.clear()
    _TRANSLATED.clear()
    translated_path.cache_clear()
    _MENUS.clear()
    _MENU_URLS.clear()
    _sprite.cache_clear()
    _print_origin.cache_clear()
    _pagination_words.cache_clear()
    _filter_words.cache_clear()


setting_changed.connect(_forget_constants)


@register.simple_tag(takes_context=True)
def print_origin(context) -> SafeString:
    """ "Indsatskataloget · udskrevet 6. december 2026": what `{% now "DATE_FORMAT" as
    printed_on %}{% blocktranslate %}...{% endblocktranslate %}` wrote, kept per language and
    day (the two cost ~40 us a page, one of the frame's largest parts left)."""
    language = rendering(context)[0]
    tzinfo = timezone.get_current_timezone() if settings.USE_TZ else None
    return _print_origin(language, datetime.now(tz=tzinfo).date(), context.autoescape)


@lru_cache(maxsize=8)
def _print_origin(language: str, day: date, autoescape: bool) -> SafeString:
    printed_on = date_format(day, "DATE_FORMAT")
    if autoescape:
        printed_on = escape(printed_on)
    return SafeString(  # the message is the catalogue's markup, as blocktranslate takes it
        gettext("Indsatskataloget · udskrevet %(printed_on)s") % {"printed_on": printed_on}
    )


def language_links(context) -> list[dict[str, str | bool]]:
    """The current page in each interface language (Danish at /, English under /en/)."""
    request: HttpRequest | None = context.get("request")
    current, prefix = rendering(context)[:2]
    path, query = (request.get_full_path(), "") if request is not None else ("/", "")
    if "?" in path:
        path, query = path.split("?", 1)
        query = f"?{query}"
    return [
        {
            "code": code,
            "name": name,
            "url": translated_path(path, code, current, prefix) + query,
            "current": code == current,
        }
        for code, name in settings.LANGUAGES
    ]


@lru_cache(maxsize=1024)
def translated_path(path: str, code: str, current: str, prefix: str) -> str:
    """`translate_url(path, code)` for a path without a query string, once per path, language
    and script prefix: resolving and reversing it was most of the language switch's time, and
    every search and facet of one page shares its path (the query is kept as it is, as
    `translate_url` keeps it). `current`: the active language, which resolving reads."""
    return translate_url(path, code)


MAIN_MENU = (
    ("interventions:list", _("Indsatser")),
    ("interventions:browse_target_groups", _("Målgrupper")),
    ("interventions:browse_paragraphs", _("Paragraffer")),
    ("interventions:browse_places", _("Kommuner og regioner")),
    ("interventions:browse_sources", _("Kilder")),
    ("interventions:about", _("Om kataloget")),
)


def main_menu(context) -> list[dict[str, object]]:
    """The main menu's links, the current page's marked."""
    request: HttpRequest | None = context.get("request")
    path = request.path if request is not None else ""
    urls = _menu_urls(*rendering(context)[:2])
    return [
        {"url": url, "label": label, "current": path == url}
        for url, (_name, label) in zip(urls, MAIN_MENU, strict=True)
    ]


def _menu_urls(language: str, prefix: str) -> tuple[str, ...]:
    """The main menu's addresses for a language and script prefix, reversed once: six
    `reversed_url` each read the language and the prefix again (~25 us a page)."""
    urls = _MENU_URLS.get((language, prefix))
    if urls is None:
        urls = tuple(reversed_url(name) for name, _label in MAIN_MENU)
        _MENU_URLS[language, prefix] = urls
    return urls


_MENU_URLS: dict[tuple[str, str], tuple[str, ...]] = {}


@register.simple_tag(takes_context=True)
def language_items(context) -> SafeString:
    """The language switch's items (`language_links`), built in Python: the frame's two loops
    were most of what the frame still rendered per request (ADR 0017)."""
    out = []
    for link in language_links(context):
        code = escape(str(link["code"]))
        current = ' aria-current="true"' if link["current"] else ""
        out.append(
            f'\n<li><a href="{escape(str(link["url"]))}" lang="{code}"'
            f' hreflang="{code}"{current}>{escape(str(link["name"]))}</a></li>\n'
        )
    return SafeString("".join(out))  # every value above is escaped


# The menu's and the sort menu's markup per language, script prefix and chosen item: a few per
# process (each label's translation was most of their time).
_MENUS: dict[tuple, SafeString] = {}


@register.simple_tag(takes_context=True)
def menu_items(context) -> SafeString:
    """The main menu's items (`main_menu`), the current page's marked, built in Python once per
    language and current item."""
    language, prefix, _debug = rendering(context)
    request: HttpRequest | None = context.get("request")
    path = request.path if request is not None else ""
    urls = _menu_urls(language, prefix)
    current = urls.index(path) if path in urls else None
    key = ("menu", language, prefix, current)
    html = _MENUS.get(key)
    if html is None:
        html = _MENUS[key] = _menu_items(main_menu(context))
    return html


def _menu_items(items: list[dict[str, object]]) -> SafeString:
    out = []
    for item in items:
        active = ' class="active current"' if item["current"] else ""
        current = ' aria-current="page"' if item["current"] else ""
        out.append(
            f'\n<li{active}><a class="nav-link" href="{escape(str(item["url"]))}"'
            f"{current}><span>{escape(str(item['label']))}</span></a></li>\n"
        )
    return SafeString("".join(out))  # every value above is escaped


# Addresses without arguments (the menu's, the list's, the downloads') per (name, language,
# script prefix): reversed once per process, not on every page.
_REVERSED: dict[tuple[str, str, str], str] = {}


def reversed_url(name: str, language: str | None = None, prefix: str | None = None) -> str:
    """`reverse(name)` for a URL without arguments, once per language and script prefix.

    `language` and `prefix`: the active language and script prefix, where the caller has read
    them already (each is a thread-local look-up of a few microseconds)."""
    if language is None:
        language = get_language()
    if prefix is None:
        prefix = get_script_prefix()
    key = (name, language, prefix)
    url = _REVERSED.get(key)
    if url is None:
        url = _REVERSED[key] = reverse(name)
    return url


@register.simple_tag(takes_context=True)
def site_url(context, name: str) -> str:
    """`{% url name %}` for a URL without arguments, reversed once (`reversed_url`)."""
    return reversed_url(name, *rendering(context)[:2])


def query_string(params, **changes) -> str:
    """What `{% querystring **changes %}` gives for `params` (None removes a parameter, a value
    replaces it in place or is added last), without the deep copy of the query that Django's
    tag makes: a list page asks for a dozen."""
    pairs: list[tuple[str, object]] = []
    for key, values in params.lists():
        if key not in changes:
            pairs.extend((key, value) for value in values)
        elif changes[key] is not None:
            pairs.append((key, changes[key]))
    pairs += [(k, v) for k, v in changes.items() if k not in params and v is not None]
    if not pairs and not params:
        return ""
    return f"?{urlencode(pairs)}"


class SelectionLinks:
    """The list's selection as downloads (Excel, CSV, CSV with commas, JSON; on any page, so
    without `page`) and as a feed (also without `sort`: a feed is newest first); each address
    built when a template first asks for it (the list page asks for the feed twice)."""

    def __init__(self, params) -> None:
        self.params = params
        # Read once for the five links, in the request's language and script prefix.
        self._at = (get_language(), get_script_prefix())

    def _url(self, name: str) -> str:
        return reversed_url(name, *self._at)

    @cached_property
    def selection(self) -> str:
        return query_string(self.params, page=None)

    @cached_property
    def xlsx(self) -> str:
        return self._url("interventions:download_xlsx") + self.selection

    @cached_property
    def csv(self) -> str:
        return self._url("interventions:download_csv") + self.selection

    @cached_property
    def csv_comma(self) -> str:
        return self._url("interventions:download_csv") + query_string(
            self.params, page=None, sep=","
        )

    @cached_property
    def json(self) -> str:
        return self._url("interventions:download_json") + self.selection

    @cached_property
    def feed(self) -> str:
        return self._url("interventions:feed") + query_string(self.params, page=None, sort=None)


# Sort options in the words users think in; values are InterventionFilter's `sort` choices.
SORT_OPTIONS = (
    ("title", _("Titel (A-Å)")),
    ("-title", _("Titel (Å-A)")),
    ("-information", _("Nyeste oplysninger")),
    ("-updated", _("Senest ændret i kataloget")),
    ("-start", _("Nyeste startår")),
    ("start", _("Ældste startår")),
    ("-budget", _("Største budget")),
    ("budget", _("Mindste budget")),
)


@register.simple_tag
def sort_options(query: str) -> list[tuple[str, StrOrPromise]]:
    """The sort menu; its empty value means relevance with a search, title without."""
    default = _("Bedste match") if query else _("Titel (A-Å)")
    options: list[tuple[str, StrOrPromise]] = [("", default)]
    options += [(v, label) for v, label in SORT_OPTIONS if query or v != "title"]
    return options


@register.simple_tag(takes_context=True)
def sort_menu(context, query: str, params) -> SafeString:
    """The sort menu's options (`sort_options`), the query string's `sort` (its last, as
    `{{ request.GET.sort }}` read it, whose failed look-up when there is none cost ~40 us)
    chosen; built in Python, as a template loop over them cost more than the rest of the tools,
    once per language, with or without a search, and choice."""
    current = params.get("sort") or ""
    chosen = current if any(value == current for value, _label in SORT_CHOICES) else None
    key = ("sort", rendering(context)[0], bool(query), chosen)
    html = _MENUS.get(key)
    if html is None:
        html = _MENUS[key] = _sort_menu(query, current)
    return html


# Every value the sort menu may offer: a `sort` that is none of them chooses no option.
SORT_CHOICES = (("", ""), *SORT_OPTIONS)


def _sort_menu(query: str, current: str) -> SafeString:
    return SafeString(
        "".join(
            f'\n<option value="{escape(value)}"'
            f"{' selected' if value == current else ''}>{escape(str(label))}</option>\n"
            for value, label in sort_options(query)
        )
    )  # every value above is escaped


def _without(params, name: str) -> str:
    """The query string without `name`, back on page 1."""
    return query_string(params, page=None, **{name: None}) or "?"


@lru_cache(maxsize=8)
def _filter_words(language: str) -> dict[str, str]:
    """The active filters' words in a language (each a gettext through the active translation:
    some ten a search page)."""
    return {
        "search": gettext("Søgning"),
        "remove search": gettext("Fjern søgningen"),
        "all": gettext("alle valgte skal passe"),
        "and": gettext("og"),
        "or": gettext("eller"),
        "remove filter": gettext("Fjern filteret %(label)s"),
        "budget": gettext("Budget"),
        "remove budget": gettext("Fjern filteret Budget"),
        "sort": gettext("Sortering"),
        "remove sort": gettext("Fjern sorteringen"),
        "heading": gettext("Aktive filtre"),
        "switch off": gettext("Slå fra"),
        "reset": gettext("Nulstil alle filtre"),
    }


def active_filters(
    params, facets, budget, query: str, language: str | None = None
) -> list[dict[str, object]]:
    """Every parameter in force, as labelled groups of removable chips: the search, each facet
    ("Målgruppe: Hjemløse eller Unge 15-25", "og" when all must hold), the budget and the sort.

    Each group: `label`, `joiner` (the word between its chips), `chips` (each `text` and the
    `url` without it), `mode` (a facet's "alle valgte" as a chip of its own, or None) and
    `remove` (the words a screen reader hears before a chip's text). `language`: the active
    language, where the caller has read it.
    """
    words = _filter_words(language or get_language())
    groups: list[dict[str, object]] = []
    if query:
        groups.append(
            {
                "label": words["search"],
                "chips": [{"text": f"“{query}”", "url": _without(params, "q")}],
                "remove": words["remove search"],
            }
        )
    for facet in facets:
        chips = [{"text": v.label, "url": v.toggle_url, "lang": v.lang} for v in facet.selected]
        if chips or facet.matching_all:
            mode = None
            if facet.matching_all:
                mode = {"text": words["all"], "url": facet.mode_url}
            groups.append(
                {
                    "label": facet.label,
                    "joiner": words["and"] if facet.matching_all else words["or"],
                    "chips": chips,
                    "mode": mode,
                    "remove": words["remove filter"] % {"label": facet.label},
                }
            )
    chosen = next((c for c in budget if c.selected and c.value), None)
    if chosen is not None:
        groups.append(
            {
                "label": words["budget"],
                "chips": [{"text": chosen.label, "url": _without(params, "has_budget")}],
                "remove": words["remove budget"],
            }
        )
    sort = params.get("sort", "")
    label = dict(SORT_OPTIONS).get(sort)
    if label is not None:
        groups.append(
            {
                "label": words["sort"],
                "chips": [{"text": label, "url": _without(params, "sort")}],
                "remove": words["remove sort"],
            }
        )
    return groups


def _text(value) -> str:
    return escape(str(value))


@register.simple_tag(takes_context=True)
def active_filter_list(context, params, facets, budget, query: str, list_url: str) -> SafeString:
    """The active filters (`active_filters`) as their chips, each a link that removes it, and
    "Nulstil alle filtre"; nothing when no filter is in force.

    Built in Python, as the facet panels are; the markup is what the template loop over the
    groups and chips wrote, without its indentation.
    """
    language = rendering(context)[0]
    groups = active_filters(params, facets, budget, query, language)
    if not groups:
        return SafeString("\n")
    close = _icon("close", rendering(context)[1])
    words = _filter_words(language)
    heading, switch_off = _text(words["heading"]), _text(words["switch off"])
    out = [
        '\n\n<div class="active-filters">'
        f'\n<h3 class="sr-only">{heading}</h3>'
        '\n<ul class="unstyled-list active-filter-list">\n'
    ]
    for group in groups:
        remove = _text(group["remove"])
        out.append(
            '\n<li class="active-filter-group">'
            f'<span class="active-filter-label">{_text(group["label"])}:</span>'
        )
        for n, chip in enumerate(group["chips"]):
            if n:
                joiner = _text(group.get("joiner", ""))
                out.append(f' <span class="active-filter-joiner">{joiner}</span>')
            url, text = _text(chip["url"]), _text(chip["text"])
            if chip.get("lang"):
                text = f'<span lang="{_text(chip["lang"])}">{text}</span>'
            out.append(
                f' <a class="tag tag-icon" href="{url}" hx-get="{url}">'
                f'<span class="sr-only">{remove}:</span> {text} {close}</a>'
            )
        mode = group.get("mode")
        if mode:
            url = _text(mode["url"])
            out.append(
                f' <a class="tag tag-icon active-filter-mode" href="{url}" hx-get="{url}">'
                f'<span class="sr-only">{switch_off}:</span>'
                f" {_text(mode['text'])} {close}</a>"
            )
        out.append("</li>\n")
    url, reset = _text(list_url), _text(words["reset"])
    out.append(f'\n</ul>\n<p><a href="{url}" hx-get="{url}">{reset}</a></p>\n</div>\n')
    return SafeString("".join(out))  # every value above is escaped


def list_title(facets, query: str, count: int) -> str:
    """The list page's title, different for every search: "Hjemløse, Aarhus — 27 indsatser";
    "Indsatser" with nothing chosen."""
    parts = [f"“{query}”"] if query else []
    parts += [value.label for facet in facets for value in facet.selected]
    if not parts:
        return str(_("Indsatser"))
    return f"{', '.join(parts)} — {result_count(count)}"


@register.simple_tag
def result_count(count: int) -> SafeString:
    """ "27 indsatser": what `{% blocktranslate count counter=count %}{{ counter }} indsats{%
    plural %}{{ counter }} indsatser{% endblocktranslate %}` wrote (the message as the
    catalogue's markup, the number as text), without its context and token rendering (~15 us
    a list page)."""
    found = ngettext("%(counter)s indsats", "%(counter)s indsatser", count)
    return SafeString(found % {"counter": count})  # the catalogue's markup, a number


def page_window(page, around: int = 2) -> list[int | None]:
    """Page numbers to link: first, last and `around` either side of the current; None: a gap."""
    last, current = page.paginator.num_pages, page.number
    shown = {1, last, *range(current - around, current + around + 1)}
    numbers = sorted(n for n in shown if 1 <= n <= last)
    window: list[int | None] = []
    for n in numbers:
        if window and n - window[-1] > 1:
            window.append(None)
        window.append(n)
    return window


def _page_url(params, number: int) -> str:
    """`{% querystring page=number %}`, escaped for an attribute."""
    return escape(query_string(params, page=number))


def _icon(name: str, prefix: str) -> str:
    """`includes/_icon.html` for `name` (with the file's final line break); `prefix`: the
    script prefix (`rendering`)."""
    sprite = _sprite(prefix)
    return (
        f'<svg class="icon-svg" focusable="false" aria-hidden="true">'
        f'<use href="{sprite}#{name}"></use></svg>\n'
    )


@lru_cache(maxsize=8)
def _sprite(prefix: str) -> str:
    """The icons' file, escaped, per script prefix: `static()` looks the hashed name up each
    time (~50 us)."""
    return escape(static("dkfds/img/all-svg-icons.svg"))


@lru_cache(maxsize=8)
def _pagination_words(language: str) -> tuple[str, ...]:
    """The page links' words in a language, escaped (but the "Side 2 af 10" pattern, whose
    numbers are filled in): six gettext calls a page were a third of the tag's time."""
    # Each gettext outside the f-strings: xgettext does not read inside them (`make messages`).
    side, pages = escape(gettext("side")), escape(gettext("Sider"))
    previous, following = escape(gettext("Forrige")), escape(gettext("Næste"))
    where = gettext("Side %(number)s af %(total)s")
    return side, pages, previous, following, where, escape(gettext("Side"))


@register.simple_tag(takes_context=True)
def pagination(context, page) -> SafeString:
    """The list's page links: previous, first, last and two either side of the current
    (`page_window`), next; nothing for a single page.

    Built in Python, as the facet panels are: the template's loop with a `{% querystring %}`
    per link was a fifth of the results region's rendering. The markup is what that template
    wrote, without its indentation.
    """
    if not page.has_other_pages():
        return SafeString("\n")
    params = context.request.GET
    language, prefix = rendering(context)[:2]
    side, pages, previous, following, where, label = _pagination_words(language)
    out = [f'\n<nav class="pagination" aria-label="{pages}">\n']
    if page.has_previous():
        url = _page_url(params, page.previous_page_number())
        out.append(
            f'\n<a href="{url}" hx-get="{url}" class="button button-arrow button-previous"'
            f' rel="prev">{_icon("chevron-left", prefix)}<span class="pagination-nav-link">'
            f'{previous}</span><span class="sr-only"> {side}</span></a>\n'
        )
    where = where % {"number": page.number, "total": page.paginator.num_pages}
    out.append(
        f'\n<span class="pagination-mobile">{where}</span>\n<ul class="pagination__items">\n'
    )
    for n in page_window(page):
        if n is None:
            out.append(
                '\n<li class="pagination-item pagination-overflow">'
                '<span aria-hidden="true">…</span></li>\n'
            )
        elif n == page.number:
            url = _page_url(params, n)
            out.append(
                f'\n<li class="pagination-item pagination-number"><a href="{url}"'
                f' class="button current-page" aria-current="page">'
                f'<span class="sr-only">{label} </span>{n}</a></li>\n'
            )
        else:
            url = _page_url(params, n)
            out.append(
                f'\n<li class="pagination-item pagination-number"><a href="{url}"'
                f' hx-get="{url}" class="button button-secondary">'
                f'<span class="sr-only">{label} </span>{n}</a></li>\n'
            )
    out.append("\n</ul>\n")
    if page.has_next():
        url = _page_url(params, page.next_page_number())
        out.append(
            f'\n<a href="{url}" hx-get="{url}" class="button button-arrow button-next"'
            f' rel="next"><span class="pagination-nav-link">{following}</span>'
            f'<span class="sr-only"> {side}</span>{_icon("chevron-right", prefix)}</a>\n'
        )
    out.append("\n</nav>\n\n")
    return SafeString("".join(out))  # every value above is escaped


@register.simple_tag
def facet_values(facet) -> SafeString:
    """A facet's checkboxes, each value under a heading when its group changes (a law, a source).

    Built in Python rather than with a template loop: the list shows some 500 values, and the
    template engine's per-variable work was most of the page's rendering time.
    """
    param = escape(facet.param)
    out, group = [], None
    for value in facet.values:
        text = value.text
        if text.group != group:
            group = text.group
            if group:
                lang = f' lang="{text.lang}"' if text.lang else ""
                out.append(f'<li class="facet-group"{lang}>{escape(group)}</li>')
        markup = text.markup
        if markup is None:
            # The value's markup around its state and count: the same for every request on
            # the catalogue index and language its text belongs to, so escaped once.
            dom_id = f"f-{param}-{text.dom_id}"
            label = escape(text.label)
            if text.lang:
                label = f'<span lang="{text.lang}">{label}</span>'
            markup = text.markup = (
                f'<li class="form-group-checkbox">'
                f'<input class="form-checkbox" type="checkbox" id="{dom_id}" name="{param}" '
                f'value="{escape(text.key)}"',
                f'><label class="form-label" for="{dom_id}">{label} <span class="facet-count">(',
            )
        checked = " checked" if value.selected else ""
        out.append(f"{markup[0]}{checked}{markup[1]}{value.count})</span></label></li>")
    return SafeString("\n".join(out))  # every value above is escaped


@register.simple_tag
def facet_list(facets, budget) -> SafeString:
    """The filter form's panels: each facet that has anything to choose (`facet_panels`) and
    the budget's (`budget_panel`), or, when an empty result leaves none, a note saying so.

    One tag where a `{% with %}`, an `{% if %}` and two tags were: each level of the template
    joined and copied the panels' markup again (~50 kB on the list page). The markup is what
    that template wrote, without its indentation.
    """
    shown = [facet for facet in facets if facet.values]
    if not shown:
        empty = escape(gettext("Der er intet at afgrænse i et tomt resultat."))
        return SafeString(f"\n<p>{empty}</p>\n")
    return SafeString(  # both parts are escaped markup
        '\n<ul class="unstyled-list facet-list">\n'
        f"{facet_panels(shown)}\n{budget_panel(budget)}\n</ul>\n"
    )


def facet_panels(facets) -> SafeString:
    """Each facet's panel in the filter form: its heading (with how many values are chosen), the
    filter box of a long list, the "alle valgte" switch and its values (`facet_values`).

    Built in Python as the values are: a template loop over some 12 facets with a dozen
    conditions and variables each was a tenth of the list page's rendering time. The markup is
    what the template loop wrote, without its indentation.
    """
    out = []
    for facet in facets:
        param = escape(facet.param)
        label = escape(facet.label)
        selected = len(facet.selected)
        heading = label
        if selected:
            chosen = ngettext("%(counter)s valgt", "%(counter)s valgt", selected) % {
                "counter": selected
            }
            if selected > 1:
                mode = (
                    gettext("alle skal passe")
                    if facet.matching_all
                    else gettext("mindst én skal passe")
                )
                chosen += f", {escape(mode)}"
            heading += f' <span class="facet-selected-count">({chosen})</span>'
        filter_box = ""
        if len(facet.values) > 10:
            find = gettext("Find %(label)s i listen") % {"label": escape(facet.label.lower())}
            filter_box = (
                '\n<div class="form-group facet-filter js-only">'
                f'\n<label class="form-label" for="facet-{param}-filter">{find}</label>'
                f'\n<input class="form-input" id="facet-{param}-filter" type="text"'
                f' autocomplete="off" data-facet-filter="facet-{param}-values">'
                "\n</div>\n"
            )
        mode_switch = ""
        # "Alle valgte" matters once two values are chosen (and stays to be switched off).
        if facet.offers_all and selected > 1 or facet.matching_all:
            checked = " checked" if facet.matching_all else ""
            # Outside the f-string: xgettext does not read inside one (`make messages`).
            all_label = escape(gettext("Alle valgte skal passe (og)"))
            all_hint = escape(
                gettext("Uden flueben er det nok, at én af de valgte passer (eller).")
            )
            mode_switch = (
                '\n<div class="form-group-checkbox facet-mode">'
                f'\n<input class="form-checkbox" type="checkbox" id="match-all-{param}"'
                f' name="match_all" value="{param}" aria-describedby="match-all-{param}-hint"'
                f"{checked}>"
                f'\n<label class="form-label" for="match-all-{param}">'
                f"{all_label}</label>"
                f'\n<span class="form-hint" id="match-all-{param}-hint">'
                f"{all_hint}"
                "</span>\n</div>\n"
            )
        is_open = " open" if selected else ""
        out.append(
            "\n<li>"
            f'\n<details class="facet-panel" id="facet-{param}-panel"{is_open}>'
            f'\n<summary class="facet-summary" id="facet-{param}-button">'
            f'<h3 class="facet-title">{heading}</h3></summary>'
            f'\n<div id="facet-{param}" class="facet-content">'
            "\n<fieldset>"
            f'\n<legend class="sr-only">{label}</legend>'
            f"\n{filter_box}\n\n{mode_switch}"
            f'\n<ul class="unstyled-list facet-values" id="facet-{param}-values">'
            f"\n{facet_values(facet)}"
            "\n</ul>\n</fieldset>\n</div>"
            "\n</details>\n</li>\n"
        )
    return SafeString("".join(out))  # every value above is escaped


def budget_panel(budget) -> SafeString:
    """`has_budget`'s panel: its choices (`FacetResult.budget`) as radio buttons with their
    counts, open unless one is chosen; nothing without choices. Built in Python as the facet
    panels are (its template loop was ~0.4 ms a list page); the markup is what that loop wrote,
    without its indentation."""
    if not budget:
        return SafeString("")
    title = escape(gettext("Budget"))  # outside the f-strings: xgettext reads none of them
    is_open = "" if budget[0].selected else " open"
    out = [
        "\n<li>"
        f'\n<details class="facet-panel" id="facet-has_budget-panel"{is_open}>'
        '\n<summary class="facet-summary" id="facet-has_budget-button">'
        f'<h3 class="facet-title">{title}</h3></summary>'
        '\n<div id="facet-has_budget" class="facet-content">'
        "\n<fieldset>"
        f'\n<legend class="sr-only">{title}</legend>'
        '\n<ul class="unstyled-list facet-values">\n'
    ]
    for choice in budget:
        dom_id = f"f-has_budget-{escape(choice.value or 'alle')}"
        checked = " checked" if choice.selected else ""
        out.append(
            '\n<li class="form-group-radio"><input class="form-radio" type="radio"'
            f' id="{dom_id}" name="has_budget" value="{escape(choice.value)}"{checked}>'
            f'<label class="form-label" for="{dom_id}">{escape(str(choice.label))}'
            f' <span class="facet-count">({choice.count})</span></label></li>\n'
        )
    out.append("\n</ul>\n</fieldset>\n</div>\n</details>\n</li>\n")
    return SafeString("".join(out))  # every value above is escaped


@register.simple_tag
def cards(entries) -> SafeString:
    """The page's result cards (`listing.cards.attach_cards`), one after another: a template
    loop over twenty cost ~0.2 ms."""
    return SafeString("".join(conditional_escape(entry.card) for entry in entries))


@register.simple_tag
def data_licence() -> dict[str, str] | None:
    """The data's licence once the owner has decided it (settings.DATA_LICENCE), else None."""
    from interventions.views.data import data_licence as decided

    return decided()
