"""django-csp's middleware, with the policy built from the settings kept per process.

django-csp (4.x) builds the Content-Security-Policy header afresh for every response: twice
(enforced and report-only), each through `dataclasses.asdict` and `build_policy`. For most
responses the result depends on the settings alone: a static file, a cached page, any page that
used no nonce and whose view did not change the policy. That was ~16% of the CPU of a cached
page (ADR 0017, fourth round). `CSPMiddleware` here builds those two headers once, with django-csp's
own `build_policy`, and forgets them when a `CONTENT_SECURITY_POLICY*` setting changes (as tests
do). A response whose request used a nonce, whose view set its own policy (`@csp`,
`@csp_update`, `@csp_replace`) or that is answered with DEBUG on goes to django-csp's own
`process_response`, unchanged. tests/test_csp.py holds both to the same headers.
"""

from __future__ import annotations

from csp import middleware as csp_middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

# What django-csp's view decorators set on a response to change its policy.
POLICY_OVERRIDES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
# (header, the response attribute that exempts from it, the setting it is built from)
_HEADERS = (
    (HEADER, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
    (HEADER_REPORT_ONLY, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
)

# Per header: (policy, excluded path prefixes), built from the settings on first use.
_built: list[tuple[str, str, str, tuple[str, ...]]] | None = None


def _settings_policies() -> list[tuple[str, str, str, tuple[str, ...]]]:
    global _built
    if _built is None:
        built = []
        for header, exempt, setting in _HEADERS:
            policy = build_policy(report_only=setting.endswith("_REPORT_ONLY"))
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES")
            built.append((header, exempt, policy, tuple(prefixes or ())))
        _built = built
    return _built


@receiver(setting_changed)
def _forget_policies(*, setting: str, **kwargs) -> None:
    global _built
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _built = None


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp's middleware; a response that needs nothing particular gets the kept headers."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            settings.DEBUG
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in POLICY_OVERRIDES)
        ):
            return super().process_response(request, response)
        for header, exempt, policy, prefixes in _settings_policies():
            if (
                policy
                and header not in response
                and getattr(response, exempt, False) is False
                and not request.path_info.startswith(prefixes)
            ):
                response[header] = policy
        # As django-csp does once the header is written: a nonce asked for later is an error.
        request.csp_nonce = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
