"""The public pages, one module per kind, each view a plain function (re-exported for urls.py).

- `pages`: the front page, the list page, an entry's page, about and accessibility.
- `browse`: a page per vocabulary, each value with its count, linking into the list.
- `downloads`: the list's current selection as CSV and JSON.
"""

from interventions.views.browse import methods, paragraphs, places, sources, target_groups
from interventions.views.downloads import download_csv, download_json
from interventions.views.pages import (
    about,
    accessibility,
    home,
    intervention_detail,
    intervention_list,
)

__all__ = [
    "about",
    "accessibility",
    "download_csv",
    "download_json",
    "home",
    "intervention_detail",
    "intervention_list",
    "methods",
    "paragraphs",
    "places",
    "sources",
    "target_groups",
]
