"""WSGI entry point (gunicorn catalogue.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")
application = get_wsgi_application()

# What start-up made (modules, models, settings: ~90,000 objects) lives as long as the process,
# yet every full collection of the cyclic GC walked it again: frozen, a warm worker's full
# collection takes ~30 ms instead of ~65-100 (ADR 0017, eleventh round). Here, not in
# gunicorn.conf.py, so that every server of this module does it; production's preloading master
# does it before the fork. Start-up's garbage is collected first, so none of it is kept for good.
gc.collect()
gc.freeze()
