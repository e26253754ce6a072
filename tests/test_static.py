"""collectstatic leaves out viewflow's unused bulk, and nothing a page loads is among it."""

import re
from pathlib import Path

import viewflow
from django.apps import apps
from django.contrib import admin
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.utils import matches_patterns

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIRS = [ROOT / "templates", Path(viewflow.__file__).parent / "templates",
                 Path(admin.__file__).parent / "templates"]
STATIC_TAG = re.compile(r"""static ['"]([^'"]+)['"]""")


def referenced() -> set[str]:
    found = set()
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            found |= set(STATIC_TAG.findall(path.read_text(errors="ignore")))
    return found


def test_every_static_file_a_template_names_is_collected():
    ignored = apps.get_app_config("staticfiles").ignore_patterns
    names = referenced()
    assert "viewflow/js/viewflow.min.js" in names and "sepakat/site.css" in names
    for name in names:
        assert not matches_patterns(name, ignored), name
        # (viewflow's REST API docs template names swagger files viewflow does not ship; no route here shows it)
        assert finders.find(name) or "contrib/swagger" in name, name


def test_the_bulk_left_out_is_viewflows_dash_node_modules_and_source_maps():
    ignored = apps.get_app_config("staticfiles").ignore_patterns
    assert matches_patterns("viewflow/js/contrib/dash/dcc/plotly.min.js", ignored)
    assert matches_patterns("viewflow/js/node_modules/vis-network/dist/vis-network.min.js", ignored)
    assert matches_patterns("viewflow.min.js.map", ignored)
    assert not matches_patterns("viewflow/js/vis-network.min.js", ignored)
