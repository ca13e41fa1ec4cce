"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from o2c_api import startup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "o2c_api.settings")
application = get_asgi_application()
startup.settle()
