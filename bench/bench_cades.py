"""Benchmark of cades.verify_detached on a 30 MB document.

Makes a throw-away GOST PKI with openssl's GOST engine (tests/gost_tools.py),
signs a 30 MB file with a 256-bit and a 512-bit key, and prints the median
time of verify_detached against the targets (<= 150 ms for 256-bit, <= 400 ms
for 512-bit), split into "document hash" and "everything else".

    python bench/bench_cades.py [--size-mb 30] [--runs 5] [--full-python] [--strict]

The Streebog backend is chosen as in cades (CADES_STREEBOG_BACKEND); the
pure-Python (gostcrypto) hashing time for the whole file is extrapolated from
1 MiB unless --full-python is given (it takes minutes).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (str(ROOT), str(ROOT / "tests")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import cades  # noqa: E402
import gost_tools  # noqa: E402

TARGETS_MS = {256: 150.0, 512: 400.0}


def _median_ms(func, runs: int) -> float:
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--full-python", action="store_true",
                        help="hash the whole file with pure-Python Streebog too (slow)")
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 when a target is missed")
    args = parser.parse_args(argv)

    if not gost_tools.gost_engine_available():
        print("SKIP: " + gost_tools.GOST_SKIP_REASON)
        return 0

    backend = cades.streebog_backend()
    print("Streebog backend: %s (CADES_STREEBOG_BACKEND=%s)"
          % (backend, os.environ.get("CADES_STREEBOG_BACKEND", "auto")))
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
        for bits in (256, 512):
            signer = pki.make_signer(root, innle="7701234567", bits=bits, paramset="A")
            signature = pki.sign(signer, document)
            report = cades.verify_detached(signature, document, expected={"inn": "7701234567"},
                                           trusted_roots=[root.der])
            assert report.ok and report.key_bits == bits
            total = _median_ms(lambda: cades.verify_detached(
                signature, document, expected={"inn": "7701234567"},
                trusted_roots=[root.der]), args.runs)
            hashing = _median_ms(lambda: cades.streebog_file(document, bits), args.runs)
            small = tmp / "small.bin"
            small.write_bytes(b"x" * 1024)
            small_sig = pki.sign(signer, small)
            rest = _median_ms(lambda: cades.verify_detached(
                small_sig, small, trusted_roots=[root.der]), args.runs)
            target = TARGETS_MS[bits]
            verdict = "OK" if total <= target else "MISSED"
            missed |= total > target
            print("GOST %d: verify_detached %.0f ms (target <= %.0f ms: %s); "
                  "document hash %.0f ms; signature+chain on a 1 KB file %.1f ms"
                  % (bits, total, target, verdict, hashing, rest))
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
