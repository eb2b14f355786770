"""The public pages, one module per kind, each view a plain function (re-exported for urls.py).

- `pages`: the front page, the list page, an entry's page, about and accessibility.
- `browse`: a page per vocabulary, each value with its count, linking into the list.
- `downloads`: the list's current selection as Excel, CSV and JSON.
- `feeds`: Atom feeds of a selection's (or one entry's) changes, to follow a search.
- `compare`: two to four entries side by side.
- `data`: the catalogue as a described open dataset (/data/).
- `findability`: robots.txt and sitemap.xml (routed in catalogue/urls.py, outside the languages).
"""

from interventions.views.browse import methods, paragraphs, places, sources, target_groups
from interventions.views.compare import compare
from interventions.views.data import (
    data_csv,
    data_json,
    datapackage,
    dcat,
    export_schema_view,
    open_data,
)
from interventions.views.downloads import download_csv, download_json, download_xlsx
from interventions.views.feeds import entry_feed, selection_feed
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
    "compare",
    "data_csv",
    "data_json",
    "datapackage",
    "dcat",
    "download_csv",
    "download_json",
    "download_xlsx",
    "entry_feed",
    "export_schema_view",
    "home",
    "intervention_detail",
    "intervention_list",
    "methods",
    "open_data",
    "paragraphs",
    "places",
    "selection_feed",
    "sources",
    "target_groups",
]
