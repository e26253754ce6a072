"""Audit actions are named in one place, each with the label auditors read."""

import ast
from pathlib import Path

import pytest

from audit.actions import AuditAction
from audit.models import AuditEvent
from audit.services import event_record
from auditing.selectors import action_label, actions_labelled

ROOT = Path(__file__).resolve().parents[2]
OUR_APPS = ("agreements", "audit", "auditing", "demo", "notices", "permissions", "sepakat", "workflows")


def test_every_action_has_an_indonesian_label_of_its_own():
    labels = [str(action.label) for action in AuditAction]
    assert all(label and label != action.value for label, action in zip(labels, AuditAction, strict=True))
    assert len(set(labels)) == len(labels)  # no two actions read the same to an auditor


@pytest.mark.parametrize("code", ["agency.created", "agency.changed", "agency.removed", "region.changed",
                                  "programme.created", "programme.changed", "document.signing_failed",
                                  "document.render_failed"])
def test_the_actions_that_had_no_label_now_read_as_words(code):
    assert action_label(code) != code
    assert code in actions_labelled(action_label(code))


def test_a_plain_string_cannot_be_recorded(db):
    before = AuditEvent.objects.count()
    with pytest.raises(TypeError):
        event_record(actor=None, action="task.finished")
    assert AuditEvent.objects.count() == before


def test_no_code_names_an_action_with_a_string_literal():
    loose = []
    for app in OUR_APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                    "event_record", "_record", "_task_event"
                ):
                    values = [k.value for k in node.keywords if k.arg == "action"] + node.args[2:3]
                    loose += [f"{path.relative_to(ROOT)}:{node.lineno}" for v in values
                              if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    assert loose == []
