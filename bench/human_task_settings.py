"""sepakat.settings for bench/human_task.py, plus what its bare flow needs.

viewflow stores a flow by the app that contains its module, so the bench package is an app here (it
has no models); and the URLconf is Sepakat's with the bare flow under /bare/ (bench/human_task_urls.py).
"""

from sepakat.settings import *  # noqa: F403
from sepakat.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.human_task_urls"
