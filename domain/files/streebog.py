"""Streebog (GOST R 34.11-2012) digests, 256 and 512 bit: incremental, of files and of bytes.

Used when a file is stored (domain.files.storage feeds :func:`streebog_hasher` while
streaming the upload, so that a document that may be signed is hashed once) and by the
signature check (domain.signing.cades).

Streebog of a 30 MB document in pure Python (gostcrypto) takes minutes, so when the
OpenSSL GOST provider ("gostprov" from Debian's libengine-gost-openssl) is installed it
is used through ctypes in a private OpenSSL library context; otherwise gostcrypto is
used.  The binding is loaded on first use (not at import), once, under a lock.  The
choice can be forced with the environment variable ``CADES_STREEBOG_BACKEND``
(``auto`` (default), ``openssl`` or ``python``).  Even with OpenSSL, hashing 30 MB
costs ~230 ms.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from typing import BinaryIO, Union

from gostcrypto import gosthash

__all__ = [
    "CHUNK_SIZE",
    "DocumentInput",
    "streebog_backend",
    "streebog_digest",
    "streebog_file",
    "streebog_hasher",
]

#: Size of the chunks in which documents are read and hashed.
CHUNK_SIZE = 1 << 20

DocumentInput = Union[str, "os.PathLike[str]", BinaryIO, bytes, bytearray, memoryview]


class _PyStreebog:
    """Streebog on top of gostcrypto.

    gostcrypto's ``update`` loses data when a call leaves a partial block and
    the next call completes it exactly (its internal buffer is then not
    reset), so only whole 64-byte blocks are passed to it and the tail is
    kept here until :meth:`digest`.
    """

    name = "python"

    def __init__(self, bits: int) -> None:
        self._hash = gosthash.new("streebog%d" % bits)
        self._tail = b""

    def update(self, data) -> None:
        data = self._tail + bytes(data)
        cut = len(data) - len(data) % 64
        if cut:
            self._hash.update(data[:cut])
        self._tail = data[cut:]

    def digest(self) -> bytes:
        final = self._hash.copy()
        if self._tail:
            final.update(self._tail)
        return bytes(final.digest())


class _OpenSSL:
    """ctypes binding to the Streebog digests of OpenSSL's GOST provider.

    The provider is loaded into a private ``OSSL_LIB_CTX`` so that the rest
    of the process (Python's ssl/hashlib) is not affected.
    """

    def __init__(self) -> None:
        name = ctypes.util.find_library("crypto")
        if not name:
            raise OSError("libcrypto not found")
        lib = ctypes.CDLL(name)
        vp, cp = ctypes.c_void_p, ctypes.c_char_p
        lib.OSSL_LIB_CTX_new.restype = vp
        lib.OSSL_LIB_CTX_new.argtypes = []
        lib.OSSL_PROVIDER_load.restype = vp
        lib.OSSL_PROVIDER_load.argtypes = [vp, cp]
        lib.EVP_MD_fetch.restype = vp
        lib.EVP_MD_fetch.argtypes = [vp, cp, cp]
        lib.EVP_MD_CTX_new.restype = vp
        lib.EVP_MD_CTX_new.argtypes = []
        lib.EVP_MD_CTX_free.restype = None
        lib.EVP_MD_CTX_free.argtypes = [vp]
        lib.EVP_DigestInit_ex.restype = ctypes.c_int
        lib.EVP_DigestInit_ex.argtypes = [vp, vp, vp]
        lib.EVP_DigestUpdate.restype = ctypes.c_int
        lib.EVP_DigestUpdate.argtypes = [vp, cp, ctypes.c_size_t]
        lib.EVP_DigestFinal_ex.restype = ctypes.c_int
        lib.EVP_DigestFinal_ex.argtypes = [vp, cp, ctypes.POINTER(ctypes.c_uint)]
        libctx = lib.OSSL_LIB_CTX_new()
        if not libctx or not lib.OSSL_PROVIDER_load(libctx, b"gostprov"):
            raise OSError("OpenSSL GOST provider (gostprov) is not available")
        self.lib = lib
        self.md = {}
        for bits, md_name in ((256, b"md_gost12_256"), (512, b"md_gost12_512")):
            md = lib.EVP_MD_fetch(libctx, md_name, None)
            if not md:
                raise OSError("OpenSSL GOST provider has no %s" % md_name.decode())
            self.md[bits] = md
        # Self-test against gostcrypto on a value that spans several blocks.
        probe = bytes(range(256)) * 3
        ours = _OpenSSLStreebog(self, 256)
        ours.update(probe)
        if ours.digest() != bytes(gosthash.new("streebog256", data=bytearray(probe)).digest()):
            raise OSError("OpenSSL Streebog self-test failed")


class _OpenSSLStreebog:
    """Streebog computed by OpenSSL (see :class:`_OpenSSL`)."""

    name = "openssl"

    def __init__(self, binding: _OpenSSL, bits: int) -> None:
        self._lib = binding.lib
        self._size = bits // 8
        self._ctx = self._lib.EVP_MD_CTX_new()
        if not self._ctx or self._lib.EVP_DigestInit_ex(self._ctx, binding.md[bits], None) != 1:
            self._free()
            raise OSError("EVP_DigestInit_ex failed")

    def _free(self) -> None:
        if getattr(self, "_ctx", None):
            self._lib.EVP_MD_CTX_free(self._ctx)
            self._ctx = None

    __del__ = _free

    def update(self, data) -> None:
        if self._ctx is None:
            raise ValueError("digest already finalised")
        if not isinstance(data, bytes):
            data = bytes(data)
        if data and self._lib.EVP_DigestUpdate(self._ctx, data, len(data)) != 1:
            raise OSError("EVP_DigestUpdate failed")

    def digest(self) -> bytes:
        if self._ctx is None:
            raise ValueError("digest already finalised")
        out = ctypes.create_string_buffer(64)
        length = ctypes.c_uint(0)
        try:
            if self._lib.EVP_DigestFinal_ex(self._ctx, out, ctypes.byref(length)) != 1:
                raise OSError("EVP_DigestFinal_ex failed")
        finally:
            self._free()
        return out.raw[:length.value]


_openssl_lock = threading.Lock()
_openssl_state: dict = {}


def _openssl_binding() -> _OpenSSL | None:
    """Return the OpenSSL binding, or None if the GOST provider is missing."""
    with _openssl_lock:
        if "binding" not in _openssl_state:
            try:
                _openssl_state["binding"] = _OpenSSL()
            except (OSError, AttributeError) as exc:  # no lib / no symbol / no provider
                _openssl_state["binding"] = None
                _openssl_state["error"] = str(exc)
        return _openssl_state["binding"]


def streebog_backend() -> str:
    """Return the Streebog implementation in use: ``"openssl"`` or ``"python"``.

    Controlled by ``CADES_STREEBOG_BACKEND`` (``auto``/``openssl``/``python``).
    """
    choice = os.environ.get("CADES_STREEBOG_BACKEND", "auto").strip().lower() or "auto"
    if choice == "python":
        return "python"
    if choice not in ("auto", "openssl"):
        raise ValueError("CADES_STREEBOG_BACKEND must be auto, openssl or python")
    if _openssl_binding() is not None:
        return "openssl"
    if choice == "openssl":
        raise RuntimeError("OpenSSL GOST provider is unavailable: %s"
                           % _openssl_state.get("error"))
    return "python"


def streebog_hasher(bits: int):
    """Return an incremental Streebog (GOST R 34.11-2012) hasher, ``bits`` = 256 or 512.

    The object has ``update(data)`` (any chunk sizes, 64-byte aligned or not) and
    ``digest()`` (the usual byte order, as printed by ``openssl dgst``; call it
    once) and a ``name`` ("openssl" or "python").  It is backed by OpenSSL's GOST
    provider when available, else by gostcrypto fed whole 64-byte blocks (see
    :class:`_PyStreebog`).  Used to hash uploads while they are stored, so that
    the signature check (``cades.verify_detached``) can be given the digest
    instead of the document.
    """
    if bits not in (256, 512):
        raise ValueError("bits must be 256 or 512")
    if streebog_backend() == "openssl":
        return _OpenSSLStreebog(_openssl_binding(), bits)
    return _PyStreebog(bits)


def streebog_digest(data: bytes, bits: int) -> bytes:
    """Return Streebog of a value held in memory (signed attributes, a certificate's
    to-be-signed part) in one update, ``bits`` = 256 or 512."""
    hasher = streebog_hasher(bits)
    hasher.update(data)
    return hasher.digest()


def streebog_file(fileobj_or_path: DocumentInput, bits: int) -> bytes:
    """Return Streebog (GOST R 34.11-2012) of a file, ``bits`` = 256 or 512.

    Accepts a path, a binary file object (read from its current position to
    the end, not closed) or bytes.  Files are read in :data:`CHUNK_SIZE`
    chunks, so memory use does not depend on the file size.  The digest is
    returned in the usual byte order (as printed by ``openssl dgst`` and
    stored in the CMS ``messageDigest`` attribute).
    """
    hasher = streebog_hasher(bits)
    if isinstance(fileobj_or_path, (bytes, bytearray, memoryview)):
        view = memoryview(fileobj_or_path)
        for start in range(0, len(view), CHUNK_SIZE):
            hasher.update(view[start:start + CHUNK_SIZE])
        return hasher.digest()
    if isinstance(fileobj_or_path, (str, os.PathLike)):
        with open(fileobj_or_path, "rb") as fileobj:
            _feed(hasher, fileobj)
    elif hasattr(fileobj_or_path, "read"):
        _feed(hasher, fileobj_or_path)
    else:
        raise TypeError("expected a path, a binary file object or bytes")
    return hasher.digest()


def _feed(hasher, fileobj) -> None:
    """Feed a binary file object to ``hasher`` in CHUNK_SIZE reads up to its end."""
    while True:
        chunk = fileobj.read(CHUNK_SIZE)
        if not chunk:
            break
        if isinstance(chunk, str):
            raise TypeError("the document must be opened in binary mode")
        hasher.update(chunk)
