"""Benchmarks: synthetic catalogues, in-process server timings, and a gunicorn + wrk load test.

Run with `make bench` (see bench/__main__.py for the flags); not part of `make test`.
"""
