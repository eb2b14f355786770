"""The CSP middleware keeps the policy built from the settings, and sends what django-csp sends.

catalogue/csp.py answers a response that needs nothing particular with a policy built once;
every case is held here to the headers django-csp's own middleware gives the same request and
response.
"""

import pytest
from csp import middleware as csp_middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE, SELF
from csp.exceptions import CSPNonceError
from django.http import HttpResponse
from django.test import RequestFactory

from catalogue import csp as kept

REPORT_ONLY = {"DIRECTIVES": {"default-src": [SELF, NONCE], "report-uri": "/csp-report/"}}


def answer(middleware_class, url="/indsatser/", *, nonce=False, **attributes):
    """The headers the middleware gives a fresh request and response (and the request)."""
    request = RequestFactory().get(url)
    middleware = middleware_class(lambda request: None)
    middleware.process_request(request)
    if nonce:
        str(request.csp_nonce)  # a template that used {{ CSP_NONCE }}
        request._csp_nonce = "fixed-nonce-for-the-comparison"
    response = HttpResponse("page")
    for name, value in attributes.items():
        setattr(response, name, value)
    response = middleware.process_response(request, response)
    return dict(response.items()), request


CASES = {
    "plain": {},
    "nonce used": {"nonce": True},
    "update": {"_csp_update": {"img-src": ["https://example.org"]}},
    "replace": {"_csp_replace": {"default-src": ["https://example.org"]}},
    "own config": {"_csp_config": {"default-src": [SELF]}},
    "exempt": {"_csp_exempt": True},
    "exempt from report-only": {"_csp_exempt_ro": True},
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("report_only", [False, True])
def test_the_headers_are_django_csps_in_every_case(settings, case, report_only):
    if report_only:
        settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = REPORT_ONLY
    theirs, _ = answer(csp_middleware.CSPMiddleware, **CASES[case])
    ours, _ = answer(kept.CSPMiddleware, **CASES[case])
    assert ours == theirs
    assert (HEADER_REPORT_ONLY in ours) == (report_only and case != "exempt from report-only")


def test_excluded_prefixes_are_respected(settings):
    settings.CONTENT_SECURITY_POLICY = {
        **settings.CONTENT_SECURITY_POLICY,
        "EXCLUDE_URL_PREFIXES": ["/api/"],
    }
    for url in ("/api/interventions/", "/indsatser/"):
        ours, _ = answer(kept.CSPMiddleware, url)
        assert ours == answer(csp_middleware.CSPMiddleware, url)[0]
        assert (HEADER in ours) == (url == "/indsatser/")


def test_the_kept_policy_is_built_once_and_forgotten_when_the_setting_changes(
    settings, monkeypatch
):
    builds = []
    original = kept.build_policy

    def counted(**kwargs):
        builds.append(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(kept, "build_policy", counted)
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": [SELF]}}
    first = [answer(kept.CSPMiddleware)[0][HEADER] for _ in range(3)]
    assert first == ["default-src 'self'"] * 3 and len(builds) == 2  # enforced, report-only
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert answer(kept.CSPMiddleware)[0][HEADER] == "default-src 'none'"


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error():
    _, request = answer(kept.CSPMiddleware)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_a_page_that_uses_a_nonce_gets_it_in_its_header():
    """The policy kept is the one without a nonce; a nonce'd page builds its own."""
    ours, _ = answer(kept.CSPMiddleware, nonce=True)
    assert "'nonce-fixed-nonce-for-the-comparison'" in ours[HEADER]
    assert "nonce" not in answer(kept.CSPMiddleware)[0][HEADER]
