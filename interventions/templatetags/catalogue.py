"""Template helpers: the catalogue's text markup and Danish number formatting."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from interventions import facts

register = template.Library()


@register.filter
def render_text(text: str) -> SafeString:
    """Render the fixture text markup: blank-line paragraphs, "- " lists, "### " sub-headings.

    Every piece of text is escaped; only the structure becomes HTML.
    """
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
                blocks.append(render_text("\n".join(lines[1:])))
        else:
            blocks.append(format_html("<p>{}</p>", " ".join(lines)))
    return mark_safe("\n".join(blocks))  # noqa: S308 - every block is built with format_html


@register.filter
def kroner(amount: int | None) -> str:
    """1234567 -> '1.234.567 kr.' in Danish, 'DKK 1,234,567' in English (the page's locale)."""
    return facts.kroner(amount)
