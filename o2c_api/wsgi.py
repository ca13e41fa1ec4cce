"""WSGI entry point."""

import os

from django.core.wsgi import get_wsgi_application

from o2c_api import startup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "o2c_api.settings")
application = get_wsgi_application()
startup.settle()
