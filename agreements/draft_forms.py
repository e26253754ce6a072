"""The forms a drafter writes each kind of document in: title, articles, chapters, quick wins, roadmap.

Each form's ``draft_data()`` gives the draft data its kind's version service takes, and
``initial_from()`` turns draft data (the starter text, or the latest version) back into
the form's starting values.
"""

import dataclasses

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from sepakat.limits import limit

from .models import Dimension, Horizon
from .services import (
    ArticleData,
    MasterplanDraftData,
    MouDraftData,
    QuickWinData,
    RegulationDraftData,
    RoadmapData,
    quick_win_deadline,
)


class LimitedCharField(forms.CharField):
    """A CharField whose max_length is one of settings.SEPAKAT's limits, read each time a form is made."""

    def __init__(self, *, limit_name: str, **kwargs):
        self.limit_name = limit_name
        super().__init__(max_length=limit(limit_name), **kwargs)

    def __deepcopy__(self, memo):
        # Every form copies its class's fields when it is made: the copy takes the limit in force now.
        field = super().__deepcopy__(memo)
        field.max_length = limit(self.limit_name)
        field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
        field.validators.append(MaxLengthValidator(field.max_length))
        field.widget.attrs.update(field.widget_attrs(field.widget))
        return field


def text_field(label, *, required=True, rows=4, max_length=None, limit_name="ARTICLE_BODY_MAX_LENGTH"):
    widget = forms.Textarea(attrs={"rows": rows})
    if max_length is not None:
        return forms.CharField(label=label, required=required, max_length=max_length, widget=widget)
    return LimitedCharField(limit_name=limit_name, label=label, required=required, widget=widget)


class ArticleForm(forms.Form):
    heading = LimitedCharField(limit_name="ARTICLE_HEADING_MAX_LENGTH", label=_("Judul pasal"))
    body = text_field(_("Isi pasal"))


class BaseArticleFormSet(forms.BaseFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_num = limit("MAX_ARTICLES")
        self.absolute_max = self.max_num + forms.formsets.DEFAULT_MAX_NUM


ArticleFormSet = forms.formset_factory(
    ArticleForm, formset=BaseArticleFormSet, extra=1, can_delete=True, min_num=1, validate_min=True,
    validate_max=True,
)


def _kept(formset) -> list[dict]:
    return [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


def _articles(formset) -> list[ArticleData]:
    return [ArticleData(number=i, heading=a["heading"], body=a["body"]) for i, a in enumerate(_kept(formset), 1)]


class TitleForm(forms.Form):
    title = LimitedCharField(
        limit_name="TITLE_MAX_LENGTH", label=_("Judul"), widget=forms.TextInput(attrs={"size": 80})
    )

    @classmethod
    def initial_from(cls, data) -> dict:
        """Draft data as starting values: fields by name, each formset's rows under its name."""
        return dataclasses.asdict(data)


class MouDraftForm(TitleForm):
    formsets = {"articles": ArticleFormSet}

    number_ministry = forms.CharField(label=_("Nomor pihak kementerian"), max_length=100, required=False)
    number_region = forms.CharField(label=_("Nomor pihak daerah"), max_length=100, required=False)
    preamble = text_field(_("Pembukaan"), required=False, rows=3)

    def draft_data(self, formsets) -> MouDraftData:
        return MouDraftData(
            title=self.cleaned_data["title"],
            number_ministry=self.cleaned_data["number_ministry"],
            number_region=self.cleaned_data["number_region"],
            preamble=self.cleaned_data["preamble"],
            articles=_articles(formsets["articles"]),
        )


class RegulationDraftForm(TitleForm):
    formsets = {"articles": ArticleFormSet}

    considerations = text_field(_("Menimbang (satu butir per baris)"), rows=4)
    legal_basis = text_field(_("Mengingat (satu dasar hukum per baris)"), rows=4)

    def draft_data(self, formsets) -> RegulationDraftData:
        return RegulationDraftData(
            title=self.cleaned_data["title"],
            considerations=self.cleaned_data["considerations"],
            legal_basis=self.cleaned_data["legal_basis"],
            articles=_articles(formsets["articles"]),
        )


class QuickWinForm(forms.Form):
    name = forms.CharField(label=_("Nama program cepat"), max_length=200)
    dimension = forms.ChoiceField(label=_("Dimensi"), choices=Dimension.choices)
    responsible_agency = forms.CharField(label=_("Perangkat daerah penanggung jawab"), max_length=200)
    target_date = forms.DateField(label=_("Target selesai"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean_target_date(self):
        target = self.cleaned_data["target_date"]
        deadline = quick_win_deadline()
        if target > deadline:
            raise forms.ValidationError(
                _("Target program cepat paling lambat 12 bulan, yaitu %(date)s.") % {"date": f"{deadline:%d-%m-%Y}"}
            )
        return target


class RoadmapForm(forms.Form):
    horizon = forms.TypedChoiceField(
        label=_("Horizon"), choices=[("", "—"), *Horizon.choices], coerce=int,
        error_messages={"required": _("Pilih horizon 1, 5, atau 10 tahun.")},
    )
    dimension = forms.ChoiceField(label=_("Dimensi"), choices=Dimension.choices)
    description = text_field(_("Uraian"), rows=2, max_length=2000)


QuickWinFormSet = forms.formset_factory(QuickWinForm, extra=1, can_delete=True, min_num=1, validate_min=True,
                                        max_num=30, validate_max=True)
RoadmapFormSet = forms.formset_factory(RoadmapForm, extra=1, can_delete=True, min_num=1, validate_min=True,
                                       max_num=60, validate_max=True)


class MasterplanDraftForm(TitleForm):
    formsets = {"quick_wins": QuickWinFormSet, "roadmap": RoadmapFormSet}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for dimension in Dimension:
            self.fields[f"chapter_{dimension.value}"] = text_field(f"Bab {dimension.label}", rows=5)
        self.fields["rpjmd_alignment"] = text_field(_("Keselarasan dengan RPJMD"), rows=3)

    @classmethod
    def initial_from(cls, data: MasterplanDraftData) -> dict:
        values = dataclasses.asdict(data)
        chapters = values.pop("chapters")
        values.update({f"chapter_{dimension}": body for dimension, body in chapters.items()})
        return values

    def chapter_fields(self):
        return [self[f"chapter_{d.value}"] for d in Dimension]

    def draft_data(self, formsets) -> MasterplanDraftData:
        return MasterplanDraftData(
            title=self.cleaned_data["title"],
            chapters={d.value: self.cleaned_data[f"chapter_{d.value}"] for d in Dimension},
            rpjmd_alignment=self.cleaned_data["rpjmd_alignment"],
            quick_wins=[QuickWinData(**{k: w[k] for k in ("name", "dimension", "responsible_agency", "target_date")})
                        for w in _kept(formsets["quick_wins"])],
            roadmap=[RoadmapData(horizon=r["horizon"], dimension=r["dimension"], description=r["description"])
                     for r in _kept(formsets["roadmap"])],
        )
