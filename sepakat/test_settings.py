"""Test settings: fast hashing, files under a temporary media root."""

import tempfile
from pathlib import Path

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="sepakat-test-media-")
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
LANGUAGE_CODE = "id"
STATIC_ROOT = tempfile.mkdtemp(prefix="sepakat-test-static-")
# Signer keys at 1,000 PBKDF2 iterations instead of 600,000: each unlock costs ~0.2 s less.
# tests/agreements/test_key_protection.py checks that sepakat.settings keeps the full cost.
SIGNING = {**SIGNING, "AUTHORITY_DIR": Path(tempfile.mkdtemp(prefix="sepakat-test-pki-")),  # noqa: F405
           "KEY_KDF_ITERATIONS": 1000, "AUTHORITY_SECRET": "rahasia-operator-uji", "AUTHORITY_SECRET_FILE": "",
           "AUTHORITY_KDF_ITERATIONS": 1000}
# django-axes stays on, so the lockout tests are real. client.force_login skips it:
# it logs in with the first backend that has get_user (ModelBackend), not through authenticate().
AXES_ENABLED = True
# The document for the signers is rendered when the step's transaction commits, as a worker would right after;
# tests/workflows/test_preparation.py checks the embedded default's way (by the scheduler) on its own.
SEPAKAT_BACKGROUND_BY_SCHEDULER = False
