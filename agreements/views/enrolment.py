"""First use of signing: the official sets a passphrase and receives a certificate."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import generic

from .. import signatures
from ..forms import EnrolForm
from ..models import SigningCredential

PASSPHRASE_SET = _("Passphrase tanda tangan tersimpan dan sertifikat Anda diterbitkan.")


class EnrolView(generic.FormView):
    """First use: the official sets a signing passphrase and receives a certificate."""

    template_name = "agreements/enrol.html"
    form_class = EnrolForm

    def get_context_data(self, **kwargs):
        eligible = signatures.may_enrol(self.request.user)
        return super().get_context_data(
            credential=SigningCredential.objects.filter(user=self.request.user).first(),
            minimum=settings.SIGNING["PASSPHRASE_MIN_LENGTH"],
            eligible=eligible,
            not_eligible=None if eligible else signatures.NOT_ELIGIBLE,
            **kwargs,
        )

    def form_valid(self, form):
        try:
            signatures.credential_enrol(user=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
            return self.form_invalid(form)
        messages.success(self.request, PASSPHRASE_SET)
        next_url = self.request.GET.get("next", "")
        if url_has_allowed_host_and_scheme(next_url, allowed_hosts={self.request.get_host()}):
            return redirect(next_url)
        return redirect("sepakat:index")
