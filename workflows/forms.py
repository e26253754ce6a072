import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.draft_forms import text_field
from agreements.forms import passphrase_field
from agreements.models import NEEDS_NOTE, SIGNING, DecisionKind
from agreements.uploads import PdfUploadField
from permissions.forms import official_label

from . import messages


def document_sha256_field():
    """The hash of the file the page showed; the step's service decides on that file only."""
    return forms.RegexField(regex=r"^[0-9a-f]{64}$", required=False, widget=forms.HiddenInput,
                            error_messages={"invalid": messages.DOCUMENT_CHANGED})


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Keputusan"), widget=forms.RadioSelect)
    note = text_field(_("Catatan"), required=False, limit_name="NOTE_MAX_LENGTH")
    document_sha256 = document_sha256_field()

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
        if cleaned.get("decision") in SIGNING and not cleaned.get("passphrase"):
            self.add_error("passphrase", _("Masukkan passphrase untuk menandatangani."))
        return cleaned


class PromulgationForm(forms.Form):
    number = forms.IntegerField(label=_("Nomor peraturan"), min_value=1, max_value=9999)
    year = forms.IntegerField(label=_("Tahun"), min_value=2017, max_value=2100)
    berita_daerah_number = forms.IntegerField(label=_("Nomor Berita Daerah"), min_value=1, max_value=9999)
    note = text_field(_("Catatan"), required=False, limit_name="NOTE_MAX_LENGTH")
    passphrase = passphrase_field()
    document_sha256 = document_sha256_field()


class AttachmentForm(forms.Form):
    version = forms.TypedChoiceField(label=_("Versi"), coerce=int)
    file = PdfUploadField(label=_("Berkas PDF"))

    def __init__(self, *args, versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = [(v.number, f"Versi {v.number}") for v in versions]


class ReassignForm(forms.Form):
    to = forms.ChoiceField(label=_("Alihkan kepada"))
    reason = forms.CharField(label=_("Alasan"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, holders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(u.pk, official_label(u)) for u in holders]
