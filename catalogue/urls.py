from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from interventions.views.findability import robots_txt, sitemap

urlpatterns: list[URLPattern | URLResolver] = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/", include("interventions.api.urls")),
    # For search engines: one of each for both languages (the sitemap lists both).
    path("robots.txt", robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap, name="sitemap"),
]
# The public pages: Danish at /, the English interface at /en/ (the data stays Danish). No
# language cookie or session, so a URL always shows the same language.
urlpatterns += i18n_patterns(
    path("", include("interventions.urls")),
    prefix_default_language=False,
)

# A database outage outside a view still answers 503, not 500 (see catalogue/middleware.py).
handler500 = "catalogue.middleware.server_error"
