"""The command line in processes of their own, forked from one that has imported it already.

A fresh interpreter spends about 0.3 s starting and importing attoreport before it reads a
byte, and the hostile-input tests start one per crafted file. This server is such an
interpreter, started once per test process: each run is a fork of it, so it starts as a fresh
process would (one thread, default signal handlers, attoreport imported, nothing loaded) and
ends as one (its own exit code, standard output and error, peak memory), in a few milliseconds.

Protocol: one JSON line per run on the server's standard input (argv as base64 bytes, so
undecodable file names reach the command as they would through `sys.argv`; files for standard
output and error, and for the peak memory); one JSON line back with the exit code.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import subprocess
import sys
from pathlib import Path

SERVER = r"""
import base64, json, os, sys
from pathlib import Path

import attoreport.cli  # what every run imports, once
import attoreport.report.html
import attoreport.run


def child(request):
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # not the server's requests
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
    argv = [os.fsdecode(base64.b64decode(a)) for a in request["argv"]]
    try:
        attoreport.cli.main(argv, prog_name="attoreport")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    sys.stdout.flush()
    sys.stderr.flush()
    status = Path("/proc/self/status")
    if status.exists():
        peak = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM:"))
        Path(request["peak"]).write_text(peak.split()[1])
    os._exit(code)


for line in sys.stdin:
    request = json.loads(line)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        try:
            child(request)
        finally:
            os._exit(70)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"code": os.waitstatus_to_exitcode(status)}), flush=True)
"""

_server: subprocess.Popen[str] | None = None


def _started() -> subprocess.Popen[str]:
    global _server
    if _server is None or _server.poll() is not None:
        _server = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True)
        atexit.register(_server.kill)
    return _server


def run(argv: list[str | bytes | os.PathLike[str]], stdout: Path, stderr: Path,
        peak: Path) -> int:
    """The exit code of `attoreport argv...` in a process forked from the server; its
    standard output and error go to `stdout` and `stderr`, its peak memory (KiB, where
    /proc exists) to `peak`."""
    server = _started()
    assert server.stdin is not None and server.stdout is not None
    encoded = [base64.b64encode(os.fsencode(a)).decode() for a in argv]
    server.stdin.write(json.dumps({"argv": encoded, "stdout": str(stdout),
                                   "stderr": str(stderr), "peak": str(peak)}) + "\n")
    server.stdin.flush()
    return int(json.loads(server.stdout.readline())["code"])
