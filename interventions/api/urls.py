"""/api/: the router's endpoints, the OpenAPI schema and its Swagger UI, and a JSON 404."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from interventions import facets_registry
from interventions.api import (
    schema,  # noqa: F401  (registers the filters' OpenAPI extension)
    views,
)

app_name = "api"


class Router(DefaultRouter):
    include_format_suffixes = False  # one URL per resource; JSON is the only format


router = Router()
router.register("interventions", views.InterventionViewSet, basename="intervention")
# One endpoint per registered vocabulary that has one.
for facet in facets_registry.facets():
    if facet.api is not None:
        router.register(
            facet.api.path, views.vocabulary_viewset(facet), basename=facet.api.basename
        )

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view loads its start-up script from a URL: no inline script (CSP).
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/docs.html"),
        name="docs",
    ),
    *router.urls,
    # Only paths ending in "/", so CommonMiddleware still adds a missing slash first.
    re_path(r"^(?:[\s\S]*/)?$", views.not_found),  # [\s\S]: a path may hold a newline
]
