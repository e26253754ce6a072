"""Forms of the roles app: delegating one's role."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import DelegationKind


def official_label(user) -> str:
    official = getattr(user, "official", None)
    return f"{official.full_name} — {official.post} ({user.get_username()})" if official else user.get_username()


class DelegationForm(forms.Form):
    assignment = forms.ChoiceField(label=_("Peran yang didelegasikan"))
    delegate = forms.CharField(
        label=_("Penerima delegasi"), max_length=150,
        help_text=_("Nama pengguna atau NIP pejabat penerima; pejabat di daerah Anda (atau di kementerian) "
                    "muncul sebagai saran."),
    )
    kind = forms.ChoiceField(label=_("Jenis"), choices=DelegationKind.choices)
    valid_from = forms.DateField(label=_("Berlaku mulai"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=_("Berlaku sampai"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Alasan"), max_length=300, required=False)

    def __init__(self, *args, assignments=(), candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment"].choices = [(a.pk, f"{a.get_role_display()} — {a.agency}") for a in assignments]
        # Suggestions, not a list of every official in the country: any official can be named by username or NIP.
        self.suggestions = [(u.get_username(), official_label(u)) for u in candidates]
        self.fields["delegate"].widget.attrs.update(list="sp-delegate-suggestions", autocomplete="off")

    def clean_delegate(self):
        """The official named by their username or NIP."""
        named = self.cleaned_data["delegate"].strip()
        user = (get_user_model().objects.filter(username=named, official__isnull=False).first()
                or get_user_model().objects.filter(official__nip=named).exclude(official__nip="").first())
        if user is None:
            raise forms.ValidationError(_("Tidak ada pejabat dengan nama pengguna atau NIP itu."))
        return user
