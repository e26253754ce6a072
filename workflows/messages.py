"""User-facing messages; tests assert on these constants."""

from django.utils.translation import gettext_lazy as _

TASK_ALREADY_DONE = _("Tugas ini sudah diselesaikan. Keputusan Anda sebelumnya yang berlaku.")
NOT_YOUR_TASK = _("Tugas ini tidak diambil oleh Anda. Ambil tugas terlebih dahulu.")
ROLE_REQUIRED = _("Anda tidak memegang peran yang diperlukan untuk tahap ini di daerah ini.")
DECISION_NOT_ALLOWED = _("Keputusan ini tidak tersedia pada tahap ini.")
NOTE_REQUIRED = _("Catatan wajib diisi untuk mengembalikan atau menolak.")
CASE_ALREADY_OPEN = _("Tahap ini sudah berjalan untuk program daerah ini.")
TASK_CLAIMED = _("Tugas diambil. Silakan tinjau dan putuskan.")
TASK_RELEASED = _("Tugas dilepaskan ke antrean.")
DRAFT_SUBMITTED = _("Draf versi %(number)s diajukan.")
DECISION_RECORDED = _("Keputusan tercatat: %(decision)s.")
CASE_OPENED = _("Tahap Nota Kesepakatan dimulai. Tugas penyusunan draf ada di antrean Direktorat LAIP.")
STAGE_ALREADY_DONE = _("Tahap ini sudah selesai untuk program daerah ini.")
