"""Helpers every page of a case uses."""

from django.http import Http404
from django.urls import reverse

from .. import selectors
from ..models import StageProcess


def case_url(process_pk: int) -> str:
    return reverse("sepakat:case_detail", kwargs={"process_pk": process_pk})


def case_or_404(user, process_pk) -> StageProcess:
    try:
        return selectors.case_for(user, process_pk)
    except StageProcess.DoesNotExist as missing:
        raise Http404 from missing


def errors_of(error) -> list[str]:
    return list(getattr(error, "messages", [str(error)]))
