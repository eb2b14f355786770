"""Responses are compressed as Django's GZipMiddleware compresses them, by zlib-ng at a cheaper
level."""

import gzip
import zlib

import pytest
from django.http import HttpResponse, StreamingHttpResponse
from django.middleware.gzip import GZipMiddleware as DjangoGZip
from django.test import RequestFactory
from zlib_ng import gzip_ng, zlib_ng

from catalogue.middleware import GZIP_LEVEL, GZipMiddleware, gzip_compress

BODY = ("<p>Indsatser på det sociale område, søgning og facetter.</p>\n" * 400).encode()


def answered(middleware_class, body=BODY, accept="gzip, deflate, br", etag='"abc"', **extra):
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=accept)

    def view(request):
        response = HttpResponse(body, content_type="text/html; charset=utf-8", **extra)
        if etag:
            response["ETag"] = etag
        response["Content-Length"] = str(len(body))
        return response

    return middleware_class(view)(request)


def test_a_page_gets_the_headers_djangos_middleware_gives_it_in_the_same_order():
    ours, django = answered(GZipMiddleware), answered(DjangoGZip)
    assert [name for name, _ in ours.items()] == [name for name, _ in django.items()]
    for name in ("Content-Type", "Vary", "ETag", "Content-Encoding"):
        assert ours[name] == django[name]
    assert ours["ETag"] == 'W/"abc"'
    assert int(ours["Content-Length"]) == len(ours.content)
    assert gzip.decompress(ours.content) == BODY


def test_the_level_is_cheaper_than_djangos_and_the_body_padded_against_breach():
    ours = answered(GZipMiddleware).content
    # Without the header's random file name, the rest is zlib-ng's stream at GZIP_LEVEL.
    assert ours[3] & gzip.FNAME
    name_end = ours.index(b"\x00", 10)
    level = zlib_ng.compressobj(GZIP_LEVEL, zlib_ng.DEFLATED, -15)
    assert ours[name_end + 1 : -8] == level.compress(BODY) + level.flush()
    lengths = {len(answered(GZipMiddleware).content) for _ in range(30)}
    assert len(lengths) > 1  # a random length each time
    assert GZIP_LEVEL < 6


@pytest.mark.parametrize(
    ("body", "accept"),
    [(BODY, ""), (BODY, "br"), (b"<p>kort</p>", "gzip")],
)
def test_what_django_leaves_alone_is_left_alone(body, accept):
    ours, django = answered(GZipMiddleware, body, accept), answered(DjangoGZip, body, accept)
    assert ours.content == django.content == body
    assert list(ours.items()) == list(django.items())


def test_an_encoded_body_and_a_stream_are_djangos_to_handle():
    already = answered(GZipMiddleware, headers={"Content-Encoding": "br"})
    assert already.content == BODY and already["Content-Encoding"] == "br"
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip")
    streamed = GZipMiddleware(lambda r: StreamingHttpResponse(iter([BODY, BODY])))(request)
    assert gzip.decompress(b"".join(streamed.streaming_content)) == BODY + BODY
    assert streamed["Content-Encoding"] == "gzip"


def test_the_stored_copy_is_compressed_at_the_same_level_without_padding():
    packed = gzip_compress(BODY)
    assert not packed[3] & gzip.FNAME
    assert gzip.decompress(packed) == BODY
    assert packed == gzip_ng.compress(BODY, compresslevel=GZIP_LEVEL, mtime=0)


def test_zlib_ngs_stream_is_one_pythons_own_zlib_reads_back():
    assert zlib.decompress(gzip_compress(BODY), wbits=31) == BODY
    padded = answered(GZipMiddleware).content
    assert zlib.decompress(padded, wbits=31) == BODY
