import datetime

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from agreements.forms import passphrase_field
from agreements.models import NEEDS_NOTE, DecisionKind, Dimension, Horizon
from agreements.services import (
    ArticleData,
    MasterplanDraftData,
    MouDraftData,
    QuickWinData,
    RegulationDraftData,
    RoadmapData,
    quick_win_deadline,
)
from agreements.uploads import PdfUploadField
from permissions.forms import official_label
from sepakat.limits import limit

from . import messages

SIGNING_DECISIONS = (DecisionKind.SIGNED, DecisionKind.PROMULGATED, DecisionKind.ACCEPTED)


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


def _text(label, *, required=True, rows=4, max_length=None, limit_name="ARTICLE_BODY_MAX_LENGTH"):
    widget = forms.Textarea(attrs={"rows": rows})
    if max_length is not None:
        return forms.CharField(label=label, required=required, max_length=max_length, widget=widget)
    return LimitedCharField(limit_name=limit_name, label=label, required=required, widget=widget)


class ArticleForm(forms.Form):
    heading = LimitedCharField(limit_name="ARTICLE_HEADING_MAX_LENGTH", label=_("Judul pasal"))
    body = _text(_("Isi pasal"))


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


class MouDraftForm(TitleForm):
    formsets = {"articles": ArticleFormSet}

    number_ministry = forms.CharField(label=_("Nomor pihak kementerian"), max_length=100, required=False)
    number_region = forms.CharField(label=_("Nomor pihak daerah"), max_length=100, required=False)
    preamble = _text(_("Pembukaan"), required=False, rows=3)

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

    considerations = _text(_("Menimbang (satu butir per baris)"), rows=4)
    legal_basis = _text(_("Mengingat (satu dasar hukum per baris)"), rows=4)

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
    description = _text(_("Uraian"), rows=2, max_length=2000)


QuickWinFormSet = forms.formset_factory(QuickWinForm, extra=1, can_delete=True, min_num=1, validate_min=True,
                                        max_num=30, validate_max=True)
RoadmapFormSet = forms.formset_factory(RoadmapForm, extra=1, can_delete=True, min_num=1, validate_min=True,
                                       max_num=60, validate_max=True)


class MasterplanDraftForm(TitleForm):
    formsets = {"quick_wins": QuickWinFormSet, "roadmap": RoadmapFormSet}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for dimension in Dimension:
            self.fields[f"chapter_{dimension.value}"] = _text(f"Bab {dimension.label}", rows=5)
        self.fields["rpjmd_alignment"] = _text(_("Keselarasan dengan RPJMD"), rows=3)

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


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Keputusan"), widget=forms.RadioSelect)
    note = _text(_("Catatan"), required=False, limit_name="NOTE_MAX_LENGTH")

    def __init__(self, *args, decisions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [(kind, DecisionKind(kind).label) for kind in decisions]
        if len(decisions) == 1:
            self.fields["decision"].initial = decisions[0]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") in NEEDS_NOTE and not cleaned.get("note", "").strip():
            self.add_error("note", messages.NOTE_REQUIRED)
        return cleaned


class LetterForm(DecisionForm):
    letter_number = forms.CharField(label=_("Nomor surat"), max_length=100)
    letter_date = forms.DateField(label=_("Tanggal surat"), widget=forms.DateInput(attrs={"type": "date"}))
    letter_file = PdfUploadField(label=_("Berkas surat (PDF)"))

    def clean_letter_date(self):
        letter_date = self.cleaned_data["letter_date"]
        if letter_date > datetime.date.today():
            raise forms.ValidationError(_("Tanggal surat tidak boleh di masa depan."))
        return letter_date


class SignForm(DecisionForm):
    """A signature step: the signing decision needs the signer's passphrase."""

    passphrase = passphrase_field(required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") in SIGNING_DECISIONS and not cleaned.get("passphrase"):
            self.add_error("passphrase", _("Masukkan passphrase untuk menandatangani."))
        return cleaned


class PromulgationForm(forms.Form):
    number = forms.IntegerField(label=_("Nomor peraturan"), min_value=1, max_value=9999)
    year = forms.IntegerField(label=_("Tahun"), min_value=2017, max_value=2100)
    berita_daerah_number = forms.IntegerField(label=_("Nomor Berita Daerah"), min_value=1, max_value=9999)
    note = _text(_("Catatan"), required=False, limit_name="NOTE_MAX_LENGTH")
    passphrase = passphrase_field()


class AttachmentForm(forms.Form):
    version = forms.TypedChoiceField(label=_("Versi"), coerce=int)
    file = PdfUploadField(label=_("Berkas PDF"))

    def __init__(self, *args, versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = [(v.number, f"Versi {v.number}") for v in versions]


DRAFT_FORMS = {"mou": MouDraftForm, "regulation": RegulationDraftForm, "masterplan": MasterplanDraftForm}


class ReassignForm(forms.Form):
    to = forms.ChoiceField(label=_("Alihkan kepada"))
    reason = forms.CharField(label=_("Alasan"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, holders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(u.pk, official_label(u)) for u in holders]
