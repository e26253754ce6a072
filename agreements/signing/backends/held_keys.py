"""pyHanko's software signer and in-process TSA, signing with a key loaded once.

pyHanko 0.38's ``SimpleSigner.sign_raw`` and ``DummyTimeStamper`` turn their asn1crypto key back
into a cryptography key at every raw signature, and cryptography validates an RSA key on every
load (about 45 ms for the authority's 3072-bit keys). A document signature makes four raw
signatures (pyHanko sizes the signature with a dry run, each with a timestamp), so that was
~0.2 s per signature spent re-checking keys already checked when they were loaded. These
subclasses sign with the cryptography key the backend already holds; everything else is pyHanko's.
"""

from __future__ import annotations

import secrets

from asn1crypto import cms, core, tsp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.keys.internal import translate_pyca_cryptography_key_to_asn1
from pyhanko.sign import general, signers
from pyhanko.sign.general import simple_cms_attribute
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.util import get_pyca_cryptography_hash, process_pss_params


class HeldKeySigner(signers.SimpleSigner):
    """A ``SimpleSigner`` over an RSA key already loaded (and validated) by cryptography."""

    def __init__(self, *, private_key: rsa.RSAPrivateKey, **kwargs):
        super().__init__(signing_key=translate_pyca_cryptography_key_to_asn1(private_key), **kwargs)
        self._private_key = private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            algorithm = mechanism.signature_algo
        except ValueError:
            algorithm = mechanism["algorithm"].native
        if algorithm == "rsassa_pkcs1v15":
            return self._private_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        if algorithm == "rsassa_pss":
            padding, hash_algo = process_pss_params(mechanism["parameters"])
            return self._private_key.sign(data, padding, hash_algo)
        return super().sign_raw(data, digest_algorithm)


# The local TSA's own timestamp policy (TSTInfo.policy). An OID under the UUID arc 2.25 (ITU-T X.667,
# ISO/IEC 9834-8) needs no registration and is unique to this project; pyHanko's DummyTimeStamper
# claims GlobalSign's policy 1.3.6.1.4.1.4146.2.2 instead, which is not ours to claim.
LOCAL_TSA_POLICY_OID = "2.25.139841128125741523630179022214987650081"


class HeldKeyTimeStamper(DummyTimeStamper):
    """The local TSA (RFC 3161 tokens under Sepakat's own policy), signing with the TSA key already loaded.

    The same object answers timestamp requests in process (the embedded default signs with it
    directly) and over HTTP at Sepakat's own address (``agreements.signing.tsa``).
    """

    policy_oid = LOCAL_TSA_POLICY_OID

    def __init__(self, *, tsa_private_key: rsa.RSAPrivateKey, **kwargs):
        super().__init__(tsa_key=translate_pyca_cryptography_key_to_asn1(tsa_private_key), **kwargs)
        self._tsa_private_key = tsa_private_key

    def _build_tst_info(self, message_imprint: tsp.MessageImprint, dt, req: tsp.TimeStampReq) -> tsp.TSTInfo:
        tst_info = super()._build_tst_info(message_imprint, dt, req)
        tst_info["policy"] = tsp.ObjectIdentifier(self.policy_oid)
        tst_info["serial_number"] = secrets.randbits(127)  # unique per token (RFC 3161 2.4.2), positive
        return tst_info

    def _sign_tst_info(self, tst_info_data: bytes, md_algorithm: str, dt) -> tuple[bytes, cms.CMSAttributes]:
        # As DummyTimeStamper._sign_tst_info (pyHanko 0.38), without reloading the key.
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes([
            simple_cms_attribute("content_type", "tst_info"),
            simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
            simple_cms_attribute("signing_certificate", general.as_signing_certificate(self.tsa_cert)),
            simple_cms_attribute("message_digest", digest.finalize()),
        ])
        signature = self._tsa_private_key.sign(
            signed_attrs.dump(), PKCS1v15(), get_pyca_cryptography_hash(md_algorithm.upper())
        )
        return signature, signed_attrs
