from django.urls import path

from interventions import browse, downloads, views

app_name = "interventions"
urlpatterns = [
    path("", views.home, name="home"),
    path("indsatser/", views.intervention_list, name="list"),
    path("indsatser/download.csv", downloads.download_csv, name="download_csv"),
    path("indsatser/download.json", downloads.download_json, name="download_json"),
    path("indsatser/<slug:slug>/", views.intervention_detail, name="detail"),
    # Browse pages: each vocabulary with counts, linking into the list page.
    path("paragraffer/", browse.paragraphs, name="browse_paragraphs"),
    path("maalgrupper/", browse.target_groups, name="browse_target_groups"),
    path("kommuner/", browse.places, name="browse_places"),
    path("metoder/", browse.methods, name="browse_methods"),
    path("kilder/", browse.sources, name="browse_sources"),
    path("om/", browse.about, name="about"),
    path("tilgaengelighed/", browse.accessibility, name="accessibility"),
]
