"""Unguessable verification codes for documents (existing rows get their own), and bounded counters
for the public verification page instead of audit events.

Irreversible: unapplying would drop the verification codes printed (as QR codes) on every document, and
migrating forward again would draw new ones, so no printed code would verify any more. Go back by
restoring a backup.
"""

import secrets

import django.db.models.deletion
from django.db import migrations, models

import agreements.models


def fill_tokens(apps, schema_editor):
    Document = apps.get_model("agreements", "Document")
    for document in Document.objects.filter(verification_token="").only("pk"):
        document.verification_token = secrets.token_urlsafe(agreements.models.VERIFICATION_TOKEN_BYTES)
        document.save(update_fields=["verification_token"])


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0002_signaturerecord_signingcredential_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="verification_token",
            field=models.CharField(default="", editable=False, max_length=43, verbose_name="kode verifikasi"),
            preserve_default=False,
        ),
        migrations.RunPython(fill_tokens),  # no reverse_code: unapplying raises IrreversibleError
        migrations.AlterField(
            model_name="document",
            name="verification_token",
            field=models.CharField(
                default=agreements.models.new_verification_token, editable=False, max_length=43, unique=True,
                verbose_name="kode verifikasi",
            ),
        ),
        migrations.CreateModel(
            name="VerificationCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="tanggal")),
                ("channel", models.CharField(
                    choices=[("code", "kode verifikasi (QR)"), ("upload", "unggah berkas")], max_length=10,
                    verbose_name="cara")),
                ("outcome", models.CharField(
                    choices=[("genuine", "asli"), ("not_genuine", "tidak dapat dipastikan asli"),
                             ("not_found", "tidak ditemukan"), ("refused", "berkas ditolak"),
                             ("limited", "dibatasi (terlalu banyak permintaan)")],
                    max_length=12, verbose_name="hasil")),
                ("count", models.PositiveIntegerField(default=0, verbose_name="jumlah")),
                ("document", models.ForeignKey(
                    blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                    to="agreements.document")),
            ],
            options={
                "verbose_name": "hitungan verifikasi",
                "verbose_name_plural": "hitungan verifikasi",
                "ordering": ["-day"],
                "constraints": [models.UniqueConstraint(fields=("day", "document", "channel", "outcome"),
                                                        name="unique_verification_count")],
            },
        ),
    ]
