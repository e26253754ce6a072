"""Forms of the roles app: delegating one's role."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DelegationKind


def official_label(user) -> str:
    official = getattr(user, "official", None)
    return f"{official.full_name} — {official.post} ({user.get_username()})" if official else user.get_username()


class DelegationForm(forms.Form):
    assignment = forms.ChoiceField(label=_("Peran yang didelegasikan"))
    delegate = forms.ChoiceField(label=_("Penerima delegasi"))
    kind = forms.ChoiceField(label=_("Jenis"), choices=DelegationKind.choices)
    valid_from = forms.DateField(label=_("Berlaku mulai"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=_("Berlaku sampai"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Alasan"), max_length=300, required=False)

    def __init__(self, *args, assignments=(), candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment"].choices = [(a.pk, f"{a.get_role_display()} — {a.agency}") for a in assignments]
        self.fields["delegate"].choices = [(u.pk, official_label(u)) for u in candidates]
