"""CORS for the read-only API: any web page may read it, nobody may write through it.

The API has no login, no cookies and no writes (ADR 0003), so every GET and HEAD under /api/
(answers of every status, so a page can read a 400's messages) says `Access-Control-Allow-Origin:
*`, without credentials; a preflight (OPTIONS with `Access-Control-Request-Method`) is answered
for GET and HEAD only. Other methods get no CORS headers, so a browser never lets another site
send them. A dozen lines rather than django-cors-headers: one fixed rule needs no configuration
(ADR 0014).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

PREFIX = "/api/"
READ = ("GET", "HEAD")
MAX_AGE = str(24 * 60 * 60)  # how long a browser may keep a preflight's answer


class ReadOnlyApiCorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        wanted = request.headers.get("Access-Control-Request-Method")
        if request.method == "OPTIONS" and wanted is not None:
            response = HttpResponse(status=204)
            if wanted in READ:
                response["Access-Control-Allow-Origin"] = "*"
                response["Access-Control-Allow-Methods"] = ", ".join(READ)
                response["Access-Control-Allow-Headers"] = "Accept, Accept-Language"
                response["Access-Control-Max-Age"] = MAX_AGE
            return response
        response = self.get_response(request)
        if request.method in READ:
            response["Access-Control-Allow-Origin"] = "*"
        return response
