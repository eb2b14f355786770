from django.urls import path

from interventions import views

app_name = "interventions"
urlpatterns = [
    path("", views.home, name="home"),
    path("indsatser/", views.intervention_list, name="list"),
    path("indsatser/download.csv", views.download_csv, name="download_csv"),
    path("indsatser/download.json", views.download_json, name="download_json"),
    path("indsatser/<slug:slug>/", views.intervention_detail, name="detail"),
    # Browse pages: each vocabulary with counts, linking into the list page.
    path("paragraffer/", views.paragraphs, name="browse_paragraphs"),
    path("maalgrupper/", views.target_groups, name="browse_target_groups"),
    path("kommuner/", views.places, name="browse_places"),
    path("metoder/", views.methods, name="browse_methods"),
    path("kilder/", views.sources, name="browse_sources"),
    path("om/", views.about, name="about"),
    path("tilgaengelighed/", views.accessibility, name="accessibility"),
]
