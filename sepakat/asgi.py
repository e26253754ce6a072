import os

from django.core.asgi import get_asgi_application

from sepakat.base_url import require_base_url

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sepakat.settings")
application = get_asgi_application()
require_base_url()  # after setup: refuse to serve documents under a wrong public address
