"""Forms of the documents app that other apps' pages reuse."""

from django import forms
from django.utils.translation import gettext_lazy as _


def passphrase_field(required=True):
    return forms.CharField(
        label=_("Passphrase tanda tangan"), required=required, strip=False, max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


class EnrolForm(forms.Form):
    passphrase = passphrase_field()
    confirmation = forms.CharField(label=_("Ulangi passphrase"), strip=False, max_length=200,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "off"}))
