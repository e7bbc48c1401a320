"""A line-level SMTP/LMTP client for what smtplib will not send (pipelining, BDAT, bad input),
shared by the SMTP and LMTP tests."""
from conftest import LineSocket


class RawSmtp(LineSocket):
    def __init__(self, sock):
        super().__init__(sock)
        self.greeting = self.reply()

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def line(self):
        return super().line().decode()

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
