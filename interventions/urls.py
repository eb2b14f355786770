from django.urls import path

from interventions import downloads, views

app_name = "interventions"
urlpatterns = [
    path("", views.home, name="home"),
    path("indsatser/", views.intervention_list, name="list"),
    path("indsatser/download.csv", downloads.download_csv, name="download_csv"),
    path("indsatser/download.json", downloads.download_json, name="download_json"),
    path("indsatser/<slug:slug>/", views.intervention_detail, name="detail"),
]
