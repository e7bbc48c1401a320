"""Remote ends for tests of outbound TLS policies (test_queue_tls.py), all on loopback:

- Pki: a test CA (made here, trusted by kurier through [outbound] ca_file) and certificates it
  or nobody signs (python3-cryptography).
- FakeDns: a UDP DNS server kurier is pointed at with [outbound] dns_servers; answers A, AAAA,
  MX, TXT and TLSA from a table, with the AD bit ("DNSSEC-validated") for the names said secure.
- TlsSmtpServer: an SMTP server offering STARTTLS with a chosen certificate, recording what it
  received (and whether it was over TLS).
- PolicyServer: HTTPS serving an MTA-STS policy at /.well-known/mta-sts.txt (RFC 8461 3.3).
- StalledServer: accepts connections and never says a word (a stuck remote MX).
"""
import datetime
import hashlib
import http.server
import socket
import socketserver
import ssl
import struct
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


# ---- certificates ------------------------------------------------------------------------------

class Cert:
    def __init__(self, cert, key):
        self.cert, self.key = cert, key

    def write(self, directory, name):
        """Writes NAME.pem (certificate) and NAME.key; returns their paths."""
        cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
        cert_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
        return cert_path, key_path

    def spki_sha256(self):
        """TLSA 3 1 1 association data (RFC 6698 2.1)."""
        spki = self.cert.public_key().public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
        return hashlib.sha256(spki).digest()


def _build(subject_cn, issuer, names, ca):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)])
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer.cert.subject if issuer else subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    else:
        builder = builder.add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                      content_commitment=False, key_encipherment=False,
                                                      data_encipherment=False, key_agreement=False,
                                                      encipher_only=False, decipher_only=False), critical=True)
    signer = issuer.key if issuer else key
    return Cert(builder.sign(signer, hashes.SHA256()), key)


class Pki:
    def __init__(self, directory):
        self.dir = directory
        self.ca = _build("kurier test CA", None, [], True)
        self.ca_file, _ = self.ca.write(directory, "ca")

    def issue(self, *names):
        """A server certificate for names, signed by the test CA."""
        return _build(names[0], self.ca, list(names), False)

    @staticmethod
    def self_signed(*names):
        return _build(names[0], None, list(names), False)


# ---- DNS ---------------------------------------------------------------------------------------

TYPES = {"A": 1, "MX": 15, "TXT": 16, "AAAA": 28, "TLSA": 52}


def _name(n):
    out = b""
    for label in n.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def _rdata(rtype, value):
    if rtype == "A":
        return socket.inet_aton(value)
    if rtype == "MX":
        pref, host = value
        return struct.pack("!H", pref) + _name(host)
    if rtype == "TXT":
        data = value.encode()
        return b"".join(bytes([len(data[i:i + 255])]) + data[i:i + 255] for i in range(0, len(data), 255))
    if rtype == "TLSA":
        usage, selector, matching, data = value
        return bytes([usage, selector, matching]) + data
    raise ValueError(rtype)


class FakeDns:
    """records: {(name, "A"|"MX"|"TXT"|"TLSA"): [values]}; secure: names answered with AD=1."""

    def __init__(self):
        self.records = {}
        self.secure = set()
        self.queries = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def add(self, name, rtype, value, secure=False):
        self.records.setdefault((name.lower(), rtype), []).append(value)
        if secure:
            self.secure.add(name.lower())

    def _answer(self, query):
        qid, flags, qd = struct.unpack("!HHH", query[:6])
        pos, labels = 12, []
        while query[pos]:
            labels.append(query[pos + 1:pos + 1 + query[pos]].decode().lower())
            pos += 1 + query[pos]
        qtype, _ = struct.unpack("!HH", query[pos + 1:pos + 5])
        question = query[12:pos + 5]
        name = ".".join(labels)
        self.queries.append((name, qtype))
        rtype = next((t for t, n in TYPES.items() if n == qtype), None)
        values = self.records.get((name, rtype), []) if rtype else []
        exists = any(n == name for n, _ in self.records)
        rcode = 0 if exists else 3
        out_flags = 0x8000 | (flags & 0x0100) | 0x0080 | rcode  # QR, RD copied, RA
        if name in self.secure:
            out_flags |= 0x0020  # AD: "the resolver validated this"
        answers = b""
        for v in values:
            rd = _rdata(rtype, v)
            answers += b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 60, len(rd)) + rd
        return struct.pack("!HHHHHH", qid, out_flags, 1, len(values), 0, 0) + question + answers

    def _serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            try:
                self.sock.sendto(self._answer(data), peer)
            except Exception:  # a query this fake cannot parse gets no answer
                pass

    def stop(self):
        self.sock.close()


# ---- SMTP with STARTTLS --------------------------------------------------------------------------

class TlsSmtpServer:
    """Accepts every message; messages is a list of (over_tls, data bytes)."""

    def __init__(self, cert: Cert, directory, name="smtp"):
        cert_path, key_path = cert.write(directory, name)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert_path, key_path)
        self.messages = []
        self.commands = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                outer._session(self.request)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _session(self, sock):
        tls = False
        f = sock.makefile("rb")

        def send(line):
            sock.sendall(line.encode() + b"\r\n")

        send("220 tls-mx.test ESMTP")
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line.decode(errors="replace").strip()
            self.commands.append(cmd)
            verb = cmd[:4].upper()
            if verb == "EHLO":
                send("250-tls-mx.test")
                if not tls:
                    send("250-STARTTLS")
                send("250 8BITMIME")
            elif verb == "STAR":
                send("220 2.0.0 go ahead")
                try:
                    sock = self.ctx.wrap_socket(sock, server_side=True)
                except (ssl.SSLError, OSError):
                    return  # the client gave up (e.g. it rejected our certificate)
                f = sock.makefile("rb")
                tls = True
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP", "HELO"):
                send("250 2.0.0 ok")
            elif verb == "DATA":
                send("354 go on")
                data = b""
                while True:
                    chunk = f.readline()
                    if not chunk or chunk == b".\r\n":
                        break
                    data += chunk
                self.messages.append((tls, data))
                send("250 2.0.0 queued")
            elif verb == "QUIT":
                send("221 2.0.0 bye")
                return
            else:
                send("502 5.5.2 unknown")

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# ---- MTA-STS policy over HTTPS -----------------------------------------------------------------

class PolicyServer:
    def __init__(self, cert: Cert, directory, policy_text):
        cert_path, key_path = cert.write(directory, "mta-sts")
        self.policy = policy_text
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append((self.headers.get("Host"), self.path))
                if self.path != "/.well-known/mta-sts.txt":
                    self.send_error(404)
                    return
                body = outer.policy.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert_path, key_path)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class StalledServer:
    """Accepts and holds connections without a greeting."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def stop(self):
        self.sock.close()
        for c in self.held:
            c.close()
