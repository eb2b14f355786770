"""The OpenAPI schema: valid without warnings, documents every filter, and the API keeps to it."""

import re

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from catalogue.request_limits import request_line_limit
from interventions.listing.filters import InterventionFilter

SCHEMA_URL = "/api/schema/?format=json"


def test_the_schema_validates_without_warnings(tmp_path):
    # --fail-on-warn and --validate raise CommandError on any warning or OpenAPI error.
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text(encoding="utf-8").startswith("openapi: 3.")


@pytest.fixture
def openapi(client):
    response = client.get(SCHEMA_URL)
    assert response.status_code == 200
    return response.json()


def test_every_filter_of_the_list_page_is_a_documented_parameter(openapi):
    parameters = {
        p["name"]: p for p in openapi["paths"]["/api/interventions/"]["get"]["parameters"]
    }
    assert set(InterventionFilter.base_filters) | {"page", "page_size"} == set(parameters)
    assert all(p["in"] == "query" and p.get("description") for p in parameters.values())
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}
    assert parameters["q"]["schema"]["maxLength"] == 200
    assert parameters["target_group"]["schema"]["type"] == "array"
    assert "/api/target-groups/" in parameters["target_group"]["description"]
    assert "kommunal" in parameters["sector"]["schema"]["items"]["enum"]
    assert "-budget" in parameters["sort"]["schema"]["items"]["enum"]


def test_the_list_says_how_long_its_request_line_may_be(openapi):
    """Every facet value at once makes a long query string; a client learns where the limit is."""
    description = openapi["paths"]["/api/interventions/"]["get"]["description"]
    assert f"højst fylde {request_line_limit()} bytes" in description
    assert "414" in description


def test_the_list_documents_its_400_and_the_detail_its_404(openapi):
    assert "400" in openapi["paths"]["/api/interventions/"]["get"]["responses"]
    assert "404" in openapi["paths"]["/api/interventions/{slug}/"]["get"]["responses"]


@pytest.mark.django_db  # closing a response signals request_finished, which checks connections
def test_the_docs_page_loads_swagger_ui_from_our_own_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "http://" not in html and "https://" not in html  # no CDN
    assert "<style" not in html and "<script>" not in html  # nothing inline (CSP)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    bundle = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle"
    assert any(a.startswith(bundle) for a in assets)
    for asset in assets:
        served = client.get(asset)
        served.close()  # a file response: release the file
        assert served.status_code == 200, asset
    script = client.get("/api/docs/", {"script": ""})
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


# --- Property-based: schemathesis generates requests from the schema, in process -----------------


# Loaded at collection, in process (no server): one test per API operation. There is no database
# yet, so outside the page cache (which reads the catalogue version from the database).
with override_settings(PUBLIC_CACHE_PREFIXES=[]):
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, WSGIHandler())


@pytest.fixture
def test_connection_kept():
    """Requests through the WSGI handler must not close the test's database connection.

    Django's test client does the same: at the start and end of a request close_old_connections
    would close a connection that is inside the test's transaction.
    """
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.mark.fuzz
@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_to_its_schema_and_never_fails(case, test_connection_kept):
    # Not positive_data_acceptance: a well-formed but unknown slug is rightly refused (400/404).
    # The in-process WSGI transport does not undo gzip as an HTTP client does, so it asks for
    # the body as it is (compression: tests/views/test_pages.py).
    case.call_and_validate(
        headers={"Accept-Encoding": "identity"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
            negative_data_rejection,
        ],
    )
