"""Every action the audit log can record, each with the label auditors read.

Naming an action through this enumeration is the only way to write one: `event_record`
refuses a plain string, so a new action cannot reach the log without a label.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    AUTH_LOGIN = "auth.login", _("Masuk ke Sepakat")
    AUTH_LOGOUT = "auth.logout", _("Keluar dari Sepakat")
    AUTH_LOGIN_FAILED = "auth.login_failed", _("Gagal masuk")
    CASE_OPENED = "case.opened", _("Kasus dibuka")
    CASE_COMPLETED = "case.completed", _("Kasus selesai")
    TASK_CREATED = "task.created", _("Tugas dibuat")
    TASK_CLAIMED = "task.claimed", _("Tugas diambil")
    TASK_RELEASED = "task.released", _("Tugas dilepaskan")
    TASK_REASSIGNED = "task.reassigned", _("Tugas dialihkan")
    TASK_STARTED = "task.started", _("Tugas mulai dikerjakan")
    TASK_FINISHED = "task.finished", _("Tugas diselesaikan")
    DOCUMENT_VERSION_CREATED = "document.version_created", _("Versi dokumen dibuat")
    DOCUMENT_ATTACHMENT_ADDED = "document.attachment_added", _("Lampiran ditambahkan")
    DOCUMENT_PDF_RENDERED = "document.pdf_rendered", _("PDF untuk ditandatangani dibuat")
    DOCUMENT_PARAF_COPY_MADE = "document.paraf_copy_made", _("PDF untuk diparaf dibuat")
    DOCUMENT_SIGNED = "document.signed", _("Dokumen ditandatangani")
    DOCUMENT_DOWNLOADED = "document.downloaded", _("Dokumen diunduh")
    DOCUMENT_VERIFIED = "document.verified", _("Dokumen diverifikasi: asli")
    DOCUMENT_VERIFICATION_FAILED = "document.verification_failed", _("Verifikasi dokumen gagal")
    SIGNING_CREDENTIAL_ISSUED = "signing.credential_issued", _("Sertifikat tanda tangan diterbitkan")
    SIGNING_AUTHORITY_CREATED = "signing.authority_created", _("Otoritas penandatanganan lokal dibuat dan dicatat")
    SIGNING_SEAL_RECORDED = "signing.seal_recorded", _("Segel sistem (penanda tangan titik periksa) dicatat")
    SIGNING_TSA_REISSUED = "signing.tsa_reissued", _("Sertifikat otoritas cap waktu lokal diterbitkan ulang")
    DOCUMENT_ARCHIVE_TIMESTAMPED = "document.archive_timestamped", _(
        "Dokumen final diberi data validasi dan cap waktu arsip (PAdES B-LTA)")
    SIGNING_AUTHORITY_KEYS_ENCRYPTED = (
        "signing.authority_keys_encrypted",
        _("Kunci otoritas penandatanganan dienkripsi dengan rahasia operator"),
    )
    SIGNING_CREDENTIAL_REVOKED = "signing.credential_revoked", _("Sertifikat tanda tangan dicabut")
    SIGNING_PASSPHRASE_FAILED = "signing.passphrase_failed", _("Passphrase tanda tangan salah")
    SIGNING_KEY_REENCRYPTED = (
        "signing.key_reencrypted",
        _("Kunci tanda tangan dienkripsi ulang dengan biaya KDF terkini"),
    )
    ROLE_ASSIGNED = "role.assigned", _("Peran diberikan")
    ROLE_CHANGED = "role.changed", _("Peran diubah")
    ROLE_ENDED = "role.ended", _("Peran diakhiri")
    ROLE_REMOVED = "role.removed", _("Peran dihapus")
    ROLE_SYNCED = "role.synced", _("Izin peran diselaraskan")
    ROLE_DELEGATED = "role.delegated", _("Wewenang didelegasikan")
    ROLE_DELEGATION_ENDED = "role.delegation_ended", _("Delegasi diakhiri")
    REGION_CREATED = "region.created", _("Daerah ditambahkan")
    AGENCY_RENAMED = "agency.renamed", _("Nama instansi diubah")
    TASK_CANCELED = "task.canceled", _("Tugas dibatalkan oleh administrator")
    TASK_UNDONE = "task.undone", _("Tugas dibatalkan setelah selesai (undo)")
    TASK_REVIVED = "task.revived", _("Tugas dihidupkan kembali")
    ROLE_DELEGATION_CHANGED = "role.delegation_changed", _("Delegasi diubah")
    ROLE_DELEGATION_REMOVED = "role.delegation_removed", _("Delegasi dihapus")
    USER_CREATED = "user.created", _("Akun pengguna dibuat")
    USER_CHANGED = "user.changed", _("Akun pengguna diubah")
    USER_DELETED = "user.deleted", _("Akun pengguna dihapus")
    USER_ACTIVATED = "user.activated", _("Akun pengguna diaktifkan")
    USER_DEACTIVATED = "user.deactivated", _("Akun pengguna dinonaktifkan")
    USER_STAFF_GRANTED = "user.staff_granted", _("Akses admin diberikan")
    USER_STAFF_REVOKED = "user.staff_revoked", _("Akses admin dicabut")
    USER_SUPERUSER_GRANTED = "user.superuser_granted", _("Hak superuser diberikan")
    USER_SUPERUSER_REVOKED = "user.superuser_revoked", _("Hak superuser dicabut")
    USER_PASSWORD_SET = "user.password_set", _("Kata sandi pengguna ditetapkan administrator")
    USER_PASSWORD_CHANGED = "user.password_changed", _("Kata sandi diganti sendiri")
    USER_GROUPS_CHANGED = "user.groups_changed", _("Grup pengguna diubah")
    USER_PERMISSIONS_CHANGED = "user.permissions_changed", _("Izin langsung pengguna diubah")
    GROUP_CHANGED = "group.changed", _("Izin grup diubah")
    OFFICIAL_CREATED = "official.created", _("Profil pejabat dibuat")
    OFFICIAL_CHANGED = "official.changed", _("Profil pejabat diubah (nama, jabatan, NIP)")
    OFFICIAL_REMOVED = "official.removed", _("Profil pejabat dihapus")
    ACCESS_REFUSED = "access.refused", _("Akses ditolak")
    AUDIT_EXPORTED = "audit.exported", _("Jejak audit diekspor")
    AUDIT_BUNDLE_EXPORTED = "audit.bundle_exported", _("Bundel audit diunduh")
    AGENCY_CREATED = "agency.created", _("Instansi ditambahkan")
    AGENCY_CHANGED = "agency.changed", _("Instansi diubah")
    AGENCY_REMOVED = "agency.removed", _("Instansi dihapus")
    REGION_CHANGED = "region.changed", _("Daerah diubah")
    LOGO_CHANGED = "logo.changed", _("Logo kop diganti")
    LOGO_REMOVED = "logo.removed", _("Logo kop dihapus")
    PROGRAMME_CREATED = "programme.created", _("Program dibuat")
    PROGRAMME_CHANGED = "programme.changed", _("Program diubah")
    DOCUMENT_SIGNING_FAILED = "document.signing_failed", _("Penandatanganan dokumen gagal")
    DOCUMENT_RENDER_FAILED = "document.render_failed", _("Pembuatan PDF dokumen gagal")
    DOCUMENT_PREPARATION_RETRIED = "document.preparation_retried", _("Penyiapan dokumen diulang")
