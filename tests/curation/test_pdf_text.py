"""Cleaning PDF text and detecting the debris the validator rejects."""

import pytest

from interventions.curation.pdf_text import debris_problems, normalise_chars, reflow


def test_characters_from_pdf_conversion_are_normalised():
    assert normalise_chars("KKR\u2010mål\u00a0og  mere") == "KKR-mål og mere"


def test_words_hyphenated_across_lines_are_rejoined():
    assert reflow(["Det er særli\u2010", "ge forhold."]) == "Det er særlige forhold."


def test_compound_hyphens_are_kept():
    assert reflow(["både social-", "og sundhedsområdet"]) == "både social- og sundhedsområdet"
    assert reflow(["KKR-", "målsætninger"]) == "KKR-målsætninger"


def test_bullets_become_list_items_and_page_numbers_disappear():
    text = reflow(["Punkter:", "", "• Første", "• Anden punkt", "12", "fortsat"])
    assert text == "Punkter:\n\n- Første\n- Anden punkt fortsat"


def test_space_only_lines_end_paragraphs():
    assert reflow(["Første afsnit", " ", "Andet afsnit"]) == "Første afsnit\n\nAndet afsnit"


@pytest.mark.parametrize(
    "text",
    [
        "et\u00a0ord",
        "KKR\u2010mål",
        "• punkt",
        "særli- ge forhold",
        "tekst\n12\nmere",
        "to  mellemrum",
    ],
)
def test_debris_is_detected(text):
    assert debris_problems(text)


@pytest.mark.parametrize(
    "text", ["social- og sundhedsområdet", "Et afsnit.\n\n- punkt\n- punkt", "§ 85 og 2020"]
)
def test_clean_text_passes(text):
    assert debris_problems(text) == []
