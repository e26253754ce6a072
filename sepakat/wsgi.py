import os

from django.core.wsgi import get_wsgi_application

from sepakat.base_url import require_base_url
from sepakat.environment import WEB, require_production_env

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sepakat.settings")
require_production_env(WEB)  # before setup: one message naming every missing variable, not a traceback about one
application = get_wsgi_application()
require_base_url()  # after setup: refuse to serve documents under a wrong public address
