"""Regions, agencies, programmes and the documents each stage produces.

Document versions are write-once: editing a draft makes a new version, and
every decision (review note, paraf, signature) points at the version it was
taken on.
"""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from .agencies import CENTRAL_AGENCY_KINDS, AgencyKind, region_permissions


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


class LogoType(models.TextChoices):
    PNG = "image/png", "PNG"
    SVG = "image/svg+xml", "SVG"


class Logo(models.Model):
    """The emblem in a document's kop: a region's, or the ministry's (no region). See agreements/logos.py."""

    region = models.OneToOneField(Region, on_delete=models.CASCADE, null=True, blank=True, related_name="logo",
                                  verbose_name=_("daerah"), help_text=_("Kosongkan untuk logo kementerian."))
    content_type = models.CharField(_("jenis berkas"), max_length=20, choices=LogoType.choices)
    image = models.BinaryField(_("gambar"))
    sha256 = models.CharField("SHA-256", max_length=64)
    updated = models.DateTimeField(_("diperbarui"), auto_now=True)

    class Meta:
        verbose_name = _("logo kop")
        verbose_name_plural = _("logo kop")
        # One per region, and one ministry logo (NULL region): NULLs would not collide in a plain unique index.
        constraints = [models.UniqueConstraint(
            Coalesce("region", 0), name="one_logo_per_owner",
            violation_error_message=_("Logo untuk pemilik ini sudah ada: ubah logo yang ada."),
        )]

    def __str__(self) -> str:
        return self.owner_label

    @property
    def owner_label(self) -> str:
        return str(self.region) if self.region_id else str(_("Kementerian"))


class Agency(models.Model):
    """A regional or central agency. Central agencies have no region."""

    region = models.ForeignKey(
        Region,
        verbose_name=_("daerah"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
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
    year = models.PositiveSmallIntegerField(_("tahun"), validators=[MinValueValidator(2017), MaxValueValidator(2100)])
    created = models.DateTimeField(_("dibuat"), auto_now_add=True)

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("program")
        ordering = ["-year", "region__name"]
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="unique_programme_per_year")]

    def __str__(self) -> str:
        return f"Gerakan Menuju Kota Cerdas {self.year} — {self.region}"


class DocumentKind(models.TextChoices):
    MOU = "mou", _("Nota Kesepakatan")
    REGULATION = "regulation", _("Peraturan Kepala Daerah")
    MASTERPLAN = "masterplan", _("Masterplan Kota Cerdas")


VERIFICATION_TOKEN_BYTES = 16  # 128 random bits: 22 URL-safe characters


def new_verification_token() -> str:
    """The unguessable code a document's QR code and footer carry (/verifikasi/<code>/)."""
    return secrets.token_urlsafe(VERIFICATION_TOKEN_BYTES)


class Document(models.Model):
    """The document one case of one stage produces, through its numbered versions."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("program"), on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(_("jenis dokumen"), max_length=20, choices=DocumentKind.choices)
    created = models.DateTimeField(_("dibuat"), auto_now_add=True)
    # The public verification page finds a document only by this code, never by its identifier
    # (KIND-region-year-pk is predictable, so it would let anyone enumerate documents).
    verification_token = models.CharField(
        _("kode verifikasi"), max_length=43, unique=True, default=new_verification_token, editable=False
    )

    class Meta:
        verbose_name = _("dokumen")
        verbose_name_plural = _("dokumen")
        ordering = ["programme", "created"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.programme.region} {self.programme.year}"

    @property
    def identifier(self) -> str:
        from .kinds import kind_spec  # the kinds table is built from this module's models

        prefix = kind_spec(self.kind).identifier_prefix
        return f"{prefix}-{self.programme.region.slug}-{self.programme.year}-{self.pk}"

    def latest_version(self):
        return self.versions.order_by("-number").first()

    @property
    def verification_url(self) -> str:
        """What the QR code encodes: the public verification page of this document."""
        return f"{settings.SEPAKAT_BASE_URL}/verifikasi/{self.verification_token}/"


class Version(models.Model):
    """A numbered, write-once version of a draft. Fields a kind does not use stay blank."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("versi"))
    title = models.CharField(_("judul"), max_length=300)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(_("dibuat"), auto_now_add=True)
    # Nota Kesepakatan
    number_ministry = models.CharField(_("nomor pihak kementerian"), max_length=100, blank=True)
    number_region = models.CharField(_("nomor pihak daerah"), max_length=100, blank=True)
    preamble = models.TextField(_("pembukaan"), blank=True)
    # Peraturan: one item per line
    considerations = models.TextField(_("menimbang"), blank=True)
    legal_basis = models.TextField(_("mengingat"), blank=True)
    # Masterplan
    rpjmd_alignment = models.TextField(_("keselarasan dengan RPJMD"), blank=True)

    class Meta:
        verbose_name = _("versi dokumen")
        verbose_name_plural = _("versi dokumen")
        ordering = ["document", "number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="unique_version_number")]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"

    @property
    def consideration_items(self) -> list[str]:
        return [line.strip() for line in self.considerations.splitlines() if line.strip()]

    @property
    def legal_basis_items(self) -> list[str]:
        return [line.strip() for line in self.legal_basis.splitlines() if line.strip()]


class Article(models.Model):
    """One article (Pasal) of an MoU or regulation version."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="articles")
    number = models.PositiveSmallIntegerField(_("pasal"))
    heading = models.CharField(_("judul pasal"), max_length=200)
    body = models.TextField(_("isi pasal"))

    class Meta:
        ordering = ["version", "number"]
        constraints = [models.UniqueConstraint(fields=["version", "number"], name="unique_article_number")]

    def __str__(self) -> str:
        return f"Pasal {self.number} {self.heading}"


class Dimension(models.TextChoices):
    GOVERNANCE = "smart_governance", "Smart Governance"
    BRANDING = "smart_branding", "Smart Branding"
    ECONOMY = "smart_economy", "Smart Economy"
    LIVING = "smart_living", "Smart Living"
    SOCIETY = "smart_society", "Smart Society"
    ENVIRONMENT = "smart_environment", "Smart Environment"


class Chapter(models.Model):
    """A masterplan chapter: one per smart-city dimension."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="chapters")
    dimension = models.CharField(_("dimensi"), max_length=30, choices=Dimension.choices)
    body = models.TextField(_("isi bab"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "dimension"], name="unique_chapter_dimension")]

    def __str__(self) -> str:
        return self.get_dimension_display()


class QuickWin(models.Model):
    """A programme with results within 12 months of acceptance."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="quick_wins")
    name = models.CharField(_("nama program"), max_length=200)
    dimension = models.CharField(_("dimensi"), max_length=30, choices=Dimension.choices)
    responsible_agency = models.CharField(_("perangkat daerah penanggung jawab"), max_length=200)
    target_date = models.DateField(_("target selesai"))

    class Meta:
        ordering = ["version", "target_date", "pk"]

    def __str__(self) -> str:
        return self.name


class Horizon(models.IntegerChoices):
    SHORT = 1, _("Jangka pendek (1 tahun)")
    MEDIUM = 5, _("Jangka menengah (5 tahun)")
    LONG = 10, _("Jangka panjang (10 tahun)")


class RoadmapItem(models.Model):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="roadmap")
    horizon = models.PositiveSmallIntegerField(_("horizon"), choices=Horizon.choices)
    dimension = models.CharField(_("dimensi"), max_length=30, choices=Dimension.choices)
    description = models.TextField(_("uraian"))

    class Meta:
        ordering = ["version", "horizon", "pk"]

    def __str__(self) -> str:
        return f"{self.get_horizon_display()}: {self.description[:40]}"


class Attachment(models.Model):
    """A supporting PDF on a version, kept with its original name and hash."""

    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to="lampiran/%Y/")
    original_name = models.CharField(_("nama berkas"), max_length=200)
    size = models.PositiveIntegerField(_("ukuran"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(_("diunggah"), auto_now_add=True)

    class Meta:
        verbose_name = _("lampiran")
        verbose_name_plural = _("lampiran")
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return self.original_name


class LetterOutcome(models.TextChoices):
    IN_LINE = "in_line", _("Sesuai")
    NEEDS_CHANGES = "needs_changes", _("Perlu perubahan")


class HarmonisationLetter(models.Model):
    """The law ministry's harmonisation letter on a regulation draft (step 2.4)."""

    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="harmonisation_letters")
    letter_number = models.CharField(_("nomor surat"), max_length=100)
    letter_date = models.DateField(_("tanggal surat"))
    outcome = models.CharField(_("hasil"), max_length=20, choices=LetterOutcome.choices)
    attachment = models.OneToOneField(Attachment, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created"]

    def __str__(self) -> str:
        return f"{self.letter_number} ({self.get_outcome_display()})"


class Promulgation(models.Model):
    """A regulation's number and its Berita Daerah number, assigned by the Sekda."""

    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="promulgation")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("tahun"))
    number = models.PositiveIntegerField(_("nomor peraturan"))
    berita_daerah_number = models.PositiveIntegerField(_("nomor Berita Daerah"))
    promulgated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "number"], name="unique_regulation_number"),
            models.UniqueConstraint(
                fields=["region", "year", "berita_daerah_number"], name="unique_berita_daerah_number"
            ),
        ]

    def __str__(self) -> str:
        return f"Nomor {self.number} Tahun {self.year}"


class DecisionKind(models.TextChoices):
    SUBMITTED = "submitted", _("Diajukan")
    APPROVED = "approved", _("Disetujui")
    RETURNED = "returned", _("Dikembalikan untuk revisi")
    REJECTED = "rejected", _("Ditolak")
    INITIALLED = "initialled", _("Diparaf")
    SIGNED = "signed", _("Ditandatangani")
    LETTER_IN_LINE = "letter_in_line", _("Surat harmonisasi: sesuai")
    LETTER_NEEDS_CHANGES = "letter_needs_changes", _("Surat harmonisasi: perlu perubahan")
    PROMULGATED = "promulgated", _("Diundangkan")
    ACCEPTED = "accepted", _("Diterima")


# How a decision moves the case: on, back to the drafter, or to the end.
APPROVING = frozenset(
    {
        DecisionKind.SUBMITTED,
        DecisionKind.APPROVED,
        DecisionKind.INITIALLED,
        DecisionKind.SIGNED,
        DecisionKind.LETTER_IN_LINE,
        DecisionKind.PROMULGATED,
        DecisionKind.ACCEPTED,
    }
)
RETURNING = frozenset({DecisionKind.RETURNED, DecisionKind.LETTER_NEEDS_CHANGES})
NEEDS_NOTE = frozenset({DecisionKind.RETURNED, DecisionKind.REJECTED, DecisionKind.LETTER_NEEDS_CHANGES})
# Decisions that put a signature on the document (and so need the signer's passphrase).
SIGNING = frozenset({DecisionKind.SIGNED, DecisionKind.PROMULGATED, DecisionKind.ACCEPTED})


class Decision(models.Model):
    """One official's decision at one step, on one version, with their note.

    Name, post and agency are copied at the moment of the decision so that the
    approval sheet keeps showing who acted even after people change posts.
    """

    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="decisions")
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
    document_sha256 = models.CharField(
        max_length=64, blank=True,
        help_text="The file decided on: at a paraf step the version's PDF (a ParafCopy), "
                            "at a signature the revision signed (a StoredPdf)",
    )
    created = models.DateTimeField(_("waktu"), auto_now_add=True)

    class Meta:
        verbose_name = _("keputusan")
        verbose_name_plural = _("keputusan")
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return f"{self.step_title}: {self.get_kind_display()} ({self.actor_name})"


class StoredPdf(models.Model):
    """One revision of a stage's document PDF, kept write-once.

    Revision 0 is the rendered document; each signature appends one incremental
    update and makes the next revision, pointing at its parent by hash.
    """

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="pdfs")
    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to="pdf/%Y/")
    sha256 = models.CharField(max_length=64, db_index=True)
    parent_sha256 = models.CharField(max_length=64, blank=True)
    data_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the canonical JSON rendered")
    size = models.PositiveIntegerField()
    is_final = models.BooleanField(default=False, help_text="The stage's completed, fully signed document")
    previous_stage_sha256 = models.CharField(max_length=64, blank=True, help_text="Final PDF of the stage before")
    signature_boxes = models.JSONField(default=dict, help_text="Where each signer's stamp goes")
    fill_fields = models.JSONField(default=list, blank=True,
                                   help_text="The blanks (text fields isi_<step>_<what>) each signing step fills")
    software = models.CharField(max_length=200, blank=True, help_text="Template and library versions")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "revision"]
        constraints = [models.UniqueConstraint(fields=["document", "version", "revision"], name="unique_pdf_revision")]

    def __str__(self) -> str:
        return f"{self.document.identifier} r{self.revision} ({self.sha256[:12]})"


class ParafCopy(models.Model):
    """The version's PDF exactly as a paraf step showed it, kept write-once by its hash.

    The draft rendering carries the decisions made so far, so each paraf may be on a
    different file; the decision keeps the hash, this row keeps the file.
    """

    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="paraf_copies")
    sha256 = models.CharField(max_length=64, unique=True)
    data_sha256 = models.CharField(max_length=64, db_index=True,
                                   help_text="SHA-256 of the canonical JSON rendered: the case as it stood")
    file = models.FileField(upload_to="paraf/%Y/")
    size = models.PositiveIntegerField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version", "created"]

    def __str__(self) -> str:
        return f"{self.version.document.identifier} v{self.version.number} paraf ({self.sha256[:12]})"


class SigningCredential(models.Model):
    """An official's signing certificate and private key, encrypted with their passphrase."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signing_credential")
    cert_pem = models.TextField()
    encrypted_key_pem = models.TextField()
    serial = models.CharField(max_length=64)
    fingerprint_sha256 = models.CharField(max_length=64, unique=True)
    not_after = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(_("dicabut pada"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sertifikat tanda tangan")
        verbose_name_plural = _("sertifikat tanda tangan")

    def __str__(self) -> str:
        return f"{self.user} ({self.fingerprint_sha256[:16]})"


class RevokedCertificate(models.Model):
    """A signer certificate the local CA revoked: listed in its CRL and answered "revoked" by its OCSP responder.

    Kept write-once (migration 0008), also after the official is issued a new certificate.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    serial = models.CharField(max_length=64, unique=True)
    fingerprint_sha256 = models.CharField(max_length=64, unique=True)
    revoked_at = models.DateTimeField(_("dicabut pada"))
    reason = models.CharField(_("alasan"), max_length=200)

    class Meta:
        verbose_name = _("sertifikat dicabut")
        verbose_name_plural = _("sertifikat dicabut")
        ordering = ["revoked_at", "pk"]

    def __str__(self) -> str:
        return f"{self.serial} ({self.reason})"


class SignatureRecord(models.Model):
    """One signature inside a stored PDF revision, with what verifying it found."""

    pdf = models.ForeignKey(StoredPdf, on_delete=models.PROTECT, related_name="signature_records")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    step = models.CharField(max_length=50)
    field_name = models.CharField(max_length=80)
    signer_name = models.CharField(max_length=200)
    signer_post = models.CharField(max_length=200, blank=True)
    certificate_fingerprint = models.CharField(max_length=64)
    certificate_serial = models.CharField(max_length=64)
    signing_time = models.DateTimeField(null=True)
    timestamp_time = models.DateTimeField(null=True)
    validation_ok = models.BooleanField()
    validation_report = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self) -> str:
        return f"{self.signer_name} — {self.field_name}"


class VerificationChannel(models.TextChoices):
    CODE = "code", _("kode verifikasi (QR)")
    UPLOAD = "upload", _("unggah berkas")


class VerificationOutcome(models.TextChoices):
    GENUINE = "genuine", _("asli")
    NOT_GENUINE = "not_genuine", _("tidak dapat dipastikan asli")
    NOT_FOUND = "not_found", _("tidak ditemukan")
    REFUSED = "refused", _("berkas ditolak")
    LIMITED = "limited", _("dibatasi (terlalu banyak permintaan)")


class VerificationCount(models.Model):
    """How often the public verification page was used: one counter per day, document, channel, outcome.

    Anonymous lookups are counted here, not written to the hash-chained audit log, so nobody can
    grow that log at will: one client adds at most one row per document and day, however often it asks.
    """

    day = models.DateField(_("tanggal"))
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("cara"), max_length=10, choices=VerificationChannel.choices)
    outcome = models.CharField(_("hasil"), max_length=12, choices=VerificationOutcome.choices)
    count = models.PositiveIntegerField(_("jumlah"), default=0)

    class Meta:
        verbose_name = _("hitungan verifikasi")
        verbose_name_plural = _("hitungan verifikasi")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["day", "document", "channel", "outcome"], name="unique_verification_count"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.document_id or '-'} {self.channel} {self.outcome}: {self.count}"
