"""Re-derive every user's permissions from the role assignments and delegations in force today.

Assignments and delegations with dates start and end without anyone saving
them; running this daily (Celery beat does at 00:05, or cron) makes the
permissions follow. Safe to run at any time: a second run changes nothing.
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from permissions.services import roles_sync


class Command(BaseCommand):
    help = "Menurunkan ulang semua izin dari penugasan peran yang berlaku hari ini (aman dijalankan kapan saja)."

    def handle(self, *args, **options):
        report = roles_sync()
        for line in report.granted:
            self.stdout.write(_("diberikan: %(permission)s") % {"permission": line})
        for line in report.revoked:
            self.stdout.write(_("dicabut: %(permission)s") % {"permission": line})
        if report.changed:
            self.stdout.write(self.style.SUCCESS(
                _("%(granted)d izin diberikan, %(revoked)d izin dicabut")
                % {"granted": len(report.granted), "revoked": len(report.revoked)}
            ))
        else:
            self.stdout.write(_("Tidak ada perubahan."))
