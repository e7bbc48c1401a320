"""Helpers for tests of the outbound queue against a real remote MX: Postfix's smtp-sink
(postfix package) reached through [outbound.routes], and waiting for the queue of a running
`kurier serve`. Used by test_queue.py, test_dsn.py and test_postfix_smtp.py; the sink fixtures are
in conftest.py."""
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import free_port, port_answers, wait_for

SMTP_SINK = "/usr/sbin/smtp-sink"


class Sink:
    """smtp-sink writing each received message to DIR/<n>.<id> (with X-Mail-Args/X-Rcpt-Args
    headers showing the MAIL/RCPT parameters it got); reject_rcpt answers RCPT 5xx; dsn=False
    does not announce DSN (RFC 3461) in its EHLO reply."""

    def __init__(self, reject_rcpt=False, dsn=True):
        # smtp-sink writes as the postfix user: a folder it can reach (pytest's tmp_path is 0700).
        self.dir = Path(tempfile.mkdtemp(prefix="kurier-sink-"))
        os.chmod(self.dir, 0o777)
        self.port = free_port()
        args = [SMTP_SINK, "-u", "postfix", "-d", str(self.dir / "%M.")]
        if reject_rcpt:
            args += ["-f", "RCPT"]
        if not dsn:
            args += ["-N"]
        self.proc = subprocess.Popen(args + [f"127.0.0.1:{self.port}", "10"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for(lambda: port_answers("127.0.0.1", self.port), "smtp-sink to start", timeout=10, interval=0.05)

    def messages(self):
        return [p.read_bytes() for p in sorted(self.dir.iterdir())]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def make_sink(**kw):
    if not os.path.exists(SMTP_SINK):
        pytest.skip("smtp-sink (postfix) is not installed")
    return Sink(**kw)


def queue_list(k):
    return json.loads(k.cli("queue", "list", "--json").stdout)


def route(k, domain, port):
    k.set_config("outbound.routes", f'"{domain}"', f'"127.0.0.1:{port}"')


def start_with_queue(k):
    k.start()
    deadline = time.monotonic() + 5
    while "queue.started" not in k.log_text():
        if time.monotonic() > deadline:
            pytest.skip("this build's `serve` does not run the outbound queue yet (server.cpp wiring)")
        time.sleep(0.05)
