"""The DNS checker of GET /api/v1/domains/NAME/dns/check against a real DNS server: dnsmasq,
started by the test on loopback, serves a test zone with some records right, one wrong and some
missing; kurier resolves through it as its configured resolver ([outbound] dns_servers)."""
import shutil
import socket
import subprocess

import pytest

from conftest import free_port, wait_for
from web_support import admin_api

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"


def answers(port):
    """True once a DNS server answers a query on 127.0.0.1:port (UDP)."""
    query = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05probe\x07invalid\x00\x00\x01\x00\x01"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        s.sendto(query, ("127.0.0.1", port))
        try:
            return s.recv(512)[:2] == b"\x12\x34"
        except OSError:
            return False


@pytest.fixture
def dnsmasq():
    port = free_port()
    procs = []

    def start(*records):
        cmd = [DNSMASQ, "--keep-in-foreground", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
               "--listen-address=127.0.0.1", "--bind-interfaces", f"--port={port}", "--user=root",
               "--pid-file=", "--log-facility=-", *records]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        wait_for(lambda: procs[-1].poll() is not None or answers(port), "dnsmasq to answer", timeout=10)
        assert procs[-1].poll() is None, procs[-1].stderr.read().decode()
        return port

    start.port = port
    yield start
    for p in procs:
        p.terminate()
        p.wait(timeout=10)


def test_dns_checker_reports_ok_missing_and_wrong(fresh_kurier, dnsmasq):
    k = fresh_kurier
    k.set_config("outbound", "dns_servers", f'["127.0.0.1:{dnsmasq.port}"]')
    k.start()
    admin = admin_api(k)
    domain = k.domain
    status, published = admin.get(f"/api/v1/domains/{domain}/dns")
    assert status == 200
    dkim = admin.get(f"/api/v1/domains/{domain}/dkim")[1]["records"]
    rsa = next(r for r in dkim if "k=rsa" in r["value"])
    strings = ",".join(rsa["strings"])  # several character-strings, as the key needs (RFC 1035 3.3.14)
    dnsmasq(f"--local=/{domain}/",  # authoritative: names without records answer NXDOMAIN/NODATA
            f"--mx-host={domain},localhost,10",
            f"--txt-record={domain},v=spf1 mx -all",
            f"--txt-record={rsa['name'].rstrip('.')},{strings}",
            f"--txt-record=_dmarc.{domain},v=DMARC1; p=sometimes",
            f"--host-record=autoconfig.{domain},127.0.0.1")
    status, check = admin.get(f"/api/v1/domains/{domain}/dns/check")
    assert status == 200, check
    by_name = {(r["kind"], r["name"]): r for r in check["records"]}
    assert by_name[("mx", domain + ".")]["status"] == "ok", check
    assert by_name[("spf", domain + ".")]["status"] == "ok", check
    assert by_name[("dkim", rsa["name"])]["status"] == "ok", by_name[("dkim", rsa["name"])]
    ed = next(r for r in check["records"] if r["kind"] == "dkim" and "ed25519" in r["name"])
    assert ed["status"] == "missing"
    dmarc = by_name[("dmarc", f"_dmarc.{domain}.")]
    assert dmarc["status"] == "wrong" and dmarc["found"] == ["v=DMARC1; p=sometimes"]
    assert by_name[("autoconfig", f"autoconfig.{domain}.")]["status"] == "ok"
    assert check["ok"] is False


def test_dns_checker_with_an_empty_zone_says_everything_is_missing(fresh_kurier, dnsmasq):
    k = fresh_kurier
    k.set_config("outbound", "dns_servers", f'["127.0.0.1:{dnsmasq.port}"]')
    k.start()
    dnsmasq(f"--local=/{k.domain}/")  # authoritative for nothing: NXDOMAIN
    status, check = admin_api(k).get(f"/api/v1/domains/{k.domain}/dns/check")
    assert status == 200 and check["ok"] is False
    assert {r["status"] for r in check["records"]} == {"missing"}, check
