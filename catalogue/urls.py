from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("interventions.urls")),
]

# A database outage outside a view still answers 503, not 500 (see catalogue/middleware.py).
handler500 = "catalogue.middleware.server_error"
