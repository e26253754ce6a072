"""Re-derive every user's permissions from the role assignments and delegations in force today.

Assignments and delegations with dates start and end without anyone saving
them; running this daily (e.g. from cron, shortly after midnight) makes the
permissions follow. Safe to run at any time: a second run changes nothing.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from audit.actions import AuditAction
from audit.services import event_record
from permissions.services import role_sync_all


class Command(BaseCommand):
    help = "Menurunkan ulang semua izin dari penugasan peran yang berlaku hari ini (aman dijalankan kapan saja)."

    def handle(self, *args, **options):
        with transaction.atomic():
            report = role_sync_all()
            if report.changed:
                event_record(
                    actor=None, action=AuditAction.ROLE_SYNCED,
                    details={"granted": len(report.granted), "revoked": len(report.revoked),
                             "granted_permissions": report.granted, "revoked_permissions": report.revoked},
                )
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
