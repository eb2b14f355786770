"""Search quality: a judged query set and the measures of the site's search against it.

`python -m bench.search_quality` (`make bench-search`); the measures are defined in __main__.py,
how to add queries and grade them in README.md.
"""
