"""The local TSA answers RFC 3161 over HTTP at Sepakat's own address, under Sepakat's own policy,
and signing takes its timestamps from whatever RFC 3161 service the settings name."""

import hashlib
import io
import secrets
import urllib.request

import pytest
from asn1crypto import algos, cms, tsp
from cryptography.hazmat.primitives import hashes
from pyhanko.pdf_utils.reader import PdfFileReader

from agreements import signatures
from agreements.signing import tsa
from agreements.signing.backends.held_keys import LOCAL_TSA_POLICY_OID
from demo import driver
from workflows.models import Stage, StageProcess

pytestmark = pytest.mark.django_db


def query(digest: bytes, algorithm: str = "sha256", **fields) -> bytes:
    return tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": algos.DigestAlgorithm({"algorithm": algorithm}),
                            "hashed_message": digest},
        "nonce": fields.pop("nonce", secrets.randbits(63)),
        "cert_req": True,
        **fields,
    }).dump()


def post(url: str, body: bytes, content_type: str = tsa.QUERY_CONTENT_TYPE):
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type"), error.read()


def token_info(token: cms.ContentInfo) -> tsp.TSTInfo:
    return token["content"]["encap_content_info"]["content"].parsed


def test_the_tsa_answers_rfc_3161_over_http_with_our_policy_and_the_nonce(sepakat_server):
    digest = hashlib.sha256(b"Nota Kesepakatan").digest()
    status, content_type, body = post(f"{sepakat_server}/tsa/", query(digest, nonce=4242))
    assert status == 200 and content_type == tsa.REPLY_CONTENT_TYPE
    reply = tsp.TimeStampResp.load(body)
    assert reply["status"]["status"].native == "granted"
    info = token_info(reply["time_stamp_token"])
    assert info["policy"].native == LOCAL_TSA_POLICY_OID
    assert info["message_imprint"]["hashed_message"].native == digest
    assert info["nonce"].native == 4242
    signer_cert = next(c.chosen for c in reply["time_stamp_token"]["content"]["certificates"]
                       if c.chosen.subject.native["common_name"].startswith("Sepakat Otoritas Cap Waktu"))
    assert "time_stamping" in signer_cert.extended_key_usage_value.native
    assert signer_cert.sha256 == signatures.authority().tsa_cert.fingerprint(hashes.SHA256())


@pytest.mark.parametrize(("body", "fail_info"), [
    (b"not a request", "bad_data_format"),
    (query(hashlib.md5(b"x").digest(), "md5"), "bad_alg"),
    (query(b"short", "sha256"), "bad_data_format"),
    (query(hashlib.sha256(b"x").digest(), req_policy="1.3.6.1.4.1.4146.2.2"), "unaccepted_policy"),
], ids=["garbage", "md5", "short-imprint", "other-policy"])
def test_bad_requests_get_an_rfc_3161_rejection_that_says_why(sepakat_server, body, fail_info):
    status, content_type, answer = post(f"{sepakat_server}/tsa/", body)
    assert status == 200 and content_type == tsa.REPLY_CONTENT_TYPE
    reply = tsa.TimeStampResp.load(answer)
    assert reply["status"]["status"].native == "rejection"
    assert reply["status"]["fail_info"].native == {fail_info}


def test_the_tsa_refuses_other_content_types_methods_and_oversized_bodies(sepakat_server):
    assert post(f"{sepakat_server}/tsa/", b"x", "text/plain")[0] == 415
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{sepakat_server}/tsa/", timeout=10)
    assert error.value.code == 405
    status, _type, answer = post(f"{sepakat_server}/tsa/", b"\x30" * (tsa.MAX_REQUEST_BYTES + 1))
    assert status == 413 and tsa.TimeStampResp.load(answer)["status"]["status"].native == "rejection"


def test_signing_takes_its_timestamps_over_http_from_the_configured_tsa(sepakat_server, programme, settings,
                                                                       monkeypatch):
    answered = []
    respond = tsa.respond

    def counting(timestamper, body):
        answered.append(len(body))
        return respond(timestamper, body)

    monkeypatch.setattr(tsa, "respond", counting)
    settings.SIGNING = {**settings.SIGNING, "TSA_URL": f"{sepakat_server}/tsa/"}
    driver.run_programme(programme("kota-banjar"), only_stage=Stage.MOU)
    final = StageProcess.objects.get(programme=programme("kota-banjar"), stage=Stage.MOU).final_pdf
    assert answered  # every timestamp came over HTTP
    with final.file.open("rb") as fh:
        reader = PdfFileReader(io.BytesIO(fh.read()))
        signatures_found = list(reader.embedded_regular_signatures)
    assert len(signatures_found) == 2
    for embedded in signatures_found:
        token = embedded.signer_info["unsigned_attrs"][0]["values"][0]
        assert token_info(token)["policy"].native == LOCAL_TSA_POLICY_OID
    assert all(r.validation_ok and r.timestamp_time for r in final.signature_records.all())
