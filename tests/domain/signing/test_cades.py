"""Tests of domain.signing.cades on real GOST signatures made by openssl's GOST engine."""
from __future__ import annotations

import base64
import io
import json
import os
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from gostcrypto import gosthash, gostsignature

from domain.files import streebog
from domain.signing import cades
from domain.signing.cades.curve import gost_verify, named_curve
from tests import gost_tools

needs_gost = pytest.mark.usefixtures("gost_engine")

COMPANY_INNLE = "7701234567"
EMPLOYEE_INN = "500100732259"
COMPANY_OGRN = "1027700132195"
SNILS = "11223344595"
IP_INN = "771234567890"
IP_OGRNIP = "304500116000157"


@pytest.fixture(params=["python", "openssl"])
def backend(request, monkeypatch):
    """Each Streebog implementation in turn; a missing OpenSSL one fails the test."""
    monkeypatch.setenv("CADES_STREEBOG_BACKEND", request.param)
    if request.param == "openssl":
        try:
            cades.streebog_backend()
        except RuntimeError as exc:
            pytest.fail(f"{exc}: {gost_tools.GOST_MISSING}", pytrace=False)
    return request.param


class Env:
    """Objects shared by the tests of this module (made once)."""


@pytest.fixture(scope="module")
def env(tmp_path_factory, gost_engine):
    e = Env()
    e.dir = tmp_path_factory.mktemp("gost_pki")
    e.pki = pki = gost_tools.GostPki(e.dir)
    e.root = pki.make_root()
    e.other_root = pki.make_root("Посторонний УЦ", "ООО «Чужой УЦ»")
    e.sub = pki.make_intermediate(e.root)
    e.company = pki.make_signer(e.root, innle=COMPANY_INNLE, inn=EMPLOYEE_INN,
                                ogrn=COMPANY_OGRN, snils=SNILS)
    e.ip = pki.make_signer(e.root, cn="Петров Пётр Петрович", org=None, inn=IP_INN,
                           ogrnip=IP_OGRNIP, snils=SNILS, paramset="B")
    e.big = pki.make_signer(e.root, innle=COMPANY_INNLE, ogrn=COMPANY_OGRN,
                            bits=512, paramset="A")
    e.expired = pki.make_signer(e.root, innle=COMPANY_INNLE, expired=True)
    e.via_sub = pki.make_signer(e.sub, innle=COMPANY_INNLE)
    e.doc = e.dir / "Заявка на технологическое присоединение.pdf"
    e.doc.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n")
    e.sig_company = pki.sign(e.company, e.doc)
    e.sig_ip = pki.sign(e.ip, e.doc)
    e.sig_big = pki.sign(e.big, e.doc)
    e.sig_expired = pki.sign(e.expired, e.doc)
    return e


def _openssl_dgst(path, bits: int) -> str:
    out = subprocess.run(["openssl", "dgst", "-engine", "gost", "-md_gost12_%d" % bits,
                          "-r", str(path)], capture_output=True, check=True, text=True)
    return out.stdout.split()[0]


def _refusal(signature, document, **kwargs) -> cades.SignatureError:
    with pytest.raises(cades.SignatureError) as info:
        cades.verify_detached(signature, document, **kwargs)
    return info.value


# --- accepted --------------------------------------------------------------

@needs_gost
def test_accepts_256_paramset_a_company(env):
    before = datetime.now(timezone.utc)
    report = cades.verify_detached(env.sig_company, env.doc,
                                   expected={"inn": COMPANY_INNLE, "ogrn": COMPANY_OGRN,
                                             "snils": "112-233-445 95"},
                                   trusted_roots=[env.root.der])
    assert report.ok and report.error is None
    assert report.key_bits == 256
    assert report.signer_subject["INNLE"] == COMPANY_INNLE
    assert report.signer_subject["INN"] == EMPLOYEE_INN
    assert report.signer_subject["OGRN"] == COMPANY_OGRN
    assert report.signer_subject["SNILS"] == SNILS
    assert report.signer_subject["CN"] == "Иванов Иван Иванович"
    assert report.signer_subject["O"] == 'ООО "Ромашка"'
    assert "Тестовый корневой УЦ" in report.issuer
    assert report.signing_time is not None and report.signing_time.tzinfo is not None
    assert before - timedelta(minutes=10) <= report.signing_time <= \
        datetime.now(timezone.utc) + timedelta(minutes=1)
    assert report.not_before <= report.signing_time <= report.not_after
    assert report.digest_hex == _openssl_dgst(env.doc, 256)
    serial = subprocess.run(["openssl", "x509", "-in", str(env.company.cert_path), "-noout",
                             "-serial"], capture_output=True, text=True, check=True).stdout
    assert int(report.serial, 16) == int(serial.strip().split("=")[1], 16)
    assert report.checks == [
        ("Формат отсоединённой подписи CAdES", True),
        ("Сертификат подписанта в составе подписи", True),
        ("Алгоритм ГОСТ Р 34.10-2012", True),
        ("Хэш документа совпадает с подписанным", True),
        ("Значение подписи", True),
        ("Ссылка на сертификат подписанта (signingCertificateV2)", True),
        ("Срок действия сертификата на момент подписания", True),
        ("ИНН совпадает с ИНН заявителя", True),
        ("ОГРН совпадает с ОГРН заявителя", True),
        ("СНИЛС совпадает с СНИЛС заявителя", True),
        ("Цепочка сертификатов до доверенного УЦ", True),
    ]


@needs_gost
def test_accepts_256_paramset_b_individual_entrepreneur(env):
    report = cades.verify_detached(env.sig_ip, env.doc,
                                   expected={"inn": IP_INN, "ogrnip": IP_OGRNIP})
    assert report.ok and report.key_bits == 256
    assert report.signer_subject["INN"] == IP_INN
    assert report.signer_subject["OGRNIP"] == IP_OGRNIP
    assert "O" not in report.signer_subject


@needs_gost
def test_accepts_512(env):
    with open(env.doc, "rb") as fileobj:
        report = cades.verify_detached(env.sig_big, fileobj, expected={"inn": COMPANY_INNLE},
                                       trusted_roots=[env.root.pem])
    assert report.ok and report.key_bits == 512
    assert report.digest_hex == _openssl_dgst(env.doc, 512)


@needs_gost
@pytest.mark.parametrize("bits,paramset", [
    (256, "A"), (256, "B"), (256, "C"), (256, "XA"), (256, "XB"),
    (256, "TCA"), (256, "TCB"), (256, "TCC"), (256, "TCD"),
    (512, "A"), (512, "B"), (512, "C"),
])
def test_every_parameter_set(env, bits, paramset):
    signer = env.pki.make_signer(env.root, innle=COMPANY_INNLE, bits=bits, paramset=paramset)
    report = cades.verify_detached(env.pki.sign(signer, env.doc), env.doc,
                                   trusted_roots=[env.root.der])
    assert report.ok and report.key_bits == bits


@needs_gost
def test_accepts_pem_base64_keyid_and_document_bytes(env):
    pem_sig = env.pki.sign(env.company, env.doc, outform="PEM")
    assert pem_sig.startswith(b"-----BEGIN CMS-----")
    assert cades.verify_detached(pem_sig, env.doc).ok
    assert cades.verify_detached(pem_sig.decode("ascii"), env.doc).ok
    bare = base64.encodebytes(env.sig_company)  # as CryptoPro saves "base64" files
    assert cades.verify_detached(bare, str(env.doc)).ok
    keyid_sig = env.pki.sign(env.company, env.doc, keyid=True, cades=False)
    report = cades.verify_detached(keyid_sig, env.doc.read_bytes())
    assert report.ok
    assert not any("signingCertificate" in name for name, _ in report.checks)


@needs_gost
def test_without_signing_time_uses_at(env):
    sig = env.pki.strip_signing_time(env.expired, env.sig_expired)
    assert env.pki.openssl_verify(sig, env.doc)  # the helper re-signs correctly
    err = _refusal(sig, env.doc)  # the certificate is expired now, so "now" fails
    assert str(err).startswith("Сертификат подписанта не действовал")
    report = cades.verify_detached(sig, env.doc,
                                   at=datetime.now(timezone.utc) - timedelta(days=500))
    assert report.ok and report.signing_time is None
    naive = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(days=500)
    assert cades.verify_detached(sig, env.doc, at=naive).ok


@needs_gost
def test_chain_through_intermediate(env):
    with_sub = env.pki.sign(env.via_sub, env.doc, extra_certs=[env.sub])
    report = cades.verify_detached(with_sub, env.doc, trusted_roots=[env.other_root.der,
                                                                     env.root.der])
    assert report.ok
    without_sub = env.pki.sign(env.via_sub, env.doc)
    err = _refusal(without_sub, env.doc, trusted_roots=[env.root.der])
    assert str(err) == "Сертификат подписанта не выдан доверенным удостоверяющим центром"
    # The intermediate itself may also be configured as trusted.
    assert cades.verify_detached(without_sub, env.doc, trusted_roots=[env.sub.der]).ok


@needs_gost
def test_load_trusted_roots(env, tmp_path):
    (tmp_path / "root.cer").write_bytes(env.root.der)
    (tmp_path / "bundle.PEM").write_bytes(env.other_root.pem + env.sub.pem)
    (tmp_path / "readme.txt").write_text("не сертификат")
    roots = cades.load_trusted_roots(tmp_path)
    assert sorted(roots) == sorted([env.root.der, env.other_root.der, env.sub.der])
    assert cades.verify_detached(env.sig_company, env.doc, trusted_roots=roots).ok
    (tmp_path / "junk.crt").write_bytes(b"\x30\x03\x02\x01\x00")
    with pytest.raises(ValueError, match="junk.crt"):
        cades.load_trusted_roots(tmp_path)


# --- refused ---------------------------------------------------------------

@needs_gost
def test_refuses_changed_document(env, tmp_path):
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(env.doc.read_bytes().replace(b"%%EOF", b"%%EOG"))
    err = _refusal(env.sig_company, changed)
    assert str(err) == "Подпись относится к другому документу: хэш документа не совпадает"
    assert err.report.checks[-1] == ("Хэш документа совпадает с подписанным", False)
    assert err.report.ok is False and err.report.error == str(err)


@needs_gost
def test_refuses_other_company_inn(env):
    err = _refusal(env.sig_company, env.doc, expected={"inn": "7702345678"})
    assert str(err) == "ИНН в сертификате (7701234567) не совпадает с ИНН заявителя (7702345678)"


@needs_gost
@pytest.mark.parametrize("expected,message", [
    ({"ogrn": "1037700000000"},
     "ОГРН в сертификате (1027700132195) не совпадает с ОГРН заявителя (1037700000000)"),
    ({"ogrnip": IP_OGRNIP},
     "ОГРНИП в сертификате (отсутствует) не совпадает с ОГРНИП заявителя (%s)" % IP_OGRNIP),
    ({"snils": "00000000000"},
     "СНИЛС в сертификате (11223344595) не совпадает с СНИЛС заявителя (00000000000)"),
    ({"inn": IP_INN},
     "ИНН в сертификате (%s) не совпадает с ИНН заявителя (%s)" % (EMPLOYEE_INN, IP_INN)),
])
def test_refuses_other_identifiers(env, expected, message):
    assert str(_refusal(env.sig_company, env.doc, expected=expected)) == message


@needs_gost
def test_legacy_inn_of_legal_entity_with_leading_zeros(env):
    signer = env.pki.make_signer(env.root, inn="00" + COMPANY_INNLE)
    sig = env.pki.sign(signer, env.doc)
    assert cades.verify_detached(sig, env.doc, expected={"inn": COMPANY_INNLE}).ok


@needs_gost
def test_refuses_expired_certificate(env):
    err = _refusal(env.sig_expired, env.doc)
    report = err.report
    assert str(err) == (
        "Сертификат подписанта не действовал на момент подписания (действителен с %s по %s)"
        % (report.not_before.strftime("%d.%m.%Y %H:%M:%S UTC"),
           report.not_after.strftime("%d.%m.%Y %H:%M:%S UTC")))
    assert report.not_after < report.signing_time


@needs_gost
def test_refuses_broken_signature_value(env):
    broken = gost_tools.flip_signature_byte(env.sig_company)
    assert broken != env.sig_company and len(broken) == len(env.sig_company)
    err = _refusal(broken, env.doc)
    assert str(err) == "Значение подписи неверно"
    broken512 = gost_tools.flip_signature_byte(env.sig_big)
    assert str(_refusal(broken512, env.doc)) == "Значение подписи неверно"


@needs_gost
def test_refuses_rsa(env):
    rsa = env.pki.make_rsa_signer()
    err = _refusal(env.pki.sign(rsa, env.doc), env.doc)
    assert str(err).startswith("Подпись выполнена не по ГОСТ Р 34.10-2012 (алгоритм RSA")
    assert "1.2.840.113549.1.1.1" in str(err)


@needs_gost
def test_refuses_untrusted_root(env):
    err = _refusal(env.sig_company, env.doc, trusted_roots=[env.other_root.der])
    assert str(err) == "Сертификат подписанта не выдан доверенным удостоверяющим центром"
    assert _refusal(env.sig_company, env.doc, trusted_roots=[]).check == \
        "Цепочка сертификатов до доверенного УЦ"


@needs_gost
def test_refuses_attached_and_garbage(env):
    attached = env.pki.sign(env.company, env.doc, detached=False)
    message = "Файл подписи не является отсоединённой подписью CAdES"
    assert str(_refusal(attached, env.doc)) == message
    assert str(_refusal(b"not a signature at all", env.doc)) == message
    assert str(_refusal(env.doc.read_bytes(), env.doc)) == message
    assert str(_refusal(env.root.der, env.doc)) == message  # a certificate, not CMS
    assert str(_refusal(env.sig_company[:200], env.doc)) == message


@needs_gost
def test_refuses_signature_without_certificate(env):
    sig = env.pki.sign(env.company, env.doc, include_signer_cert=False)
    assert str(_refusal(sig, env.doc)) == "В файле подписи отсутствует сертификат подписанта"


@needs_gost
def test_unknown_expected_key_is_a_programming_error(env):
    with pytest.raises(ValueError):
        cades.verify_detached(env.sig_company, env.doc, expected={"kpp": "770101001"})


# --- report ----------------------------------------------------------------

@needs_gost
def test_report_round_trip_and_text(env):
    report = cades.verify_detached(env.sig_company, env.doc, expected={"inn": COMPANY_INNLE})
    stored = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert stored["key_bits"] == 256 and stored["signer_subject"]["INNLE"] == COMPANY_INNLE
    assert cades.VerificationReport.from_dict(stored) == report
    text = report.text()
    assert text.startswith("Подпись действительна")
    assert "ИНН ЮЛ: %s" % COMPANY_INNLE in text and "256 бит" in text


# --- hashing and curve arithmetic -----------------------------------------

class _RecordingReader(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.sizes = []

    def read(self, size=-1):
        self.sizes.append(size)
        return super().read(size)


@needs_gost
def test_streamed_hash_of_large_file(tmp_path):
    # 5 MB with the OpenSSL backend; just over one chunk with pure Python (4 s per MiB).
    size = 5 * 1024 * 1024 + 37 if cades.streebog_backend() == "openssl" else (1 << 20) + 37
    path = tmp_path / "large.bin"
    path.write_bytes(os.urandom(size))
    assert cades.streebog_file(path, 256).hex() == _openssl_dgst(path, 256)
    assert cades.streebog_file(str(path), 512).hex() == _openssl_dgst(path, 512)
    reader = _RecordingReader(path.read_bytes())
    assert cades.streebog_file(reader, 256).hex() == _openssl_dgst(path, 256)
    assert max(reader.sizes) == cades.CHUNK_SIZE and -1 not in reader.sizes
    assert len(reader.sizes) >= size // cades.CHUNK_SIZE


def test_streamed_hash_equals_one_shot_gostcrypto(monkeypatch, backend):
    # Chunks not aligned to Streebog's 64-byte block, several of them.
    monkeypatch.setattr(streebog, "CHUNK_SIZE", 1000)
    data = os.urandom(48 * 1024 + 37)
    for bits in (256, 512):
        expected = bytes(gosthash.new("streebog%d" % bits, data=bytearray(data)).digest())
        assert cades.streebog_file(io.BytesIO(data), bits) == expected
        assert cades.streebog_file(data, bits) == expected
    for size in (0, 1, 63, 64, 65, 128):
        piece = data[:size]
        assert cades.streebog_file(piece, 256) == \
            bytes(gosthash.new("streebog256", data=bytearray(piece)).digest())


_CURVES = [
    ("id-tc26-gost-3410-2012-256-paramSetA", 256),
    ("id-tc26-gost-3410-2012-256-paramSetB", 256),
    ("id-tc26-gost-3410-2012-256-paramSetC", 256),
    ("id-tc26-gost-3410-2012-256-paramSetD", 256),
    ("id-tc26-gost-3410-12-512-paramSetA", 512),
    ("id-tc26-gost-3410-12-512-paramSetB", 512),
    ("id-tc26-gost-3410-2012-512-paramSetC", 512),
]


@pytest.mark.parametrize("name,bits", _CURVES)
def test_curve_arithmetic_matches_gostcrypto(name, bits):
    size = bits // 8
    mode = gostsignature.MODE_256 if bits == 256 else gostsignature.MODE_512
    signer = gostsignature.new(mode, gostsignature.CURVES_R_1323565_1_024_2019[name])
    private = bytearray(os.urandom(size))
    private[0] &= 0x0F
    public = signer.public_key_generate(private)
    digest = os.urandom(size)  # as stored in CMS; gostcrypto wants it reversed
    r_s = signer.sign(private, bytearray(digest[::-1]))
    s_r = bytes(r_s[size:]) + bytes(r_s[:size])
    point = (int.from_bytes(public[:size], "big"), int.from_bytes(public[size:], "big"))
    curve = named_curve(name)
    assert gost_verify(curve, point, digest, s_r)
    assert not gost_verify(curve, point, bytes([digest[0] ^ 1]) + digest[1:], s_r)
    assert not gost_verify(curve, point, digest, bytes(r_s))
    assert not gost_verify(curve, (point[0], point[1] ^ 1), digest, s_r)


# --- digest computed beforehand (hashing once, when the document is stored) ---

@needs_gost
def test_incremental_hasher_matches_openssl_dgst_on_odd_chunks(monkeypatch, tmp_path, backend):
    data = os.urandom(20 * 1024 + 29)
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    # Chunk boundaries that never fall on Streebog's 64-byte blocks, and ones that
    # complete a partial block exactly (gostcrypto's own update loses data there).
    for sizes in ((1, 63, 65, 1000, 4097), (63, 1), (100, 28), (4096 + 63,)):
        for bits in (256, 512):
            hasher = cades.streebog_hasher(bits)
            assert hasher.name == backend
            pos, turn = 0, 0
            while pos < len(data):
                step = sizes[turn % len(sizes)]
                hasher.update(data[pos:pos + step])
                pos, turn = pos + step, turn + 1
            assert hasher.digest().hex() == _openssl_dgst(path, bits), (sizes, bits)
    with pytest.raises(ValueError):
        cades.streebog_hasher(384)


@needs_gost
def test_verifies_with_digest_given_without_reading_the_document(env):
    digest_256 = bytes.fromhex(_openssl_dgst(env.doc, 256))
    digest_512 = bytes.fromhex(_openssl_dgst(env.doc, 512))
    report = cades.verify_detached(env.sig_company, None, document_digest=digest_256,
                                   expected={"inn": COMPANY_INNLE}, trusted_roots=[env.root.der])
    assert report.ok and report.digest_hex == digest_256.hex()
    both = {256: digest_256, 512: digest_512}
    for signature, bits in ((env.sig_company, 256), (env.sig_big, 512)):
        report = cades.verify_detached(signature, document_digest=both,
                                       trusted_roots=[env.root.der])
        assert report.ok and report.key_bits == bits and report.digest_hex == both[bits].hex()
    # A digest for the other key size only: the document is hashed instead.
    report = cades.verify_detached(env.sig_big, env.doc, document_digest={256: digest_256})
    assert report.ok and report.digest_hex == digest_512.hex()
    with pytest.raises(ValueError):
        cades.verify_detached(env.sig_big, document_digest={256: digest_256})
    with pytest.raises(ValueError):
        cades.verify_detached(env.sig_company)


@needs_gost
def test_refuses_digest_of_another_document(env, tmp_path):
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(env.doc.read_bytes().replace(b"%%EOF", b"%%EOG"))
    other = {bits: bytes.fromhex(_openssl_dgst(changed, bits)) for bits in (256, 512)}
    for signature in (env.sig_company, env.sig_big):
        # The document given alongside is right, but the digest decides: it is not read.
        err = _refusal(signature, env.doc, document_digest=other)
        assert str(err) == "Подпись относится к другому документу: хэш документа не совпадает"
        assert err.report.checks[-1] == ("Хэш документа совпадает с подписанным", False)
    # A 256-bit digest given for a 512-bit signature does not match either.
    err = _refusal(env.sig_big, None, document_digest=bytes.fromhex(_openssl_dgst(env.doc, 256)))
    assert str(err) == "Подпись относится к другому документу: хэш документа не совпадает"
