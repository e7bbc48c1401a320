"""A line-level SMTP/LMTP client for what smtplib will not send (pipelining, BDAT, bad input),
shared by the SMTP and LMTP tests."""


class RawSmtp:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.greeting = self.reply()

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode()

    def reply_lines(self):
        """The raw lines of one possibly multi-line reply."""
        lines = [self.line()]
        while lines[-1][3:4] == "-":
            lines.append(self.line())
        return lines

    def reply(self):
        return self.reply_lines()

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.reply()
