"""Signer keys under a current KDF and cost; the database, PKI and PDFs readable by the server's user only."""

import importlib
import os
import stat

import pytest
from asn1crypto import keys
from asn1crypto import pem as asn1_pem
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connections
from django.test import override_settings

from agreements import signatures
from agreements.models import SigningCredential
from agreements.signing import authority as pki
from agreements.signing import key_encryption
from audit.models import AuditEvent
from demo import driver

AUTHORITY_SECRET = "rahasia-operator-uji"  # the operator's secret of the authorities made here (as test_settings)

OWASP_PBKDF2_SHA256_MINIMUM = 600_000


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def pbes2_parameters(encrypted_key_pem: str | bytes) -> dict:
    """The PKCS#8 envelope's parameters, read with asn1crypto (independently of the code under test)."""
    data = encrypted_key_pem.encode() if isinstance(encrypted_key_pem, str) else encrypted_key_pem
    kind, _, der = asn1_pem.unarmor(data)
    assert kind == "ENCRYPTED PRIVATE KEY"
    algorithm = keys.EncryptedPrivateKeyInfo.load(der)["encryption_algorithm"].native
    assert algorithm["algorithm"] == "pbes2"
    kdf = algorithm["parameters"]["key_derivation_func"]
    assert kdf["algorithm"] == "pbkdf2"
    return {
        "prf": kdf["parameters"]["prf"]["algorithm"],
        "iterations": kdf["parameters"]["iteration_count"],
        "salt_bytes": len(kdf["parameters"]["salt"]),
        "cipher": algorithm["parameters"]["encryption_scheme"]["algorithm"],
    }


@pytest.mark.django_db
def test_production_settings_use_the_full_cost_and_a_stored_key_meets_it(official):
    production = importlib.import_module("sepakat.settings")
    full_cost = production.SIGNING["KEY_KDF_ITERATIONS"]
    assert full_cost >= OWASP_PBKDF2_SHA256_MINIMUM
    assert pki.KEY_KDF_ITERATIONS >= OWASP_PBKDF2_SHA256_MINIMUM  # the library's own default
    user = official("kota-banjar.kdh")
    passphrase = "passphrase-biaya-penuh-123"  # not the demo one: the test run's certificate cache skips it
    with override_settings(SIGNING={**settings.SIGNING, "KEY_KDF_ITERATIONS": full_cost}):
        signatures.credential_enrol(user=user, passphrase=passphrase, confirmation=passphrase)
    stored = SigningCredential.objects.get(user=user).encrypted_key_pem
    params = pbes2_parameters(stored)
    assert params["prf"] == "sha256"
    assert params["iterations"] >= OWASP_PBKDF2_SHA256_MINIMUM
    assert params["cipher"] == "aes256_cbc"
    assert params["salt_bytes"] >= 16
    key = serialization.load_pem_private_key(stored.encode(), password=passphrase.encode())
    assert isinstance(key, rsa.RSAPrivateKey)
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(stored.encode(), password=b"passphrase-lain-sekali")


def test_the_test_settings_lower_the_cost_only_for_speed():
    assert settings.SIGNING["KEY_KDF_ITERATIONS"] < OWASP_PBKDF2_SHA256_MINIMUM


def test_a_key_issued_with_the_library_default_meets_the_cost(tmp_path):
    authority = pki.ensure_authority(tmp_path / "pki", secret=AUTHORITY_SECRET, kdf_iterations=1000)
    issued = pki.issue_signer(authority, ca_secret=AUTHORITY_SECRET, common_name="Uji", organisation="", unit="",
                              nip="1", passphrase="rahasia-123")
    params = pbes2_parameters(issued.encrypted_key_pem)
    assert (params["prf"], params["cipher"]) == ("sha256", "aes256_cbc")
    assert params["iterations"] >= OWASP_PBKDF2_SHA256_MINIMUM
    assert key_encryption(issued.encrypted_key_pem).meets(OWASP_PBKDF2_SHA256_MINIMUM)


@pytest.mark.django_db
def test_a_key_in_the_old_format_still_unlocks_and_is_reencrypted_at_the_next_unlock(official):
    user = official("kota-banjar.kdh")
    driver.ensure_credential(user)
    credential = SigningCredential.objects.get(user=user)
    # What enrolment stored until now: cryptography's BestAvailableEncryption, PBKDF2 at 2,048 iterations.
    key = serialization.load_pem_private_key(credential.encrypted_key_pem.encode(),
                                             password=driver.DEMO_SIGNING_PASSPHRASE.encode())
    old = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(driver.DEMO_SIGNING_PASSPHRASE.encode()))
    assert pbes2_parameters(old)["iterations"] == 2048
    SigningCredential.objects.filter(pk=credential.pk).update(encrypted_key_pem=old.decode())
    cost = 4096  # above the old 2,048, still quick

    with override_settings(SIGNING={**settings.SIGNING, "KEY_KDF_ITERATIONS": cost}):
        signatures.unlock_signer(user=user, passphrase=driver.DEMO_SIGNING_PASSPHRASE)

    credential.refresh_from_db()
    params = pbes2_parameters(credential.encrypted_key_pem)
    assert (params["prf"], params["iterations"], params["cipher"]) == ("sha256", cost, "aes256_cbc")
    reopened = serialization.load_pem_private_key(credential.encrypted_key_pem.encode(),
                                                  password=driver.DEMO_SIGNING_PASSPHRASE.encode())
    assert reopened.private_numbers() == key.private_numbers()  # same key: certificate and fingerprint stay
    assert AuditEvent.objects.filter(action="signing.key_reencrypted", actor=user).count() == 1
    # Current now: a second unlock leaves it alone.
    with override_settings(SIGNING={**settings.SIGNING, "KEY_KDF_ITERATIONS": cost}):
        signatures.unlock_signer(user=user, passphrase=driver.DEMO_SIGNING_PASSPHRASE)
    assert AuditEvent.objects.filter(action="signing.key_reencrypted", actor=user).count() == 1


@pytest.mark.django_db
def test_a_wrong_passphrase_reencrypts_nothing(official):
    user = official("kota-banjar.kdh")
    driver.ensure_credential(user)
    credential = SigningCredential.objects.get(user=user)
    key = serialization.load_pem_private_key(credential.encrypted_key_pem.encode(),
                                             password=driver.DEMO_SIGNING_PASSPHRASE.encode())
    old = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(driver.DEMO_SIGNING_PASSPHRASE.encode())).decode()
    SigningCredential.objects.filter(pk=credential.pk).update(encrypted_key_pem=old)
    with override_settings(SIGNING={**settings.SIGNING, "KEY_KDF_ITERATIONS": 4096}), \
            pytest.raises(signatures.SigningRefused):
        signatures.unlock_signer(user=user, passphrase="bukan-passphrase-saya")
    credential.refresh_from_db()
    assert credential.encrypted_key_pem == old


def test_the_authority_directory_is_0700_and_its_files_0600(tmp_path):
    directory = tmp_path / "pki"
    pki.ensure_authority(directory, secret=AUTHORITY_SECRET, kdf_iterations=1000)
    assert mode(directory) == 0o700
    for name in pki.AUTHORITY_FILES:
        assert mode(directory / name) == 0o600, name


def test_an_existing_authority_with_loose_modes_is_tightened_when_loaded(tmp_path):
    directory = tmp_path / "pki"
    pki.ensure_authority(directory, secret=AUTHORITY_SECRET, kdf_iterations=1000)
    os.chmod(directory, 0o755)
    for name in pki.AUTHORITY_FILES:
        os.chmod(directory / name, 0o644)
    pki.ensure_authority(directory, secret=AUTHORITY_SECRET, kdf_iterations=1000)
    assert mode(directory) == 0o700
    assert {mode(directory / name) for name in pki.AUTHORITY_FILES} == {0o600}


def test_var_dir_is_0700():
    assert mode(settings.VAR_DIR) == 0o700


@pytest.mark.django_db
def test_stored_pdfs_and_their_directories_are_for_the_server_only():
    name = default_storage.save("uji-izin/sub/dokumen.pdf", ContentFile(b"%PDF-1.7 uji"))
    try:
        assert mode(default_storage.path(name)) == 0o600
        assert mode(os.path.dirname(default_storage.path(name))) == 0o700
        assert mode(os.path.join(settings.MEDIA_ROOT, "uji-izin")) == 0o700
    finally:
        default_storage.delete(name)


def sqlite_wrapper(path, alias):
    """A second connection of the test database's backend, to a file of its own."""
    wrapper = type(connections["default"])({**connections["default"].settings_dict, "NAME": str(path)}, alias=alias)
    if wrapper.vendor != "sqlite":
        pytest.skip("the test database is not SQLite")
    return wrapper


def test_a_new_sqlite_database_file_is_0600(tmp_path, django_db_blocker):
    path = tmp_path / "baru.sqlite3"
    wrapper = sqlite_wrapper(path, "uji_izin")
    with django_db_blocker.unblock():
        try:
            with wrapper.cursor() as cursor:
                cursor.execute("CREATE TABLE t (x int)")
        finally:
            wrapper.close()
    assert mode(path) == 0o600


def test_an_existing_world_readable_sqlite_file_is_tightened_on_connect(tmp_path, django_db_blocker):
    path = tmp_path / "lama.sqlite3"
    path.touch()
    os.chmod(path, 0o644)
    wrapper = sqlite_wrapper(path, "uji_izin_lama")
    with django_db_blocker.unblock():
        try:
            wrapper.ensure_connection()
        finally:
            wrapper.close()
    assert mode(path) == 0o600
