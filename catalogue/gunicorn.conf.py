"""gunicorn settings for production: `gunicorn -c catalogue/gunicorn.conf.py`.

gunicorn listens on plain HTTP behind a TLS-terminating reverse proxy (which sets
X-Forwarded-Proto). Django's own settings come from the same environment, read by the same
helpers (catalogue/env.py); a malformed value stops start-up with a message that names it.
"""

import multiprocessing
import os

from django.core.exceptions import ImproperlyConfigured

from catalogue.env import env_int
from catalogue.request_limits import request_line_limit


def _env_int(name: str, default: int, minimum: int = 1) -> int:
    try:
        return env_int(name, default, minimum=minimum)
    except ImproperlyConfigured as error:
        raise SystemExit(str(error)) from None


wsgi_app = "catalogue.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
# The usual (2 x cores) + 1 sync workers, capped: each holds a database connection.
workers = _env_int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 9))
threads = _env_int("GUNICORN_THREADS", 1)
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = timeout
keepalive = 5
# Recycle workers now and then so that slow memory growth cannot accumulate.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 1000, minimum=0)
max_requests_jitter = max_requests // 10
# Import Django once in the master: a bad setting fails before any worker starts.
preload_app = True
# The list page's query string holds every filter value chosen; gunicorn's default refuses a
# long selection with its own 414 page (see catalogue/request_limits.py).
try:
    limit_request_line = request_line_limit()
except ImproperlyConfigured as error:
    raise SystemExit(str(error)) from None
# Only the proxy may say that the original request was HTTPS.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Heartbeat files on tmpfs, so a slow disk cannot make the master kill healthy workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "indsatskataloget"
# gunicorn 25+ opens a control socket in $HOME by default; nothing here uses it.
control_socket_disable = True
