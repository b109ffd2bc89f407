"""Real GOST R 34.10-2012 keys, certificates and CAdES signatures for tests.

Everything is made by the ``openssl`` command line with Debian's GOST engine
(package libengine-gost-openssl, used as ``-engine gost``), so the tests
exercise signatures produced by an independent implementation.

Typical use::

    pki = GostPki(tmp_path)
    root = pki.make_root()
    signer = pki.make_signer(root, innle="7701234567", ogrn="1027700132195")
    signature = pki.sign(signer, document_path)      # detached CMS, DER

A test that needs the engine requests the ``gost_engine`` fixture (tests/conftest.py): when
:func:`gost_engine_available` says no, the test fails with ``GOST_MISSING``, which names
the package to install (``make gost-deps``); it never skips.
"""
from __future__ import annotations

import functools
import os
import re
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

OPENSSL = os.environ.get("OPENSSL", "openssl")
ENGINE = ["-engine", "gost"]

# openssl gost engine paramset names -> gostcrypto curve names (used only to
# re-sign in Python, see GostPki.strip_signing_time).
_PARAMSET_CURVES = {
    (256, "A"): "id-tc26-gost-3410-2012-256-paramSetB",
    (256, "B"): "id-tc26-gost-3410-2012-256-paramSetC",
    (256, "C"): "id-tc26-gost-3410-2012-256-paramSetD",
    (256, "XA"): "id-tc26-gost-3410-2012-256-paramSetB",
    (256, "XB"): "id-tc26-gost-3410-2012-256-paramSetD",
    (256, "TCA"): "id-tc26-gost-3410-2012-256-paramSetA",
    (256, "TCB"): "id-tc26-gost-3410-2012-256-paramSetB",
    (256, "TCC"): "id-tc26-gost-3410-2012-256-paramSetC",
    (256, "TCD"): "id-tc26-gost-3410-2012-256-paramSetD",
    (512, "A"): "id-tc26-gost-3410-12-512-paramSetA",
    (512, "B"): "id-tc26-gost-3410-12-512-paramSetB",
    (512, "C"): "id-tc26-gost-3410-2012-512-paramSetC",
}

GOST_MISSING = (
    "openssl's GOST engine is unavailable (`openssl engine gost` failed): "
    "install Debian's libengine-gost-openssl: make gost-deps"
)


@functools.lru_cache(maxsize=1)
def gost_engine_available() -> bool:
    """True if ``openssl engine gost`` works on this machine."""
    try:
        proc = subprocess.run([OPENSSL, "engine", "gost"], capture_output=True,
                              text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0 and "gost" in proc.stdout.lower()


@functools.lru_cache(maxsize=1)
def _openssl_knows_innle() -> bool:
    """OpenSSL 3.0 does not know INNLE (1.2.643.100.4); newer versions may."""
    proc = subprocess.run([OPENSSL, "asn1parse", "-genstr", "OID:INNLE"],
                          capture_output=True, text=True)
    return proc.returncode == 0


def _asn1_time(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y%m%d%H%M%SZ")


def _subj_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("/", "\\/").replace("+", "\\+")


@dataclass
class Cert:
    """A key and certificate made by :class:`GostPki`."""

    name: str
    key_path: Path
    cert_path: Path
    der: bytes
    bits: int
    paramset: str
    algorithm: str = "gost"          # "gost" or "rsa"
    ca_dir: Path | None = None       # set for certificates that can issue others

    @property
    def pem(self) -> bytes:
        return self.cert_path.read_bytes()

    @property
    def md(self) -> str:
        """openssl digest name to sign with this key."""
        if self.algorithm == "rsa":
            return "sha256"
        return "md_gost12_%d" % self.bits


class GostPki:
    """A throw-away GOST PKI in ``workdir`` driven by the openssl CLI."""

    def __init__(self, workdir) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._counter = 0
        self.roots: list[Cert] = []

    # -- plumbing ----------------------------------------------------------

    def run(self, *args: str, input: bytes | None = None) -> bytes:
        """Run openssl with ``args``; raise RuntimeError with stderr on failure."""
        proc = subprocess.run([OPENSSL, *args], input=input, capture_output=True,
                              timeout=120)
        if proc.returncode != 0:
            raise RuntimeError("openssl %s failed (%d): %s" % (
                " ".join(args[:2]), proc.returncode,
                proc.stderr.decode("utf-8", "replace")))
        return proc.stdout

    def _name(self, prefix: str) -> str:
        self._counter += 1
        return "%s%02d" % (prefix, self._counter)

    def _config(self, ca_dir: Path | None = None) -> Path:
        """Write an openssl config with the Russian OIDs and a permissive CA."""
        directory = ca_dir or self.workdir
        path = directory / "openssl.cnf"
        if path.exists():
            return path
        new_oids = "" if _openssl_knows_innle() else "INNLE = 1.2.643.100.4\n"
        path.write_text(
            "oid_section = new_oids\n"
            "[new_oids]\n" + new_oids +
            "[req]\n"
            "distinguished_name = dn\n"
            "string_mask = utf8only\n"
            "utf8 = yes\n"
            "prompt = no\n"
            "[dn]\n"
            "CN = unused\n"
            "[v3_ca]\n"
            "basicConstraints = critical,CA:true\n"
            "keyUsage = critical,keyCertSign,cRLSign\n"
            "subjectKeyIdentifier = hash\n"
            "authorityKeyIdentifier = keyid\n"
            "[v3_user]\n"
            "basicConstraints = CA:false\n"
            "keyUsage = critical,digitalSignature,nonRepudiation\n"
            "extendedKeyUsage = clientAuth,emailProtection\n"
            "subjectKeyIdentifier = hash\n"
            "authorityKeyIdentifier = keyid\n"
            "[ca]\n"
            "default_ca = CA_default\n"
            "[CA_default]\n"
            "dir = %s\n"
            "database = $dir/index.txt\n"
            "new_certs_dir = $dir\n"
            "rand_serial = yes\n"
            "unique_subject = no\n"
            "preserve = yes\n"
            "email_in_dn = no\n"
            "default_md = md_gost12_256\n"
            "policy = policy_any\n"
            "[policy_any]\n"
            "countryName = optional\n"
            "stateOrProvinceName = optional\n"
            "localityName = optional\n"
            "organizationName = optional\n"
            "organizationalUnitName = optional\n"
            "title = optional\n"
            "surname = optional\n"
            "givenName = optional\n"
            "streetAddress = optional\n"
            "emailAddress = optional\n"
            "commonName = supplied\n"
            "INN = optional\n"
            "INNLE = optional\n"
            "OGRN = optional\n"
            "OGRNIP = optional\n"
            "SNILS = optional\n" % directory,
            encoding="utf-8",
        )
        return path

    def make_key(self, path: Path, bits: int = 256, paramset: str = "A") -> Path:
        """Generate a GOST R 34.10-2012 private key (PEM) at ``path``."""
        if (bits, paramset) not in _PARAMSET_CURVES:
            raise ValueError("unsupported key: %s bit, paramset %s" % (bits, paramset))
        self.run("genpkey", *ENGINE, "-algorithm", "gost2012_%d" % bits,
                 "-pkeyopt", "paramset:%s" % paramset, "-out", str(path))
        return path

    @staticmethod
    def _subject(fields: list) -> str:
        return "".join("/%s=%s" % (key, _subj_escape(str(value)))
                       for key, value in fields if value not in (None, ""))

    # -- certificates ------------------------------------------------------

    def make_root(self, cn: str = "Тестовый корневой УЦ", org: str = "АО «Тестовый УЦ»",
                  *, bits: int = 256, paramset: str = "A", days: int = 3650) -> Cert:
        """Make a self-signed GOST CA certificate."""
        name = self._name("root")
        ca_dir = self.workdir / name
        ca_dir.mkdir()
        (ca_dir / "index.txt").write_text("")
        key = self.make_key(ca_dir / "ca.key", bits, paramset)
        cert_path = ca_dir / "ca.pem"
        subject = self._subject([("C", "RU"), ("O", org), ("CN", cn)])
        self.run("req", *ENGINE, "-config", str(self._config(ca_dir)), "-x509", "-new",
                 "-key", str(key), "-md_gost12_%d" % bits, "-days", str(days), "-utf8",
                 "-subj", subject, "-extensions", "v3_ca", "-out", str(cert_path))
        cert = self._load(name, key, cert_path, bits, paramset, ca_dir=ca_dir)
        self.roots.append(cert)
        return cert

    def _issue(self, issuer: Cert, name: str, subject: str, *, bits: int, paramset: str,
               extensions: str, not_before: datetime, not_after: datetime,
               ca: bool) -> Cert:
        if issuer.ca_dir is None:
            raise ValueError("%s cannot issue certificates" % issuer.name)
        work = self.workdir / name
        work.mkdir()
        key = self.make_key(work / "key.pem", bits, paramset)
        csr = work / "req.csr"
        self.run("req", *ENGINE, "-config", str(self._config(issuer.ca_dir)), "-new",
                 "-key", str(key), "-md_gost12_%d" % bits, "-utf8", "-subj", subject,
                 "-out", str(csr))
        cert_path = work / "cert.pem"
        self.run("ca", *ENGINE, "-config", str(self._config(issuer.ca_dir)), "-batch",
                 "-notext", "-utf8", "-preserveDN",
                 "-cert", str(issuer.cert_path), "-keyfile", str(issuer.key_path),
                 "-md", issuer.md, "-in", str(csr), "-out", str(cert_path),
                 "-extensions", extensions,
                 "-startdate", _asn1_time(not_before), "-enddate", _asn1_time(not_after))
        ca_dir = None
        if ca:
            ca_dir = work
            (ca_dir / "index.txt").write_text("")
        return self._load(name, key, cert_path, bits, paramset, ca_dir=ca_dir)

    def make_intermediate(self, issuer: Cert, cn: str = "Тестовый подчинённый УЦ",
                          *, bits: int = 256, paramset: str = "A", days: int = 1825) -> Cert:
        """Make an intermediate CA certificate issued by ``issuer``."""
        name = self._name("sub")
        now = datetime.now(timezone.utc)
        subject = self._subject([("C", "RU"), ("O", "АО «Тестовый УЦ»"), ("CN", cn)])
        return self._issue(issuer, name, subject, bits=bits, paramset=paramset,
                           extensions="v3_ca", not_before=now - timedelta(days=1),
                           not_after=now + timedelta(days=days), ca=True)

    def make_signer(self, issuer: Cert | None = None, *,
                    cn: str = "Иванов Иван Иванович", org: str | None = 'ООО "Ромашка"',
                    inn: str | None = None, innle: str | None = None,
                    ogrn: str | None = None, ogrnip: str | None = None,
                    snils: str | None = None, locality: str | None = "г. Москва",
                    bits: int = 256, paramset: str = "A", days: int = 365,
                    expired: bool = False, not_before: datetime | None = None,
                    not_after: datetime | None = None) -> Cert:
        """Make an end-entity (signer) certificate issued by ``issuer``.

        ``issuer`` defaults to the first root made.  Identifiers are put into
        the subject under their OIDs (INN 1.2.643.3.131.1.1, INNLE
        1.2.643.100.4, OGRN 1.2.643.100.1, OGRNIP 1.2.643.100.5, SNILS
        1.2.643.100.3); OpenSSL encodes INN/OGRN/OGRNIP/SNILS as NumericString
        and INNLE as UTF8String.  Validity: ``days`` from an hour ago, or an
        already expired period (``expired=True``: two years ago to one year
        ago), or explicit ``not_before``/``not_after``.
        """
        issuer = issuer or (self.roots[0] if self.roots else self.make_root())
        now = datetime.now(timezone.utc)
        if expired:
            start, end = now - timedelta(days=730), now - timedelta(days=365)
        else:
            start, end = now - timedelta(hours=1), now + timedelta(days=days)
        start = not_before or start
        end = not_after or end
        subject = self._subject([
            ("C", "RU"), ("L", locality), ("O", org), ("CN", cn),
            ("INN", inn), ("INNLE", innle), ("OGRN", ogrn), ("OGRNIP", ogrnip),
            ("SNILS", snils),
        ])
        return self._issue(issuer, self._name("signer"), subject, bits=bits,
                           paramset=paramset, extensions="v3_user",
                           not_before=start, not_after=end, ca=False)

    def make_rsa_signer(self, cn: str = "Иванов Иван Иванович (RSA)") -> Cert:
        """Make a self-signed RSA-2048 certificate (for the refusal test)."""
        name = self._name("rsa")
        work = self.workdir / name
        work.mkdir()
        key, cert_path = work / "key.pem", work / "cert.pem"
        self.run("req", "-config", str(self._config()), "-x509", "-newkey", "rsa:2048",
                 "-nodes", "-keyout", str(key), "-out", str(cert_path), "-days", "365",
                 "-sha256", "-utf8", "-subj", self._subject([("C", "RU"), ("CN", cn)]),
                 "-extensions", "v3_user")
        return self._load(name, key, cert_path, 2048, "", algorithm="rsa")

    def _load(self, name, key, cert_path, bits, paramset, *, algorithm="gost",
              ca_dir=None) -> Cert:
        der = self.run("x509", "-in", str(cert_path), "-outform", "DER")
        return Cert(name=name, key_path=key, cert_path=cert_path, der=der, bits=bits,
                    paramset=paramset, algorithm=algorithm, ca_dir=ca_dir)

    # -- signatures --------------------------------------------------------

    def sign(self, signer: Cert, document, *, extra_certs=(), outform: str = "DER",
             detached: bool = True, cades: bool = True, keyid: bool = False,
             include_signer_cert: bool = True) -> bytes:
        """Sign ``document`` (a path) with ``signer``; return the CMS bytes.

        Detached by default, with signed attributes (contentType,
        signingTime, messageDigest, SMIMECapabilities and, with ``cades``,
        signingCertificateV2) and the signer certificate included;
        ``extra_certs`` (e.g. intermediates) are added to the certificates
        set.  ``keyid`` identifies the signer by subjectKeyIdentifier;
        ``include_signer_cert=False`` leaves the signer certificate out.
        """
        out = self.workdir / (self._name("sig") + ".p7s")
        args = ["cms", "-sign", "-binary", "-md", signer.md,
                "-signer", str(signer.cert_path), "-inkey", str(signer.key_path),
                "-in", str(document), "-outform", outform, "-out", str(out)]
        if signer.algorithm == "gost":
            args[1:1] = ENGINE
        if not detached:
            args.append("-nodetach")
        if cades:
            args.append("-cades")
        if keyid:
            args.append("-keyid")
        if not include_signer_cert:
            args.append("-nocerts")
        if extra_certs:
            bundle = self.workdir / (self._name("chain") + ".pem")
            bundle.write_bytes(b"".join(cert.pem for cert in extra_certs))
            args += ["-certfile", str(bundle)]
        self.run(*args)
        return out.read_bytes()

    def openssl_verify(self, signature_der: bytes, document, root: Cert | None = None) -> bool:
        """Cross-check a detached DER signature with ``openssl cms -verify``."""
        sig = self.workdir / (self._name("check") + ".p7s")
        sig.write_bytes(signature_der)
        args = ["cms", *ENGINE, "-verify", "-binary", "-inform", "DER", "-in", str(sig),
                "-content", str(document), "-out", os.devnull]
        args += ["-CAfile", str(root.cert_path)] if root else ["-noverify"]
        try:
            self.run(*args)
        except RuntimeError:
            return False
        return True

    def private_key(self, signer: Cert) -> bytes:
        """Return the private key of a GOST signer as big-endian bytes."""
        text = self.run("pkey", *ENGINE, "-in", str(signer.key_path), "-text", "-noout")
        match = re.search(rb"Private key:\s*([0-9A-Fa-f]+)", text)
        if not match:
            raise RuntimeError("cannot read the private key of %s" % signer.name)
        digits = match.group(1).decode()
        # OpenSSL prints the number without leading zeros: an odd count of hex digits.
        return bytes.fromhex(digits.rjust(len(digits) + len(digits) % 2, "0")).rjust(
            signer.bits // 8, b"\0")

    def strip_signing_time(self, signer: Cert, signature: bytes) -> bytes:
        """Return ``signature`` (DER) without the signingTime attribute.

        OpenSSL always adds signingTime when it adds signed attributes, so
        the attribute is dropped here and the attributes are signed again
        with gostcrypto using the signer's private key.
        """
        from asn1crypto import cms
        from gostcrypto import gosthash, gostsignature

        content_info = cms.ContentInfo.load(signature)
        signed_data = content_info["content"]
        signer_info = signed_data["signer_infos"][0]
        attrs = cms.CMSAttributes([attr for attr in signer_info["signed_attrs"]
                                   if attr["type"].native != "signing_time"])
        size = signer.bits // 8
        to_sign = b"\x31" + attrs.dump()[1:]
        digest = bytes(gosthash.new("streebog%d" % signer.bits,
                                    data=bytearray(to_sign)).digest())
        mode = gostsignature.MODE_256 if signer.bits == 256 else gostsignature.MODE_512
        curve = gostsignature.CURVES_R_1323565_1_024_2019[
            _PARAMSET_CURVES[(signer.bits, signer.paramset)]]
        r_s = gostsignature.new(mode, curve).sign(
            bytearray(self.private_key(signer)), bytearray(digest[::-1]))
        s_r = bytes(r_s[size:]) + bytes(r_s[:size])
        new_signer_info = cms.SignerInfo({
            "version": signer_info["version"],
            "sid": signer_info["sid"],
            "digest_algorithm": signer_info["digest_algorithm"],
            "signed_attrs": attrs,
            "signature_algorithm": signer_info["signature_algorithm"],
            "signature": s_r,
        })
        new_signed_data = cms.SignedData({
            "version": signed_data["version"],
            "digest_algorithms": signed_data["digest_algorithms"],
            "encap_content_info": signed_data["encap_content_info"],
            "certificates": signed_data["certificates"],
            "signer_infos": cms.SignerInfos([new_signer_info]),
        })
        return cms.ContentInfo({"content_type": "signed_data",
                                "content": new_signed_data}).dump()


def flip_signature_byte(signature_der: bytes) -> bytes:
    """Flip one bit in the middle of the SignerInfo signature OCTET STRING."""
    from asn1crypto import cms

    value = cms.ContentInfo.load(signature_der)["content"]["signer_infos"][0]["signature"].contents
    start = signature_der.find(value)
    if start < 0 or signature_der.find(value, start + 1) >= 0:
        raise ValueError("cannot locate the signature value")
    broken = bytearray(signature_der)
    broken[start + len(value) // 2] ^= 0x01
    return bytes(broken)
