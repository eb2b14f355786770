"""What search engines and other sites read: robots.txt and sitemap.xml.

The sitemap lists every published entry and every browse page, in Danish and English (each with
its alternate), with the day the entry last changed in the catalogue as `lastmod`: that is when
its page changed, which is what a sitemap's date means (not the date of the information). The
list page is listed once, unfiltered; robots.txt keeps crawlers out of its endless combinations
of filters and out of the downloads, and points to the sitemap.
"""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from interventions.caching.page_cache import public_cache
from interventions.models import Intervention

# The pages that are no entry: the front page, the list, the browse pages and the site's own.
PAGES = (
    "interventions:home",
    "interventions:list",
    "interventions:browse_target_groups",
    "interventions:browse_paragraphs",
    "interventions:browse_places",
    "interventions:browse_methods",
    "interventions:browse_sources",
    "interventions:open_data",
    "interventions:about",
    "interventions:accessibility",
)


class EntrySitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def items(self):
        return Intervention.objects.published().only("slug", "updated_at").order_by("slug")

    def lastmod(self, item: Intervention):
        return item.updated_at


class PageSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def items(self) -> list[str]:
        return list(PAGES)

    def location(self, item: str) -> str:
        return reverse(item)


SITEMAPS = {"pages": PageSitemap, "entries": EntrySitemap}


@public_cache
@require_safe
def sitemap(request: HttpRequest) -> HttpResponse:
    return sitemap_view(request, sitemaps=SITEMAPS)


ROBOTS = """User-agent: *
Disallow: /indsatser/?
Disallow: /en/indsatser/?
Disallow: /indsatser/download.
Disallow: /en/indsatser/download.
Disallow: /sammenlign/
Disallow: /en/sammenlign/

Sitemap: {sitemap}
"""


@public_cache
@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    text = ROBOTS.format(sitemap=request.build_absolute_uri(reverse("sitemap")))
    return HttpResponse(text, content_type="text/plain; charset=utf-8")
