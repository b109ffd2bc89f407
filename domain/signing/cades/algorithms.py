"""Object identifiers of the algorithms a CAdES signature names, and their names for users.

Which signature, key and digest OIDs are GOST R 34.10-2012 / 34.11-2012 (mapped to the key
size), which key parameter sets name which curve, which other digests an ESS
signingCertificate attribute may use, and the Russian name of an algorithm met in practice
for the refusal message.
"""

OID_GOST2012_256_KEY = "1.2.643.7.1.1.1.1"
OID_GOST2012_512_KEY = "1.2.643.7.1.1.1.2"
OID_STREEBOG_256 = "1.2.643.7.1.1.2.2"
OID_STREEBOG_512 = "1.2.643.7.1.1.2.3"
OID_SIGN_GOST2012_256 = "1.2.643.7.1.1.3.2"
OID_SIGN_GOST2012_512 = "1.2.643.7.1.1.3.3"


# Signature algorithm identifiers accepted in SignerInfo / certificates,
# mapped to the key size.  CryptoPro puts the key algorithm OID into
# SignerInfo.signatureAlgorithm, OpenSSL does the same; the "signwithdigest"
# OIDs are accepted too.
SIGNATURE_ALGORITHMS = {
    OID_GOST2012_256_KEY: 256,
    OID_SIGN_GOST2012_256: 256,
    OID_GOST2012_512_KEY: 512,
    OID_SIGN_GOST2012_512: 512,
}
KEY_ALGORITHMS = {OID_GOST2012_256_KEY: 256, OID_GOST2012_512_KEY: 512}
DIGEST_ALGORITHMS = {OID_STREEBOG_256: 256, OID_STREEBOG_512: 512}

# Human-readable names of algorithms met in practice, for the refusal message.
_ALGORITHM_NAMES = {
    "1.2.840.113549.1.1.1": "RSA",
    "1.2.840.113549.1.1.5": "RSA с SHA-1",
    "1.2.840.113549.1.1.10": "RSA-PSS",
    "1.2.840.113549.1.1.11": "RSA с SHA-256",
    "1.2.840.113549.1.1.12": "RSA с SHA-384",
    "1.2.840.113549.1.1.13": "RSA с SHA-512",
    "1.2.840.10045.2.1": "ECDSA",
    "1.2.840.10045.4.3.2": "ECDSA с SHA-256",
    "1.2.840.10045.4.3.3": "ECDSA с SHA-384",
    "1.2.840.10045.4.3.4": "ECDSA с SHA-512",
    "1.2.840.10040.4.1": "DSA",
    "1.3.101.112": "Ed25519",
    "1.2.643.2.2.19": "ГОСТ Р 34.10-2001",
    "1.2.643.2.2.3": "ГОСТ Р 34.10-2001 с ГОСТ Р 34.11-94",
    "1.2.643.2.2.9": "ГОСТ Р 34.11-94",
    "1.3.14.3.2.26": "SHA-1",
    "2.16.840.1.101.3.4.2.1": "SHA-256",
    "2.16.840.1.101.3.4.2.2": "SHA-384",
    "2.16.840.1.101.3.4.2.3": "SHA-512",
    "1.2.643.7.1.1.1.1": "ГОСТ Р 34.10-2012 256 бит",
    "1.2.643.7.1.1.1.2": "ГОСТ Р 34.10-2012 512 бит",
    "1.2.643.7.1.1.3.2": "ГОСТ Р 34.10-2012 256 бит",
    "1.2.643.7.1.1.3.3": "ГОСТ Р 34.10-2012 512 бит",
    "1.2.643.7.1.1.2.2": "ГОСТ Р 34.11-2012 256 бит",
    "1.2.643.7.1.1.2.3": "ГОСТ Р 34.11-2012 512 бит",
}

# Key parameter sets (publicKeyParamSet OID) -> name in gostcrypto's table
# (R 1323565.1.024-2019 names; the CryptoPro sets are the same curves as
# tc26 256 B/C/D).
PARAMSET_TO_CURVE = {
    "1.2.643.2.2.35.1": "id-tc26-gost-3410-2012-256-paramSetB",  # CryptoPro-A
    "1.2.643.2.2.36.0": "id-tc26-gost-3410-2012-256-paramSetB",  # CryptoPro-XchA
    "1.2.643.2.2.35.2": "id-tc26-gost-3410-2012-256-paramSetC",  # CryptoPro-B
    "1.2.643.2.2.35.3": "id-tc26-gost-3410-2012-256-paramSetD",  # CryptoPro-C
    "1.2.643.2.2.36.1": "id-tc26-gost-3410-2012-256-paramSetD",  # CryptoPro-XchB
    "1.2.643.7.1.2.1.1.1": "id-tc26-gost-3410-2012-256-paramSetA",
    "1.2.643.7.1.2.1.1.2": "id-tc26-gost-3410-2012-256-paramSetB",
    "1.2.643.7.1.2.1.1.3": "id-tc26-gost-3410-2012-256-paramSetC",
    "1.2.643.7.1.2.1.1.4": "id-tc26-gost-3410-2012-256-paramSetD",
    "1.2.643.7.1.2.1.2.1": "id-tc26-gost-3410-12-512-paramSetA",
    "1.2.643.7.1.2.1.2.2": "id-tc26-gost-3410-12-512-paramSetB",
    "1.2.643.7.1.2.1.2.3": "id-tc26-gost-3410-2012-512-paramSetC",
}


# Digests other than Streebog that an ESS signingCertificate(V2) attribute may use.
HASHLIB_DIGESTS = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}


def algorithm_name(oid: str) -> str:
    """The algorithm as named in a refusal: «RSA с SHA-256, OID …», or the bare OID."""
    name = _ALGORITHM_NAMES.get(oid)
    return "%s, OID %s" % (name, oid) if name else "OID %s" % oid
