"""`python -m bench [name ...]`: run the bench/bench_*.py modules and print one table.

A module with `run(report)` shares one gunicorn server (bench.common); a module without it
(e.g. bench_cades.py, a stand-alone script with its own main) runs as a script and its
output is kept under the table. `python -m bench accounts` runs bench_accounts.py only.
The results are also written to bench/results/latest.txt.
"""
import argparse
import importlib
import subprocess
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import Report  # noqa: E402


def available() -> list[str]:
    """Short names of the bench modules: bench_accounts.py -> accounts."""
    return sorted(p.stem[len("bench_"):] for p in HERE.glob("bench_*.py"))


def run_script(name: str, report: Report) -> bool:
    """Run a module without run() as a script; its output becomes a note."""
    path = HERE / f"bench_{name}.py"
    print(f"== {name} (script {path.name})", flush=True)
    proc = subprocess.run([sys.executable, str(path)], cwd=str(ROOT), capture_output=True,
                          text=True)
    output = (proc.stdout + proc.stderr).rstrip()
    print(output, flush=True)
    report.note(f"[{name}] {path.name} (own script, exit {proc.returncode}):\n{output}")
    return proc.returncode == 0


def run_module(name: str, report: Report) -> bool:
    """Import bench_<name> and call its run(report), or run it as a script."""
    module = importlib.import_module(f"bench.bench_{name}")
    if not hasattr(module, "run"):
        return run_script(name, report)
    print(f"== {name}", flush=True)
    report.group = name
    try:
        module.run(report)
        return True
    except Exception:  # noqa: BLE001 - one failing bench must not hide the others
        text = traceback.format_exc()
        print(text, file=sys.stderr)
        report.note(f"[{name}] FAILED:\n{text.rstrip()}")
        return False


def main(argv=None) -> int:
    """Run the chosen (default: all) benches, print and save the report."""
    names = available()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", metavar="name",
                        help=f"benches to run (default all): {', '.join(names)}")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in names]
    if unknown:
        parser.error(f"unknown bench {', '.join(unknown)}; available: {', '.join(names)}")
    report = Report()
    ok = True
    try:
        for name in args.names or names:
            ok &= run_module(name, report)
    finally:
        report.close()
    text = report.text()
    print("\n" + text)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.txt").write_text(text, encoding="utf-8")
    print(f"(saved to {results / 'latest.txt'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
