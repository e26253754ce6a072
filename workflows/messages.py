"""User-facing messages; tests assert on these constants."""

from django.utils.translation import gettext_lazy as _

TASK_ALREADY_DONE = _("Tugas ini sudah diselesaikan. Keputusan Anda sebelumnya yang berlaku.")
NOT_YOUR_TASK = _("Tugas ini tidak diambil oleh Anda. Ambil tugas terlebih dahulu.")
ROLE_REQUIRED = _("Anda tidak memegang peran yang diperlukan untuk tahap ini di daerah ini.")
DECISION_NOT_ALLOWED = _("Keputusan ini tidak tersedia pada tahap ini.")
NOTE_REQUIRED = _("Catatan wajib diisi untuk mengembalikan atau menolak.")
CASE_ALREADY_OPEN = _("Tahap ini sudah berjalan untuk program daerah ini.")
TASK_TAKEN = _("Tugas sudah diambil oleh %(name)s.")
TASK_CLAIMED = _("Tugas diambil. Silakan tinjau dan putuskan.")
TASK_RELEASED = _("Tugas dilepaskan ke antrean.")
DRAFT_SUBMITTED = _("Draf versi %(number)s diajukan.")
DECISION_RECORDED = _("Keputusan tercatat: %(decision)s.")
CASE_OPENED = _("Tahap Nota Kesepakatan dimulai. Tugas penyusunan draf ada di antrean Direktorat LAIP.")
STAGE_ALREADY_DONE = _("Tahap ini sudah selesai untuk program daerah ini.")
PREVIOUS_STAGE_NOT_DONE = _("Tahap sebelumnya belum selesai; tahap ini belum dapat dimulai.")
ADMIN_ONLY = _("Hanya administrator yang dapat membuka kembali tahap yang ditolak.")
NOTHING_TO_REOPEN = _("Tahap ini tidak ditolak; tidak ada yang dibuka kembali.")
STAGE_REOPENED = _("Tahap dibuka kembali sebagai kasus baru.")
ATTACHMENT_ADDED = _("Lampiran “%(name)s” diunggah pada versi %(number)s.")
NOT_A_PARTICIPANT = _("Hanya pejabat yang berperan dalam tahap ini yang dapat mengunggah lampiran.")
SIGNED_BY = _("Ditandatangani secara elektronik oleh")
PREPARATION_FAILED = _("Dokumen gagal disiapkan untuk ditandatangani.")
SIGNING_UNEXPECTED = _("Tanda tangan tidak tersimpan karena kesalahan sistem (%(error)s). Dokumen tidak berubah; "
                       "coba lagi sebentar lagi. Jika terulang, sampaikan kepada administrator.")
PREPARATION_LOST = _("Dokumen belum juga siap setelah %(attempts)d kali disiapkan.")
ARCHIVE_FAILED = _("Dokumen final gagal diberi data validasi dan cap waktu arsip; coba tanda tangani lagi: %(why)s")
PREPARATION_QUEUED = _("Penyiapan dokumen diulang. Halaman ini akan menampilkan hasilnya.")
REASSIGN_HEAD_ONLY = _("Hanya kepala instansi yang menjalankan tahap ini yang dapat mengalihkan tugas.")
REASSIGN_NOT_CLAIMED = _("Hanya tugas yang sudah diambil yang dapat dialihkan.")
REASSIGN_REASON_REQUIRED = _("Alasan pengalihan wajib diisi.")
REASSIGN_NOT_HOLDER = _("Tugas hanya dapat dialihkan kepada pemegang lain peran tahap ini.")
TASK_REASSIGNED = _("Tugas dialihkan kepada %(name)s.")
DOCUMENT_NOT_READ = _("Buka dokumen pada halaman tahap ini sebelum memutuskan: keputusan dicatat atas berkas "
                      "yang Anda baca (SHA-256 pada halaman).")
DOCUMENT_CHANGED = _("Dokumen telah berubah sejak halaman ini dibuka. Buka kembali tahap ini dari halaman kasus, "
                     "baca berkas yang baru, lalu putuskan lagi.")
WRONG_STEP = _("Tindakan ini bukan tindakan tahap ini; setiap keputusan diambil melalui halaman tahapnya sendiri.")
SIGNATURE_MISSING = _("Keputusan tanda tangan hanya tercatat bila tanda tangan elektronik benar-benar dibubuhkan "
                      "dan lolos verifikasi.")
SIGNS_TWICE = _("Anda sudah menandatangani dokumen ini; satu orang tidak menandatangani satu dokumen dua kali.")
OWN_DRAFT = _("Anda menyusun draf dokumen ini; penyusun tidak meninjau atau memaraf drafnya sendiri.")
