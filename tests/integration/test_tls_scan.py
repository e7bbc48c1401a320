"""TLS on every port, as a scanner sees it (Debian's sslscan): TLS 1.2 and 1.3 only, no weak
cipher, no compression, no insecure renegotiation, no Heartbleed; and SIGHUP reloads the
certificate chain without dropping the listeners."""
import imaplib
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import wait_for

# (service, sslscan's STARTTLS option or None for implicit TLS)
ENDPOINTS = [("smtp", "--starttls-smtp"), ("submission", "--starttls-smtp"), ("submissions", None),
             ("imap", "--starttls-imap"), ("imaps", None), ("pop3", "--starttls-pop3"), ("pop3s", None)]
WEAK = ("NULL", "RC4", "DES", "EXP", "ADH", "AECDH", "MD5", "PSK", "SRP", "IDEA", "SEED", "CAMELLIA")

pytestmark = pytest.mark.skipif(shutil.which("sslscan") is None, reason="sslscan is not installed")


def scan(kurier, service, starttls):
    cmd = ["sslscan", "--no-colour", "--xml=-", f"{kurier.host}:{kurier.port(service)}"]
    if starttls:
        cmd.insert(1, starttls)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    return ET.fromstring(out[out.index("<?xml"):]).find("ssltest")


@pytest.mark.parametrize("service,starttls", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_only_strong_tls(kurier, service, starttls):
    report = scan(kurier, service, starttls)
    enabled = {(p.get("type"), p.get("version")) for p in report.findall("protocol") if p.get("enabled") == "1"}
    assert enabled == {("tls", "1.2"), ("tls", "1.3")}, enabled
    ciphers = report.findall("cipher")
    assert ciphers, "no cipher accepted"
    for c in ciphers:
        assert c.get("sslversion") in ("TLSv1.2", "TLSv1.3"), c.attrib
        assert int(c.get("bits")) >= 128, c.attrib
        assert not any(w in c.get("cipher") for w in WEAK), c.attrib
        # Forward secrecy for every TLS 1.2 suite (TLS 1.3's are all ephemeral).
        assert c.get("sslversion") == "TLSv1.3" or c.get("cipher").startswith(("ECDHE-", "DHE-")), c.attrib
    compression = report.find("compression")
    assert compression is None or compression.get("supported") == "0"
    reneg = report.find("renegotiation")
    assert reneg is None or reneg.get("supported") == "0" or reneg.get("secure") == "1", reneg.attrib
    assert all(h.get("vulnerable") == "0" for h in report.findall("heartbleed"))


def served_certificate(kurier, service="imaps"):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((kurier.host, kurier.port(service)), timeout=10) as raw:
        with ctx.wrap_socket(raw) as tls:
            return tls.getpeercert(binary_form=True)


def test_sighup_reloads_the_certificate_chain(fresh_kurier, tmp_path):
    k = fresh_kurier.start()
    before = served_certificate(k)
    # A chain this time: a CA and a leaf it signed, the leaf first in cert.pem.
    ca_key, ca_crt = tmp_path / "ca.key", tmp_path / "ca.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", ca_key, "-out", ca_crt, "-days", "2", "-subj", "/CN=kurier test CA"],
                   check=True, capture_output=True)
    key, csr, crt = tmp_path / "leaf.key", tmp_path / "leaf.csr", tmp_path / "leaf.crt"
    subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", csr, "-subj", "/CN=localhost"], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
                    "-out", crt, "-days", "2"], check=True, capture_output=True)
    (k.dir / "tls" / "key.pem").write_bytes(key.read_bytes())
    (k.dir / "tls" / "cert.pem").write_bytes(crt.read_bytes() + ca_crt.read_bytes())
    k.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: served_certificate(k) != before, "the new certificate to be served",
             details=lambda: k.log_text()[-2000:])
    # The new leaf verifies against the CA, for every TLS service, STARTTLS included.
    ctx = ssl.create_default_context(cafile=str(ca_crt))
    ctx.check_hostname = False  # the leaf names "localhost", the tests connect to 127.0.0.1
    m = imaplib.IMAP4_SSL(k.host, k.port("imaps"), ssl_context=ctx, timeout=10)
    m.logout()
    m = imaplib.IMAP4(k.host, k.port("imap"), timeout=10)
    m.starttls(ssl_context=ctx)
    m.logout()
    s = smtplib.SMTP(k.host, k.port("submission"), timeout=10)
    s.starttls(context=ctx)
    s.quit()
    assert "reload.tls" in k.log_text()
