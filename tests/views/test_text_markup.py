"""`render_text`, the entries' text markup: paragraphs, "- " lists and "### " sub-headings, with
every piece of text escaped, as `format_html` per piece would give it."""

import pytest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from interventions.models import Intervention
from interventions.templatetags.catalogue import render_text


def format_html_rendering(text: str) -> str:
    """The markup built piece by piece with Django's `format_html` (what `render_text` gave
    before it escaped the whole text at once): the reference it must match byte for byte."""
    blocks = []
    for block in (text or "").strip().split("\n\n"):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if all(line.startswith("- ") for line in lines):
            items = format_html_join("", "<li>{}</li>", ((line[2:],) for line in lines))
            blocks.append(format_html("<ul>{}</ul>", items))
        elif lines[0].startswith("### "):
            blocks.append(format_html("<h4>{}</h4>", lines[0][4:]))
            if lines[1:]:
                blocks.append(format_html_rendering("\n".join(lines[1:])))
        else:
            blocks.append(format_html("<p>{}</p>", " ".join(lines)))
    return mark_safe("\n".join(blocks))


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("", ""),
        (None, ""),
        ("  \n\n \n", ""),
        ("One\nline & <b>\n\nTwo", "<p>One line &amp; &lt;b&gt;</p>\n<p>Two</p>"),
        ("- a 'b'\n- \"c\"", "<ul><li>a &#x27;b&#x27;</li><li>&quot;c&quot;</li></ul>"),
        ("- a\nb", "<p>- a b</p>"),
        ("### Head <i>\nbody\n- not a list", "<h4>Head &lt;i&gt;</h4>\n<p>body - not a list</p>"),
        ("### A\n### B\n- c\n- d", "<h4>A</h4>\n<h4>B</h4>\n<ul><li>c</li><li>d</li></ul>"),
        ("#### not a heading", "<p>#### not a heading</p>"),
    ],
)
def test_markup_and_escaping(text, html):
    rendered = render_text(text)
    assert isinstance(rendered, SafeString)
    assert rendered == html == format_html_rendering(text)


@pytest.mark.django_db
def test_every_curated_text_renders_as_format_html_would():
    texts = [
        text for entry in Intervention.objects.all() for _section, text in entry.text_sections()
    ]
    assert len(texts) > 500
    assert [render_text(text) for text in texts] == [format_html_rendering(t) for t in texts]
