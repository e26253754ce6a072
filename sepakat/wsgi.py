import os

from django.core.wsgi import get_wsgi_application

from sepakat.base_url import require_base_url

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sepakat.settings")
application = get_wsgi_application()
require_base_url()  # after setup: refuse to serve documents under a wrong public address
