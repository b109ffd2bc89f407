"""Benchmark of the КЭП check on a 30 MB document, as the portal performs it.

Makes a throw-away GOST PKI with openssl's GOST engine (tests/gost_tools.py),
signs a 30 MB file with a 256-bit and a 512-bit key, and prints medians of:

(a) the signature check at signing time: cades.verify_detached given the
    Streebog digests recorded when the document was uploaded (the portal does
    not read the document again) -- against the targets (<= 150 ms for
    256-bit, <= 400 ms for 512-bit);
(b) full verification including streamed Streebog hashing of the 30 MB file
    from disk (what a check without recorded digests costs; the
    «Скачать с подписями» audit hashes the file once for all signatures);
(c) the upload's extra cost: storage.save_stream of the 30 MB file with
    SHA-256 only vs with SHA-256 + Streebog-256 + Streebog-512 in the same pass.

    python bench/bench_cades.py [--size-mb 30] [--runs 5] [--full-python] [--strict]

The Streebog backend is chosen as in cades (CADES_STREEBOG_BACKEND); the
pure-Python (gostcrypto) hashing time for the whole file is extrapolated from
1 MiB unless --full-python is given (it takes minutes).  The machine's load
shows in the numbers: the load average is printed with them.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask

# Run as a script, the checkout is not on sys.path; tests/ is not put there either, so
# that tests/domain/ cannot shadow the project's domain/.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from domain.files import storage  # noqa: E402
from domain.signing import cades  # noqa: E402
from tests import gost_tools  # noqa: E402

TARGETS_MS = {256: 150.0, 512: 400.0}


def _median_ms(func, runs: int) -> float:
    """Median wall time of `runs` calls of func, in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _python_streebog_ms(path: Path, bits: int, full: bool) -> tuple:
    """Pure-Python hashing time: measured on the whole file or extrapolated."""
    previous = os.environ.get("CADES_STREEBOG_BACKEND")
    os.environ["CADES_STREEBOG_BACKEND"] = "python"
    try:
        size = path.stat().st_size
        if full:
            start = time.perf_counter()
            cades.streebog_file(path, bits)
            return (time.perf_counter() - start) * 1000, "measured"
        sample = os.urandom(1 << 20)
        start = time.perf_counter()
        cades.streebog_file(sample, bits)
        per_mib = (time.perf_counter() - start) * 1000
        return per_mib * size / (1 << 20), "extrapolated from 1 MiB"
    finally:
        if previous is None:
            os.environ.pop("CADES_STREEBOG_BACKEND", None)
        else:
            os.environ["CADES_STREEBOG_BACKEND"] = previous


def _upload_cost(document: Path, storage_dir: Path, runs: int) -> dict:
    """Median ms of storage.save_stream of `document`: SHA-256 only, and with the
    Streebog digests the portal records for an organisation's document; also the
    digests themselves (hex) as recorded."""
    app = Flask("bench_cades")
    app.config["STORAGE_DIR"] = str(storage_dir)
    result = {}
    with app.app_context():
        for label, extra in (("plain", ()), ("digests", tuple(storage.EXTRA_DIGESTS))):
            def upload():
                with open(document, "rb") as stream:
                    stored = storage.save_stream(stream, None, extra_digests=extra)
                storage.delete(stored.key)
                result["recorded"] = stored.digests
            result[label] = _median_ms(upload, runs)
    return result


def main(argv=None) -> int:
    """Run the measurements and print them; exit 1 with --strict when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--full-python", action="store_true",
                        help="hash the whole file with pure-Python Streebog too (slow)")
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 when a target is missed")
    args = parser.parse_args(argv)

    if not gost_tools.gost_engine_available():
        print("SKIP: " + gost_tools.GOST_MISSING)
        return 0

    backend = cades.streebog_backend()
    print("Streebog backend: %s (CADES_STREEBOG_BACKEND=%s); load average %s; %d CPUs"
          % (backend, os.environ.get("CADES_STREEBOG_BACKEND", "auto"),
             " ".join("%.2f" % x for x in os.getloadavg()), os.cpu_count() or 0))
    missed = False
    with tempfile.TemporaryDirectory(prefix="bench_cades_") as tmp:
        tmp = Path(tmp)
        document = tmp / "document.bin"
        with open(document, "wb") as out:
            for _ in range(args.size_mb):
                out.write(os.urandom(1 << 20))
        pki = gost_tools.GostPki(tmp / "pki")
        root = pki.make_root()
        print("Document: %d MB; runs per measurement: %d" % (args.size_mb, args.runs))

        # (c) first: the upload records the digests (a) uses.
        upload = _upload_cost(document, tmp / "storage", args.runs)
        recorded = {bits: bytes.fromhex(upload["recorded"]["streebog%d" % bits])
                    for bits in (256, 512)}
        extra = upload["digests"] - upload["plain"]
        print("(c) upload of %d MB (storage.save_stream): SHA-256 only %.0f ms; "
              "with Streebog-256 + Streebog-512 in the same pass %.0f ms; extra %.0f ms "
              "(%.0f ms per MB)" % (args.size_mb, upload["plain"], upload["digests"], extra,
                                    extra / max(args.size_mb, 1)))

        expected = {"inn": "7701234567"}
        for bits in (256, 512):
            signer = pki.make_signer(root, innle="7701234567", bits=bits, paramset="A")
            signature = pki.sign(signer, document)
            full = cades.verify_detached(signature, document, expected=expected,
                                         trusted_roots=[root.der])
            fast = cades.verify_detached(signature, expected=expected, trusted_roots=[root.der],
                                         document_digest=recorded)
            assert full.ok and fast.ok and full.digest_hex == fast.digest_hex
            at_signing = _median_ms(lambda: cades.verify_detached(
                signature, expected=expected, trusted_roots=[root.der],
                document_digest=recorded), args.runs)
            with_hash = _median_ms(lambda: cades.verify_detached(
                signature, document, expected=expected, trusted_roots=[root.der]), args.runs)
            hashing = _median_ms(lambda: cades.streebog_file(document, bits), args.runs)
            target = TARGETS_MS[bits]
            verdict = "OK" if at_signing <= target else "MISSED"
            missed |= at_signing > target
            print("GOST %d:\n"
                  "    (a) check at signing time, digest recorded at upload: %.1f ms "
                  "(target <= %.0f ms: %s)\n"
                  "    (b) full verification incl. streamed hashing of the %d MB file "
                  "from disk: %.0f ms (%s the target; Streebog-%d of the file alone %.0f ms)"
                  % (bits, at_signing, target, verdict, args.size_mb, with_hash,
                     "within" if with_hash <= target else "over", bits, hashing))
            if backend != "python" or args.full_python:
                py_ms, how = _python_streebog_ms(document, bits, args.full_python)
                print("    pure-Python Streebog-%d of the document: %.0f ms (%s)"
                      % (bits, py_ms, how))
        start = time.perf_counter()
        pki.run("dgst", *gost_tools.ENGINE, "-md_gost12_256", str(document))
        print("Reference: `openssl dgst -md_gost12_256` of the document (incl. process start): "
              "%.0f ms" % ((time.perf_counter() - start) * 1000))
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
