import os
import threading

from django.core.wsgi import get_wsgi_application

from sepakat.base_url import require_base_url
from sepakat.environment import WEB, require_production_env

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sepakat.settings")
require_production_env(WEB)  # before setup: one message naming every missing variable, not a traceback about one
application = get_wsgi_application()
require_base_url()  # after setup: refuse to serve documents under a wrong public address

# The first signature would load the signing authority (~1.5 s of key decryption): load it beside the first
# requests instead, in each process that serves (gunicorn's workers, runserver).
from agreements.pki import authority_preload  # noqa: E402 - after setup

threading.Thread(target=authority_preload, name="authority-preload", daemon=True).start()
