"""Verification of detached CAdES-BES signatures made with GOST R 34.10-2012 keys.

:func:`verify_detached` checks a detached CMS ``SignedData`` signature (DER, PEM or bare
base64, as saved by CryptoPro, "Контур.Крипто", OpenSSL ``cms -sign``) against the signed
document and returns a :class:`VerificationReport`.  Every failed check raises
:class:`SignatureError` whose text is a Russian message that can be shown to the
applicant as is.

Checks, in the order they are performed:

1. the file is a CMS ``SignedData`` with exactly one signer and no embedded
   content (a detached signature) and with signed attributes (CAdES);
2. the signer certificate is present in the signature;
3. the algorithms are GOST R 34.10-2012 (256 or 512 bit) with the matching
   GOST R 34.11-2012 (Streebog) digest;
4. the ``messageDigest`` signed attribute equals Streebog of the document;
5. the signature value over the DER of the signed attributes is correct;
6. the ``signingCertificate``/``signingCertificateV2`` attribute, if present,
   refers to the signer certificate;
7. the signer certificate was valid at the signing time (``signingTime``
   attribute, else the ``at`` argument, else now);
8. the identifiers in the certificate subject (ИНН, ОГРН, ОГРНИП, СНИЛС)
   match the expected ones;
9. if trusted roots are given, the certificate chains to one of them (every
   link's GOST signature is verified; intermediates may come from the CMS).

Not checked (out of scope): revocation (CRL/OCSP), timestamps (CAdES-T and
later), key usage and certificate policies of qualified certificates.

Hashing 30 MB costs ~230 ms even with OpenSSL, more than the rest of the verification
(5 ms for 256-bit, 13 ms for 512-bit keys).  A caller that hashed the document once when
it was stored (domain.files.streebog's :func:`streebog_hasher`, fed while streaming the
upload) passes ``document_digest`` to :func:`verify_detached`, which then does not read
the document.

The layers, each importing only those listed before it:

- ``report``: messages, check names, SignatureError, VerificationReport;
- ``algorithms``: the OIDs and the algorithm names for refusals;
- ``encoding``: DER/PEM/base64;
- ``curve``: GOST curves and the signature equation;
- ``names``: certificate names and the applicant's identifiers;
- ``certificates``: GOST public keys, the chain to a trusted root, the roots folder;
- ``signed_data``: the CMS SignedData taken apart, the signingCertificate(V2) check;
- ``verify``: :func:`verify_detached`.

Streebog itself lives in domain.files.streebog (the file store hashes with it too); its
public names are re-exported here.
"""
from domain.files.streebog import CHUNK_SIZE, streebog_backend, streebog_file, streebog_hasher
from domain.signing.cades.certificates import load_trusted_roots
from domain.signing.cades.report import (
    CHECK_ALGORITHM,
    CHECK_CERT_PRESENT,
    CHECK_CHAIN,
    CHECK_DIGEST,
    CHECK_FORMAT,
    CHECK_IDENTIFIER,
    CHECK_SIGNING_CERT,
    CHECK_VALIDITY,
    CHECK_VALUE,
    MSG_ALGORITHM,
    MSG_CHAIN,
    MSG_DIGEST,
    MSG_IDENTIFIER,
    MSG_MANY_SIGNERS,
    MSG_NO_CERT,
    MSG_NOT_CADES,
    MSG_SIGNING_CERT,
    MSG_VALIDITY,
    MSG_VALUE,
    SignatureError,
    VerificationReport,
)
from domain.signing.cades.verify import verify_detached

__all__ = [
    "SignatureError",
    "VerificationReport",
    "streebog_file",
    "streebog_hasher",
    "streebog_backend",
    "verify_detached",
    "load_trusted_roots",
    "CHUNK_SIZE",
    "CHECK_ALGORITHM",
    "CHECK_CERT_PRESENT",
    "CHECK_CHAIN",
    "CHECK_DIGEST",
    "CHECK_FORMAT",
    "CHECK_IDENTIFIER",
    "CHECK_SIGNING_CERT",
    "CHECK_VALIDITY",
    "CHECK_VALUE",
    "MSG_ALGORITHM",
    "MSG_CHAIN",
    "MSG_DIGEST",
    "MSG_IDENTIFIER",
    "MSG_MANY_SIGNERS",
    "MSG_NO_CERT",
    "MSG_NOT_CADES",
    "MSG_SIGNING_CERT",
    "MSG_VALIDITY",
    "MSG_VALUE",
]
