"""Helpers shared by the tests that use IMAP: logged-in imaplib clients, reading an account's
INBOX or message count (for the SMTP, LMTP, queue and DSN tests), a raw line-level client for
malformed input, and test messages."""
import imaplib
import socket
import ssl
import time

from conftest import PASSWORD, LineSocket

SIMPLE = (b"From: Alice Example <alice@example.test>\r\n"
          b"To: Bob <bob@example.test>\r\n"
          b"Subject: Hello there\r\n"
          b"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n"
          b"Message-ID: <simple-1@example.test>\r\n"
          b"\r\n"
          b"Just a plain body line.\r\n")

MULTIPART = (b"From: =?utf-8?q?J=C3=BCrgen?= <juergen@example.test>\r\n"
             b"To: bob@example.test\r\n"
             b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe_aus_Berlin?=\r\n"
             b"Date: Tue, 02 Jan 2024 12:30:00 +0100\r\n"
             b"Message-ID: <multi-1@example.test>\r\n"
             b"MIME-Version: 1.0\r\n"
             b"Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
             b"\r\n"
             b"--outer\r\n"
             b"Content-Type: text/plain; charset=utf-8\r\n"
             b"Content-Transfer-Encoding: quoted-printable\r\n"
             b"\r\n"
             b"Sch=C3=B6ne Gr=C3=BC=C3=9Fe, the zebra says hi\r\n"
             b"--outer\r\n"
             b"Content-Type: message/rfc822\r\n"
             b"\r\n"
             b"From: inner@example.test\r\n"
             b"Subject: Inner message\r\n"
             b"MIME-Version: 1.0\r\n"
             b"Content-Type: multipart/alternative; boundary=\"inner\"\r\n"
             b"\r\n"
             b"--inner\r\n"
             b"Content-Type: text/plain\r\n"
             b"\r\n"
             b"inner plain text\r\n"
             b"--inner\r\n"
             b"Content-Type: text/html\r\n"
             b"\r\n"
             b"<p>inner html</p>\r\n"
             b"--inner--\r\n"
             b"--outer\r\n"
             b"Content-Type: application/octet-stream; name=\"blob.bin\"\r\n"
             b"Content-Transfer-Encoding: base64\r\n"
             b"\r\n"
             b"AAECAwQFBgcICQ==\r\n"
             b"--outer--\r\n")


def message(n, subject=None, body=None):
    subject = subject or f"Message number {n}"
    body = body or f"Body of message {n}."
    return (f"From: sender{n}@example.test\r\nTo: bob@example.test\r\nSubject: {subject}\r\n"
            f"Date: Wed, 03 Jan 2024 08:00:{n % 60:02d} +0000\r\nMessage-ID: <m{n}@example.test>\r\n\r\n"
            f"{body}\r\n").encode()


def login(kurier, user, port_name="imap"):
    addr, password = user
    m = imaplib.IMAP4(kurier.host, kurier.port(port_name), timeout=30)
    m.login(addr, password)
    return m


def fill(imap, n, box="INBOX"):
    """Appends message(1) .. message(n) to `box`."""
    for i in range(1, n + 1):
        ok(imap.append(box, None, None, message(i)))


def append_messages(kurier, user, n):
    """Appends message(1) .. message(n) to the INBOX of `user` (address, password) in a session of
    its own."""
    m = login(kurier, user)
    fill(m, n)
    m.logout()


def inbox(kurier, address, password=PASSWORD, tls=False):
    """Every message in the account's INBOX, as bytes (IMAP FETCH BODY.PEEK[]; changes no flag)."""
    if tls:
        m = imaplib.IMAP4_SSL(kurier.host, kurier.port("imaps"), ssl_context=kurier.ssl_context(), timeout=30)
    else:
        m = imaplib.IMAP4(kurier.host, kurier.port("imap"), timeout=30)
    try:
        m.login(address, password)
        if int(ok(m.select("INBOX", readonly=True))[0]) == 0:
            return []
        return [part[1] for part in ok(m.fetch("1:*", "(BODY.PEEK[])")) if isinstance(part, tuple)]
    finally:
        m.logout()


def message_count(kurier, address, password=PASSWORD, mailbox="INBOX"):
    """The number of messages in the mailbox (IMAP STATUS MESSAGES)."""
    m = imaplib.IMAP4(kurier.host, kurier.port("imap"), timeout=30)
    try:
        m.login(address, password)
        return int(ok(m.status(mailbox, "(MESSAGES)"))[0].split(b"MESSAGES ")[1].split(b")")[0])
    finally:
        m.logout()


def ok(result):
    typ, data = result
    assert typ == "OK", (typ, data)
    return data


def fetch_literals(m, seq, items, uid=False):
    """{item name: literal bytes} of one message's FETCH response, e.g. {"BODY[1]": b"..."}."""
    data = ok(m.uid("FETCH", seq, items) if uid else m.fetch(seq, items))
    out = {}
    for part in data:
        if not isinstance(part, tuple):
            continue
        head = part[0].decode()
        head = head.split("(", 1)[1] if " FETCH (" in head or head[:1].isdigit() else head
        name = head.rsplit(" {", 1)[0].rsplit(" ~{", 1)[0].strip()
        # drop data items before the literal's name (e.g. "UID 3 BODY[]")
        name = name.split(" ")[-1] if "[" not in name else name[name.rfind(" ", 0, name.index("[")) + 1:]
        out[name] = part[1]
    return out


class RawImap(LineSocket):
    """A line-level IMAP client for input imaplib refuses to send; logged in as `user` (address,
    password) when one is given."""

    def __init__(self, kurier, tls=False, user=None):
        s = socket.create_connection((kurier.host, kurier.port("imaps" if tls else "imap")), timeout=15)
        if tls:
            s = kurier.ssl_context().wrap_socket(s)
        super().__init__(s)
        self.greeting = self.line()
        if user:
            self.login(user)

    def send(self, data):
        self.sock.sendall(data)

    def command(self, tag, text):
        """Sends `tag text` and returns (untagged lines, tagged line)."""
        self.send(tag.encode() + b" " + text + b"\r\n")
        return self.until(tag)

    def until(self, tag):
        lines = []
        while True:
            line = self.line()
            if line.startswith(tag.encode() + b" "):
                return lines, line
            lines.append(line)

    def login(self, user):
        addr, password = user
        _, tagged = self.command("L1", f'LOGIN "{addr}" "{password}"'.encode())
        assert tagged.startswith(b"L1 OK"), tagged

    def closed(self, timeout=5):
        """True when the server closes the connection within timeout."""
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if not self.sock.recv(65536):
                    return True
        except (ConnectionResetError, ssl.SSLError):
            return True
        except socket.timeout:
            return False
        return False

    def close(self):
        self.sock.close()
