from django.urls import path

from interventions import views
from interventions.feedback import owner
from interventions.feedback import public as feedback

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
    # Anyone may report an error or suggest an intervention; editors decide (ADR 0016).
    path("indsatser/<slug:slug>/ret-en-fejl/", feedback.report_error, name="report_error"),
    path(
        "indsatser/<slug:slug>/ret-en-fejl/tak/",
        feedback.report_error_thanks,
        name="report_error_thanks",
    ),
    path("foreslaa-en-indsats/", feedback.suggest, name="suggest"),
    path("foreslaa-en-indsats/tak/", feedback.suggest_thanks, name="suggest_thanks"),
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
    # An owner's signed link (ADR 0015): confirm the entry, or propose corrections.
    path("bekraeft/<str:token>/", owner.confirm, name="confirm"),
    path("bekraeft/<str:token>/ret/", owner.correct, name="confirm_correct"),
    path("bekraeft/<str:token>/tak/", owner.done, name="confirm_done"),
    path("om/", views.about, name="about"),
    path("tilgaengelighed/", views.accessibility, name="accessibility"),
]
