"""The official's notification settings (notices.services.preference_save saves them)."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from permissions.models import WHATSAPP_NUMBER

from .models import DigestMode

WHATSAPP_NUMBER_NEEDED = _("Isi nomor WhatsApp Anda untuk menerima pemberitahuan lewat WhatsApp.")
WHATSAPP_NEEDS_PROFILE = _("Akun ini tidak memiliki profil pejabat, jadi nomor WhatsApp tidak dapat disimpan. "
                           "Hubungi administrator.")
EMAIL_MISSING = _("Akun Anda belum memiliki alamat surel, jadi pemberitahuan lewat surel tidak dapat dikirim. "
                  "Hubungi administrator untuk menambahkannya.")

# What people type around the digits: spaces, dashes, dots, brackets ("0812-3456-7890", "+62 812 3456 7890").
SEPARATORS = re.compile(r"[\s\-.()]")


def normalised_number(value: str) -> str:
    """The number in the +62 form the profile keeps: separators dropped, a leading 0 or 62 made +62
    (0812… and 62812… are the same number as +62812…). Anything else is left for the validator to refuse."""
    number = SEPARATORS.sub("", value or "")
    if number.startswith("0"):
        return "+62" + number[1:]
    if number.startswith("62"):
        return "+" + number
    return number


class NoticeSettingsForm(forms.Form):
    by_email = forms.BooleanField(label=_("Kirim lewat surel"), required=False)
    by_whatsapp = forms.BooleanField(label=_("Kirim lewat WhatsApp"), required=False)
    whatsapp_number = forms.CharField(
        label=_("Nomor WhatsApp"), required=False, max_length=24,
        help_text=_("Format +62, mis. +6281234567890."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "+6281234567890"}),
    )
    mode = forms.ChoiceField(label=_("Cara pengiriman"), choices=DigestMode.choices, widget=forms.RadioSelect)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.has_profile = hasattr(user, "official")
        if not user.email:
            self.fields["by_email"].disabled = True
            self.fields["by_email"].help_text = EMAIL_MISSING
        if not self.has_profile:
            for name in ("by_whatsapp", "whatsapp_number"):
                self.fields[name].disabled = True
            self.fields["by_whatsapp"].help_text = WHATSAPP_NEEDS_PROFILE

    def clean_by_email(self):
        return bool(self.cleaned_data.get("by_email")) and bool(self.user.email)

    def clean_whatsapp_number(self):
        number = normalised_number(self.cleaned_data.get("whatsapp_number", ""))
        if number:
            WHATSAPP_NUMBER(number)
        return number

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("by_whatsapp") and "whatsapp_number" in cleaned and not cleaned["whatsapp_number"]:
            self.add_error("whatsapp_number", WHATSAPP_NUMBER_NEEDED)
        return cleaned
