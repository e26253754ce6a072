"""Regions, agencies, programmes and the documents each stage produces.

Document versions are write-once: editing a draft makes a new version, and
every decision (review note, paraf, signature) points at the version it was
taken on.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from permissions.roles import CENTRAL_AGENCY_KINDS, AgencyKind, region_permissions


class RegionKind(models.TextChoices):
    KOTA = "kota", _("Kota")
    KABUPATEN = "kabupaten", _("Kabupaten")


class Region(models.Model):
    """A kabupaten or kota taking part in the programme."""

    name = models.CharField(_("nama"), max_length=100, help_text=_("Tanpa 'Kota'/'Kabupaten', mis. Banjar"))
    kind = models.CharField(_("jenis"), max_length=10, choices=RegionKind.choices)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    province = models.CharField(_("provinsi"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("daerah")
        verbose_name_plural = _("daerah")
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="unique_region_kind_name")]
        permissions = region_permissions()

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.get_kind_display()} {self.name}"

    @property
    def head_post(self) -> str:
        """'Wali Kota' for a city, 'Bupati' for a regency."""
        return "Wali Kota" if self.kind == RegionKind.KOTA else "Bupati"

    @property
    def head_title(self) -> str:
        return f"{self.head_post} {self.name}"

    @property
    def government_label(self) -> str:
        return f"Pemerintah {self.display_name}"


class Agency(models.Model):
    """A regional or central agency. Central agencies have no region."""

    region = models.ForeignKey(
        Region, verbose_name=_("daerah"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="agencies",
    )
    kind = models.CharField(_("jenis"), max_length=20, choices=AgencyKind.choices)
    name = models.CharField(_("nama"), max_length=200)
    short_name = models.CharField(_("singkatan"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("perangkat daerah / instansi")
        verbose_name_plural = _("perangkat daerah / instansi")
        ordering = ["region__name", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["region", "kind"], name="unique_agency_per_region"),
            models.UniqueConstraint(
                fields=["kind"], condition=models.Q(region__isnull=True), name="unique_central_agency"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_central(self) -> bool:
        return self.kind in CENTRAL_AGENCY_KINDS


class Programme(models.Model):
    """One region's smart-city programme for one cohort year."""

    region = models.ForeignKey(Region, verbose_name=_("daerah"), on_delete=models.PROTECT, related_name="programmes")
    year = models.PositiveSmallIntegerField(
        _("tahun"), validators=[MinValueValidator(2017), MaxValueValidator(2100)]
    )
    created = models.DateTimeField(_("dibuat"), auto_now_add=True)

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("program")
        ordering = ["-year", "region__name"]
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="unique_programme_per_year")]

    def __str__(self) -> str:
        return f"Gerakan Menuju Kota Cerdas {self.year} — {self.region}"


class MouDocument(models.Model):
    """The Nota Kesepakatan of one case of stage 1."""

    programme = models.ForeignKey(Programme, verbose_name=_("program"), on_delete=models.PROTECT, related_name="mous")
    created = models.DateTimeField(_("dibuat"), auto_now_add=True)

    class Meta:
        verbose_name = _("nota kesepakatan")
        verbose_name_plural = _("nota kesepakatan")

    def __str__(self) -> str:
        return f"Nota Kesepakatan {self.programme.region} {self.programme.year}"

    @property
    def identifier(self) -> str:
        return f"MOU-{self.programme.region.slug}-{self.programme.year}-{self.pk}"

    def latest_version(self):
        return self.versions.order_by("-number").first()


class MouVersion(models.Model):
    """A numbered, write-once version of an MoU draft."""

    document = models.ForeignKey(MouDocument, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("versi"))
    title = models.CharField(_("judul"), max_length=300)
    number_ministry = models.CharField(_("nomor pihak kementerian"), max_length=100, blank=True)
    number_region = models.CharField(_("nomor pihak daerah"), max_length=100, blank=True)
    preamble = models.TextField(_("pembukaan"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(_("dibuat"), auto_now_add=True)

    class Meta:
        verbose_name = _("versi nota kesepakatan")
        verbose_name_plural = _("versi nota kesepakatan")
        ordering = ["document", "number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="unique_mou_version_number")]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"


class MouArticle(models.Model):
    """One article (Pasal) of an MoU version."""

    version = models.ForeignKey(MouVersion, on_delete=models.CASCADE, related_name="articles")
    number = models.PositiveSmallIntegerField(_("pasal"))
    heading = models.CharField(_("judul pasal"), max_length=200)
    body = models.TextField(_("isi pasal"))

    class Meta:
        ordering = ["version", "number"]
        constraints = [models.UniqueConstraint(fields=["version", "number"], name="unique_article_number")]

    def __str__(self) -> str:
        return f"Pasal {self.number} {self.heading}"


class DecisionKind(models.TextChoices):
    SUBMITTED = "submitted", _("Diajukan")
    APPROVED = "approved", _("Disetujui")
    RETURNED = "returned", _("Dikembalikan untuk revisi")
    REJECTED = "rejected", _("Ditolak")
    INITIALLED = "initialled", _("Diparaf")
    SIGNED = "signed", _("Ditandatangani")


class Decision(models.Model):
    """One official's decision at one step, on one version, with their note.

    Name, post and agency are copied at the moment of the decision so that the
    approval sheet keeps showing who acted even after people change posts.
    """

    version = models.ForeignKey(MouVersion, on_delete=models.PROTECT, related_name="decisions")
    process = models.ForeignKey("viewflow.Process", on_delete=models.PROTECT, related_name="+")
    task = models.ForeignKey("viewflow.Task", on_delete=models.PROTECT, related_name="+", null=True)
    step = models.CharField(_("tahap"), max_length=50)
    step_title = models.CharField(_("nama tahap"), max_length=120)
    kind = models.CharField(_("keputusan"), max_length=20, choices=DecisionKind.choices)
    note = models.TextField(_("catatan"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=200)
    actor_post = models.CharField(max_length=200, blank=True)
    actor_agency = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(_("waktu"), auto_now_add=True)

    class Meta:
        verbose_name = _("keputusan")
        verbose_name_plural = _("keputusan")
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return f"{self.step_title}: {self.get_kind_display()} ({self.actor_name})"


class StoredPdf(models.Model):
    """A rendered PDF kept write-once with its hash."""

    document = models.ForeignKey(MouDocument, on_delete=models.PROTECT, related_name="pdfs")
    version = models.ForeignKey(MouVersion, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="pdf/%Y/")
    sha256 = models.CharField(max_length=64)
    data_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the canonical JSON rendered")
    size = models.PositiveIntegerField()
    is_final = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.document.identifier} ({self.sha256[:12]})"
