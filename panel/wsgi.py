import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings.prod")

application = get_wsgi_application()

# What the application loaded at start (modules, URL patterns, templates) never becomes garbage: moved out of the
# collector's sight, and the first collections triggered less often, so that a page listing hundreds of objects
# does not pay a full collection of the whole process now and then (the mail page's p95 was three times its p50).
gc.freeze()
gc.set_threshold(50_000, 20, 100)
