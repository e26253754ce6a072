"""Walk the audit chain and report the first broken link.

Exit status 0 when the chain is intact, 1 when it is not. Rows are read in sequence
order as plain tuples, ``--chunk-size`` at a time (keyset pagination: pk > the last read),
so memory stays flat however long the log is.
Every signed checkpoint (audit.Checkpoint) must verify and match the event it names, so a
rewrite of anything before the latest checkpoint is found with no old head kept by hand.
``--checkpoints FILE`` checks against a copy taken from the public list
(``/verifikasi/log-audit.json``) as well: a checkpoint deleted from the database is still
in the copy. ``--expect-hash`` still catches events removed after the last checkpoint.
"""

import base64
import json
from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.models import Checkpoint
from audit.services import CHAIN_CHUNK, GENESIS_HASH, anchors_of, chain_check, checkpoint_anchors, guard_installed

BAD_COPY = "Salinan titik periksa %(path)s tidak dapat dibaca: %(why)s"

GUARD_MISSING = (
    "Peringatan: trigger append-only pada tabel audit_auditevent tidak terpasang; "
    "basis data tidak menolak perubahan. Pasang lagi (migrasi audit 0003)."
)


class Command(BaseCommand):
    help = "Periksa rantai hash jejak audit; keluar dengan status 1 bila rantai rusak."

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=CHAIN_CHUNK,
                            help=f"peristiwa per baca (default {CHAIN_CHUNK})")
        parser.add_argument("--expect-hash", default="", help="hash terakhir yang dicatat sebelumnya")
        parser.add_argument("--checkpoints", default="", help="salinan JSON daftar titik periksa publik")

    def handle(self, *args, chunk_size, expect_hash, checkpoints, **options):
        if guard_installed() is False:
            self.stderr.write(GUARD_MISSING)
        anchors, problems = checkpoint_anchors()
        if checkpoints:
            copied_anchors, copied_problems = anchors_of(_copied(Path(checkpoints)))
            known = {(a.seq, a.head_hash) for a in anchors}
            anchors += [a for a in copied_anchors if (a.seq, a.head_hash) not in known]
            problems += copied_problems
        self.stdout.write(f"Titik periksa bertanda tangan yang sah: {len(anchors)}.")
        report = chain_check(chunk_size=chunk_size, expect_hash=expect_hash.strip().lower(), anchors=anchors)
        for problem in problems:
            self.stdout.write(problem)
        last = f"#{report.last_seq}" if report.last_seq is not None else "(belum ada)"
        if report.intact and not problems:
            self.stdout.write(f"Rantai utuh: {report.checked} peristiwa diperiksa.")
            self.stdout.write(f"Peristiwa terakhir: {last}; hash terakhir: {report.last_hash}")
            return
        self.stdout.write(f"{report.checked} peristiwa pertama utuh; yang terakhir utuh: {last}, hash "
                          f"{report.last_hash if report.last_hash != GENESIS_HASH else '(awal rantai)'}")
        raise CommandError(report.problem or problems[0], returncode=1)


def _copied(path: Path) -> list[Checkpoint]:
    """Unsaved checkpoints from the public JSON list (its "checkpoints", or the list itself)."""
    try:
        data = json.loads(path.read_text())
        rows = data["checkpoints"] if isinstance(data, dict) else data
        return [
            Checkpoint(seq=int(row["seq"]), head_hash=str(row["head_hash"]), count=int(row["count"]),
                       merkle_root=str(row.get("merkle_root", "")),
                       created=datetime.fromisoformat(row["time"]), reason=str(row.get("reason", "")),
                       payload=str(row["payload"]), signature=base64.b64decode(row["signature"]))
            for row in rows
        ]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CommandError(BAD_COPY % {"path": path, "why": error}) from error
