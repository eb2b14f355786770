"""Issue #21 (6), ADR 0018: the pages load only the parts of the design system they use, built
from the npm package by `npm run build` into static/build/, and fonts cut to the Latin subsets."""

import gzip
import re
from pathlib import Path

import pytest
from django.conf import settings

BUILT = Path(settings.BASE_DIR) / "static" / "build" / "dkfds.css"
FULL = Path(settings.BASE_DIR) / "node_modules" / "dkfds" / "dist" / "css" / "dkfds.min.css"
SOURCES = ("templates", "interventions", "static/js")


def selectors(css: str) -> set[str]:
    """Every selector of a style sheet, one per comma, written alike (`::before` as `:before`)."""
    found = set()
    for group in re.findall(r"([^{}@;]+)\{", re.sub(r"/\*.*?\*/", "", css, flags=re.S)):
        for selector in group.split(","):
            selector = re.sub(r"\s+", " ", selector.strip()).replace("::", ":")
            if selector:
                found.add(selector)
    return found


def classes(selector: str) -> set[str]:
    return set(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", selector))


def used_classes() -> set[str]:
    """Every class name our templates, Python and scripts write literally."""
    found = set()
    for folder in SOURCES:
        for path in (Path(settings.BASE_DIR) / folder).rglob("*"):
            if path.suffix not in {".html", ".py", ".js"}:
                continue
            text = path.read_text(encoding="utf-8")
            for value in re.findall(r"class(?:Name)?=\s*[\"']([^\"']*)[\"']", text):
                found.update(v for v in value.split() if re.fullmatch(r"[a-z][\w-]*", v))
            for value in re.findall(r"classList\.\w+\([\"']([\w-]+)[\"']", text):
                found.add(value)
    return found


@pytest.fixture(scope="module")
def built() -> str:
    assert BUILT.exists(), "static/build/dkfds.css is missing: run `npm run build` (make install)"
    return BUILT.read_text(encoding="utf-8")


def test_every_design_system_rule_for_our_classes_is_in_the_build(built):
    """A selector of the full dkfds.min.css made only of classes that we use (and elements) is
    in the build: a component left out of assets/dkfds.scss that we need shows here."""
    used = used_classes()
    assert len(used) > 100 and {"button", "form-select", "alert", "pagination"} <= used
    ours = selectors(built)
    needed = [s for s in selectors(FULL.read_text()) if classes(s) and classes(s) <= used]
    assert len(needed) > 200
    missing = sorted(s for s in needed if s not in ours)
    assert not missing, f"in dkfds.min.css but left out of assets/dkfds.scss: {missing}"


def test_the_build_is_a_fraction_of_the_full_style_sheet(built):
    full = len(gzip.compress(FULL.read_bytes()))
    ours = len(gzip.compress(built.encode()))
    assert ours < 0.6 * full, (ours, full)


def test_fonts_are_the_latin_subsets_and_each_is_shipped(built):
    fonts = re.findall(r"url\(\"?(fonts/[^\")]+)\"?\)", built)
    assert fonts and all(re.fullmatch(r"fonts/IBMPlexSans-\w+-Latin[12]\.woff2", f) for f in fonts)
    for font in fonts:
        assert (BUILT.parent / font).stat().st_size < 25_000, font
    # The fallback face that stands in until they arrive is sized to them.
    assert re.search(r'font-family:"IBM Plex Sans","IBM Plex Sans Fallback",sans-serif', built)
    assert "size-adjust:" in built


@pytest.mark.django_db
def test_pages_link_the_build_and_preload_the_latin_faces(client):
    html = client.get("/indsatser/").content.decode()
    assert "dkfds.min" not in html
    assert re.search(r'<link rel="stylesheet" href="/static/build/dkfds[.\w]*\.css">', html)
    preloads = re.findall(r'<link rel="preload" href="([^"]+)" as="font"', html)
    assert len(preloads) == 3 and all("-Latin1" in p for p in preloads), preloads
