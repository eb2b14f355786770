from django.urls import path

from interventions import views

app_name = "interventions"
urlpatterns = [
    path("", views.home, name="home"),
    path("indsatser/", views.intervention_list, name="list"),
    path("indsatser/download.csv", views.download_csv, name="download_csv"),
    path("indsatser/download.json", views.download_json, name="download_json"),
    path("indsatser/download.xlsx", views.download_xlsx, name="download_xlsx"),
    # Follow a search (the list's query string) or one entry: Atom feeds of their changes.
    path("indsatser/feed.atom", views.selection_feed, name="feed"),
    path("indsatser/<slug:slug>/", views.intervention_detail, name="detail"),
    path("indsatser/<slug:slug>/feed.atom", views.entry_feed, name="entry_feed"),
    path("sammenlign/", views.compare, name="compare"),
    # The catalogue as a described open dataset.
    path("data/", views.open_data, name="open_data"),
    path("data/indsatskataloget.json", views.data_json, name="data_json"),
    path("data/indsatskataloget.csv", views.data_csv, name="data_csv"),
    path("data/datapackage.json", views.datapackage, name="datapackage"),
    path("data/dcat.jsonld", views.dcat, name="dcat"),
    path("data/schema.json", views.export_schema_view, name="export_schema"),
    # Browse pages: each vocabulary with counts, linking into the list page.
    path("paragraffer/", views.paragraphs, name="browse_paragraphs"),
    path("maalgrupper/", views.target_groups, name="browse_target_groups"),
    path("kommuner/", views.places, name="browse_places"),
    path("metoder/", views.methods, name="browse_methods"),
    path("kilder/", views.sources, name="browse_sources"),
    path("om/", views.about, name="about"),
    path("tilgaengelighed/", views.accessibility, name="accessibility"),
]
