from django.urls import path

from interventions import views

app_name = "interventions"
urlpatterns = [
    path("", views.home, name="home"),
    path("indsatser/", views.intervention_list, name="list"),
    path("indsatser/<slug:slug>/", views.intervention_detail, name="detail"),
]
