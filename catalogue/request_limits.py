"""The longest request line the production server accepts, read from the environment.

gunicorn's setting (`catalogue/gunicorn.conf.py`) and the API schema's description of it
(`interventions/api/schema.py`) both come from here, so they cannot disagree. No Django in this
module: gunicorn reads it before Django is loaded.
"""

from catalogue.env import env_int

VARIABLE = "GUNICORN_LIMIT_REQUEST_LINE"
# gunicorn's own default, 4094 bytes, refuses the list page with many filter values chosen (every
# value at once is about 7,300 bytes; tests/test_deploy.py measures it on the loaded catalogue).
# 8190 is the most gunicorn accepts: it silently lowers any larger value to that.
MAXIMUM = 8190
DEFAULT = MAXIMUM


def request_line_limit() -> int:
    """The limit in bytes (method, path and query string); ImproperlyConfigured if malformed."""
    return env_int(VARIABLE, DEFAULT, minimum=1, maximum=MAXIMUM)
