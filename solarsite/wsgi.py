"""The WSGI application, as gunicorn serves it (one import per worker process).

Once Django and the URLs' views are loaded (the first request would import the views anyway),
their objects, about 150,000, are moved out of the garbage collector's reach with
`gc.freeze()`. They live as long as the process, and without this every full collection
walks all of them again: the ingest (10,000 new containers per batch of 500 readings) set one
off every few dozen batches, at about a tenth of its time (in-process, serial). Reference
counting still frees everything as before; only cycles among the frozen objects would stay,
and loading makes none worth keeping.

A server process also keeps the fleet's rows fresh in the background (web/refresh.py).
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solarsite.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 - imports every view now, to be frozen below
gc.collect()
gc.freeze()

from web import refresh  # noqa: E402 - needs the application's settings loaded

refresh.enable()
