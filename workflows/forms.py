from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from agreements.models import DecisionKind
from agreements.services import ArticleData, MouDraftData

from . import messages

LIMITS = settings.SEPAKAT


class MouDraftForm(forms.Form):
    title = forms.CharField(
        label=_("Judul"), max_length=LIMITS["TITLE_MAX_LENGTH"],
        widget=forms.TextInput(attrs={"size": 80}),
    )
    number_ministry = forms.CharField(label=_("Nomor pihak kementerian"), max_length=100, required=False)
    number_region = forms.CharField(label=_("Nomor pihak daerah"), max_length=100, required=False)
    preamble = forms.CharField(
        label=_("Pembukaan"), required=False, max_length=LIMITS["ARTICLE_BODY_MAX_LENGTH"],
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ArticleForm(forms.Form):
    heading = forms.CharField(label=_("Judul pasal"), max_length=LIMITS["ARTICLE_HEADING_MAX_LENGTH"])
    body = forms.CharField(
        label=_("Isi pasal"), max_length=LIMITS["ARTICLE_BODY_MAX_LENGTH"], widget=forms.Textarea(attrs={"rows": 4})
    )


ArticleFormSet = forms.formset_factory(
    ArticleForm, extra=1, can_delete=True, min_num=1, validate_min=True, max_num=LIMITS["MAX_ARTICLES"],
    validate_max=True,
)


def draft_data(form: MouDraftForm, formset) -> MouDraftData:
    articles = [
        article.cleaned_data
        for article in formset.forms
        if article.cleaned_data and not article.cleaned_data.get("DELETE")
    ]
    return MouDraftData(
        title=form.cleaned_data["title"],
        number_ministry=form.cleaned_data["number_ministry"],
        number_region=form.cleaned_data["number_region"],
        preamble=form.cleaned_data["preamble"],
        articles=[ArticleData(number=i, heading=a["heading"], body=a["body"]) for i, a in enumerate(articles, 1)],
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Keputusan"), widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Catatan"), required=False, max_length=LIMITS["NOTE_MAX_LENGTH"],
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, decisions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [(kind, DecisionKind(kind).label) for kind in decisions]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") in (DecisionKind.RETURNED, DecisionKind.REJECTED) and not cleaned.get(
            "note", ""
        ).strip():
            self.add_error("note", messages.NOTE_REQUIRED)
        return cleaned
