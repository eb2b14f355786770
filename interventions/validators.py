"""Field rules shared by the model, the admin forms, the fixture loader and the intake check.

Messages are Danish: editors and municipalities read them.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# A Danish subscriber number has eight digits; people write them in pairs ("76 29 00 00"), as
# two fours ("7629 0000") or run together, optionally after +45 or 0045.
_DANISH_PHONE = re.compile(r"^(?:(?:\+|00)45[ ]?)?(?:\d{8}|\d{4} \d{4}|\d{2} \d{2} \d{2} \d{2})$")
# A paragraph's number: up to four digits and an optional letter ("85", "82b"). The one definition
# that the model's constraint, its label parser and the search's paragraph parser are built from.
PARAGRAPH_DIGITS = r"[0-9]{1,4}"
PARAGRAPH_LETTER = r"[a-z]"
PARAGRAPH_NUMBER_REGEX = rf"^{PARAGRAPH_DIGITS}{PARAGRAPH_LETTER}?$"
PARAGRAPH_NUMBER = re.compile(PARAGRAPH_NUMBER_REGEX)
MIN_YEAR, MAX_YEAR = 1950, 2100


def validate_year(value: int | None) -> None:
    if value is not None and not MIN_YEAR <= value <= MAX_YEAR:
        raise ValidationError(
            _("%(value)s er ikke et plausibelt årstal; skriv et år mellem %(min)s og %(max)s."),
            code="year",
            params={"value": value, "min": MIN_YEAR, "max": MAX_YEAR},
        )


def validate_danish_phone(value: str) -> None:
    if value and not _DANISH_PHONE.match(value.strip()):
        raise ValidationError(
            _(
                "“%(value)s” er ikke et dansk telefonnummer. Skriv 8 cifre, evt. med +45 foran, "
                "fx 76 29 00 00 eller +45 7629 0000."
            ),
            code="phone",
            params={"value": value},
        )


def validate_paragraph_number(value: str) -> None:
    if not PARAGRAPH_NUMBER.match(value or ""):
        raise ValidationError(
            _(
                "“%(value)s” er ikke et paragrafnummer. Skriv tallet med evt. ét lille bogstav "
                "og uden §, fx 85 eller 82b."
            ),
            code="paragraph_number",
            params={"value": value},
        )


def validate_lower_case_email(value: str) -> None:
    if value and value != value.lower():
        raise ValidationError(
            _("Skriv e-mailadressen med små bogstaver: %(value)s"),
            code="email_case",
            params={"value": value.lower()},
        )


def parse_kroner(value: object) -> int:
    """Whole kroner from 780000, "780000", "780.000" or "780.000 kr."; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    text = re.sub(r"(?i)\s*(kr\.?|dkk)\s*$", "", str(value).strip())
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")
    text = text.replace(" ", "").replace("\xa0", "")
    if not text.isdigit():
        raise ValueError(value)
    return int(text)
