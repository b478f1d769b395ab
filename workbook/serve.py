"""Serve upcell's functions to Excel from your own xlwings Server (``make serve-excel``).

xlwings Server (the ``xlwings-server`` package) is a FastAPI app that Excel's Office.js
add-in calls: it lists the functions (``/xlwings/custom-functions-meta``), hands Excel the
JavaScript that registers them (``/xlwings/custom-functions-code``) and answers each
calculation (``POST /xlwings/custom-functions-call``). It loads its functions from the
``custom_functions`` package and its scripts from ``custom_scripts`` of a project folder;
upcell's project folder is ``excel_server/``, whose packages re-export ``udfs`` and the
"Connect model" script. In Excel the functions carry the server's namespace:
``=XLWINGS.SCORE_ACCOUNTS(Accounts[#All])``.

    python -m workbook.serve [--host 127.0.0.1] [--port 8000] [--environment dev]

xlwings Server needs a license key in ``XLWINGS_LICENSE_KEY`` (``noncommercial`` is the
free key for non-commercial use). Excel only loads add-ins over HTTPS: put a certificate
pair in ``excel_server/certs/`` (``localhost+2.pem`` and ``localhost+2-key.pem``, e.g.
made with mkcert) and it is used; the add-in manifest is at ``/manifest``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_DIR = ROOT / "excel_server"
CERT = PROJECT_DIR / "certs" / "localhost+2.pem"
KEY = PROJECT_DIR / "certs" / "localhost+2-key.pem"
NAMESPACE = "XLWINGS"  # xlwings Server's default functions namespace


def namespace(environment: str = "prod", base: str = NAMESPACE) -> str:
    """The namespace xlwings Server's manifest gives the functions: ``XLWINGS`` in
    production, ``XLWINGS_DEV`` (etc.) in the other environments."""
    return base.upper() + ("" if environment == "prod" else "_" + environment.upper())


def server_env(environment: str = "dev", license_key: str | None = None,
               base: dict | None = None) -> dict:
    """The environment of an xlwings Server process serving upcell from ``excel_server/``."""
    env = dict(os.environ if base is None else base)
    env.update(
        XLWINGS_PROJECT_DIR=str(PROJECT_DIR),
        XLWINGS_ENVIRONMENT=environment,
        XLWINGS_ON_SERVER="true",
        # the repository root, so `import udfs` works without installing the package
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
    )
    if license_key is not None:
        env["XLWINGS_LICENSE_KEY"] = license_key
    return env


def command(host: str, port: int, *, https: bool | None = None) -> list[str]:
    """The uvicorn command line of the server (HTTPS when the certificate pair exists)."""
    cmd = [sys.executable, "-m", "uvicorn", "xlwings_server.main:main_app",
           "--host", host, "--port", str(port), "--log-level", "warning"]
    if https if https is not None else (CERT.exists() and KEY.exists()):
        cmd += ["--ssl-certfile", str(CERT), "--ssl-keyfile", str(KEY)]
    return cmd


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(*, environment: str = "dev", license_key: str = "noncommercial",
            port: int | None = None, log: str | os.PathLike | None = None,
            timeout: float = 90) -> Iterator[str]:
    """xlwings Server serving upcell on 127.0.0.1 over HTTP; yields its base URL once it
    answers, stops its process group on exit. Raises ``RuntimeError`` if it cannot start."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(command("127.0.0.1", port, https=False), url + "/xlwings/custom-functions-meta",
                 what="xlwings Server", cwd=PROJECT_DIR, env=server_env(environment, license_key),
                 log=log, timeout=timeout):
        yield url


@contextlib.contextmanager
def serving(cmd: list[str], ready_url: str, *, what: str, cwd: str | os.PathLike,
            env: dict | None = None, log: str | os.PathLike | None = None,
            timeout: float = 90) -> Iterator[subprocess.Popen]:
    """Run ``cmd`` in a process group of its own (output to ``log``), yield the process once
    ``ready_url`` answers HTTP 200, and stop the whole group on exit (SIGTERM, then SIGKILL
    after 15 s). Raises ``RuntimeError`` naming ``what`` (with the log's tail) if it exits
    or does not answer within ``timeout`` seconds."""
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    try:
        _wait(what, ready_url, proc, timeout, log)
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
        if log:
            out.close()


def _wait(what: str, url: str, proc: subprocess.Popen, timeout: float, log) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"{what} did not answer on {url} within {timeout:.0f} s{_tail(log)}")


def _tail(log) -> str:
    try:
        return ":\n" + Path(log).read_text(errors="replace")[-3000:] if log else ""
    except OSError:
        return ""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m workbook.serve", description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--environment", default="dev", choices=["dev", "qa", "uat", "staging", "prod"],
                   help="xlwings Server's environment (prod hides internal error details)")
    args = p.parse_args(argv)
    if not os.environ.get("XLWINGS_LICENSE_KEY"):
        print("error: set XLWINGS_LICENSE_KEY (your xlwings license key; 'noncommercial' is the "
              "free key for non-commercial use)", file=sys.stderr)
        return 2
    https = CERT.exists() and KEY.exists()
    scheme = "https" if https else "http"
    print(f"upcell on xlwings Server: {scheme}://{args.host}:{args.port} (Ctrl-C stops)")
    print(f"  add-in manifest: {scheme}://{args.host}:{args.port}/manifest")
    print(f"  in Excel: ={namespace(args.environment)}.SCORE_ACCOUNTS(Accounts[#All]); "
          "run the 'Connect model' script once per workbook")
    if not https:
        print("  no certificate in excel_server/certs/: HTTP only (Excel loads add-ins over HTTPS)")
    try:
        return subprocess.call(command(args.host, args.port, https=https), cwd=PROJECT_DIR,
                               env=server_env(args.environment))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
