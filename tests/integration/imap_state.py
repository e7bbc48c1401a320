"""A state-tracking IMAP client for concurrency tests (issue 9 item 8): each session keeps its
own model of the selected mailbox (sequence numbers -> UIDs, flags, keywords announced by FLAGS,
MODSEQ, \\Recent) and checks every untagged response against it, as a strict client would:

- EXISTS never shrinks the mailbox; EXPUNGE and FETCH never name a number above the last EXISTS
  (RFC 9051 7.5.1, 7.4.1); EXPUNGE never arrives during FETCH, STORE or SEARCH (RFC 9051 7.5.1).
- A FETCH's UID matches the model's UID for that number, and UIDs ascend with numbers.
- A keyword in FETCH FLAGS was announced by an untagged FLAGS first (RFC 3501 7.2.6).
- MODSEQ of a message never decreases (RFC 7162 3.1.2).
- \\Recent never in an IMAP4rev2 session; a message is \\Recent in at most one session
  (RFC 3501 2.3.2).
- A FETCH of messages the session knows answers OK with data for each (never NO [SERVERBUG],
  never a message left out because another session expunged it, issue 9 item 3).

Used by tests/integration/test_imap_state.py (short) and bench/imap_state.sh (long).
Runs standalone too: python3 imap_state.py HOST PORT USER PASSWORD --sessions N --seconds S."""
import argparse
import collections
import random
import re
import socket
import threading
import time

MAILBOXES = ["state-a", "state-b", "state-c"]
SYSTEM_FLAGS = ["\\Seen", "\\Answered", "\\Flagged", "\\Draft", "\\Deleted"]


# ---- response reading and parsing ------------------------------------------------------------

class Conn:
    """A socket reading whole IMAP responses (a line plus its literals)."""

    def __init__(self, host, port, timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def response(self, timeout=None):
        """(text with literals replaced by \\x00<index>\\x00, [literal bytes]); None on timeout."""
        self.sock.settimeout(timeout if timeout is not None else 30)
        try:
            line = self._line()
        except socket.timeout:
            return None
        finally:
            self.sock.settimeout(30)
        literals = []
        text = b""
        while True:
            m = re.search(rb"~?\{(\d+)\}$", line)
            if not m:
                text += line
                return text, literals
            text += line[:m.start()] + b"\x00" + str(len(literals)).encode() + b"\x00"
            literals.append(self._exact(int(m.group(1))))
            line = self._line()

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def parse_list(text, literals):
    """Parses the data of a response into nested lists of str / bytes (literals)."""
    pos = 0
    root = []
    stack = [root]
    while pos < len(text):
        c = text[pos]
        if c == " ":
            pos += 1
        elif c == "(":
            new = []
            stack[-1].append(new)
            stack.append(new)
            pos += 1
        elif c == ")":
            stack.pop()
            pos += 1
        elif c == '"':
            end = pos + 1
            out = ""
            while text[end] != '"':
                if text[end] == "\\":
                    end += 1
                out += text[end]
                end += 1
            stack[-1].append(out)
            pos = end + 1
        elif c == "\x00":
            end = text.index("\x00", pos + 1)
            stack[-1].append(literals[int(text[pos + 1:end])])
            pos = end + 1
        else:
            end = pos
            depth = 0
            while end < len(text) and (depth or text[end] not in " ()"):
                if text[end] == "[":
                    depth += 1
                elif text[end] == "]":
                    depth -= 1
                end += 1
            stack[-1].append(text[pos:end])
            pos = end
    return root


def number_set(text):
    out = []
    for part in text.split(","):
        if ":" in part:
            a, b = part.split(":")
            out.extend(range(min(int(a), int(b)), max(int(a), int(b)) + 1))
        else:
            out.append(int(part))
    return out


# ---- shared record of \Recent ----------------------------------------------------------------

class RecentLedger:
    """Which session saw each message \\Recent: at most one may (RFC 3501 2.3.2)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.owner = {}

    def claim(self, key, session, errors):
        with self.lock:
            first = self.owner.setdefault(key, session)
        if first != session:
            errors.append(f"{session}: {key} is \\Recent here and in {first}")


# ---- one modelled session --------------------------------------------------------------------

class ModelSession:
    def __init__(self, host, port, user, password, name, mode, ledger, errors, rng):
        self.conn = Conn(host, port)
        self.name = name
        self.mode = mode  # "rev1", "condstore", "qresync" or "rev2"
        self.rev2 = mode == "rev2"
        self.condstore = mode in ("condstore", "qresync", "rev2")
        self.ledger = ledger
        self.errors = errors
        self.rng = rng
        self.tags = 0
        self.history = collections.deque(maxlen=40)
        self.dumped = False
        self.mailbox = None
        self.uidvalidity = None
        self.reset()
        self.conn.response()  # greeting
        self.command(f'LOGIN "{user}" "{password}"')
        enable = {"rev1": None, "condstore": "CONDSTORE", "qresync": "QRESYNC",
                  "rev2": "IMAP4rev2 CONDSTORE"}[mode]
        if enable:
            self.command("ENABLE " + enable)

    def reset(self):
        self.uids = []          # by sequence number - 1; None until a FETCH names the UID
        self.flags = {}         # uid -> set of flags (lower case)
        self.modseq = {}        # uid -> last MODSEQ seen
        self.keywords = set()   # announced by FLAGS (lower case)

    def error(self, text):
        self.errors.append(f"{self.name} [{self.mode} {self.mailbox}]: {text}")
        if not self.dumped:  # the first error of a session comes with what led to it
            self.dumped = True
            self.errors.append(f"{self.name} history: " + " | ".join(self.history))

    # ---- commands

    def command(self, text, expunge_allowed=True, verify=False, want_fetch=None):
        """Sends a command, applies and checks every response; returns (status, tagged text,
        untagged responses)."""
        if self.mode == "qresync" and not text.startswith("FETCH "):
            self.learn_uids()
        self.tags += 1
        tag = f"t{self.tags}"
        self.conn.send(f"{tag} {text}\r\n".encode())
        self.history.append(f">{tag} {text}")
        return self.finish(tag, text, expunge_allowed, verify, want_fetch)

    def finish(self, tag, text, expunge_allowed=True, verify=False, want_fetch=None):
        untagged = []
        fetched = set()
        while True:
            resp = self.conn.response()
            line = resp[0].decode("utf-8", "replace")
            self.history.append(line[:120])
            if line.startswith(tag + " "):
                status = line.split(" ", 2)[1]
                rest = line.split(" ", 2)[2] if line.count(" ") >= 2 else ""
                if status != "OK" and not text.startswith("LOGOUT"):
                    self.error(f"{text!r} answered {status} {rest}")
                if want_fetch is not None and status == "OK":
                    for seq in want_fetch - fetched:
                        self.error(f"{text!r}: no FETCH response for message {seq}")
                return status, rest, untagged
            if line.startswith("+"):
                return "+", line, untagged
            untagged.append(line)
            seq = self.untagged(line, resp[1], expunge_allowed, verify)
            if seq:
                fetched.add(seq)

    def untagged(self, line, literals, expunge_allowed, verify):
        if not line.startswith("* "):
            self.error(f"unexpected line {line!r}")
            return None
        words = line[2:].split(" ", 2)
        if words[0].isdigit() and len(words) > 1:
            n, what = int(words[0]), words[1].upper()
            if what == "EXISTS":
                if n < len(self.uids):
                    self.error(f"EXISTS {n} below the known {len(self.uids)} without EXPUNGE")
                self.uids.extend([None] * (n - len(self.uids)))
            elif what == "EXPUNGE":
                if not expunge_allowed:
                    self.error(f"EXPUNGE {n} during a command that forbids it")
                if not 1 <= n <= len(self.uids):
                    self.error(f"EXPUNGE {n} above EXISTS {len(self.uids)}")
                else:
                    self.forget(self.uids.pop(n - 1))
            elif what == "RECENT":
                if self.rev2:
                    self.error("RECENT in an IMAP4rev2 session")
            elif what == "FETCH":
                self.fetch(n, parse_list(line.split(" ", 3)[3], literals)[0], verify)
                return n
            return None
        kind = words[0].upper()
        if kind == "FLAGS":
            flags = parse_list(line[2 + 6:], literals)[0]
            self.keywords = {f.lower() for f in flags if not f.startswith("\\")}
        elif kind == "VANISHED":
            arg = line.split(" ")[-1]
            if "(EARLIER)" not in line.upper():
                if not expunge_allowed:
                    self.error(f"{line} during a command that forbids it")
                for uid in number_set(arg):
                    if uid in self.uids:
                        self.forget(uid)
                        self.uids.remove(uid)
                    else:
                        self.vanish_unlearned(uid)
        elif kind == "SEARCH":
            for n in (words[1].split(" ") if len(words) > 1 and words[1] else []):
                pass  # checked by the caller, which knows UID or not
        return None

    def vanish_unlearned(self, uid):
        """VANISHED may name a message announced by EXISTS whose UID this client has not fetched
        yet (EXISTS and VANISHED can come in one burst, e.g. during IDLE). UIDs ascend with
        sequence numbers, so it is the first unlearned slot whose known neighbours enclose it."""
        for i, known in enumerate(self.uids):
            if known is not None:
                continue
            before = next((u for u in reversed(self.uids[:i]) if u is not None), 0)
            after = next((u for u in self.uids[i + 1:] if u is not None), None)
            if before < uid and (after is None or uid < after):
                del self.uids[i]
                return

    def forget(self, uid):
        self.flags.pop(uid, None)
        self.modseq.pop(uid, None)

    def fetch(self, seq, items, verify):
        if not 1 <= seq <= len(self.uids):
            self.error(f"FETCH {seq} above EXISTS {len(self.uids)}")
            return
        data = {items[i].upper(): items[i + 1] for i in range(0, len(items) - 1, 2)}
        uid = self.uids[seq - 1]
        if "UID" in data:
            got = int(data["UID"])
            if uid is not None and uid != got:
                self.error(f"FETCH {seq} says UID {got}, the model has {uid}")
            if seq > 1 and self.uids[seq - 2] is not None and self.uids[seq - 2] >= got:
                self.error(f"UID {got} at {seq} not above UID {self.uids[seq - 2]} at {seq - 1}")
            if seq < len(self.uids) and self.uids[seq] is not None and self.uids[seq] <= got:
                self.error(f"UID {got} at {seq} not below UID {self.uids[seq]} at {seq + 1}")
            self.uids[seq - 1] = uid = got
        if uid is None:
            if "FLAGS" in data or "MODSEQ" in data:
                self.error(f"FETCH {seq} with flags but no UID for a message of unknown UID")
            return
        if "MODSEQ" in data:
            modseq = int(data["MODSEQ"][0])
            if modseq < self.modseq.get(uid, 0):
                self.error(f"MODSEQ of UID {uid} went down from {self.modseq[uid]} to {modseq}")
            if verify and self.condstore and uid in self.modseq and modseq != self.modseq[uid]:
                self.error(f"UID {uid} has MODSEQ {modseq}; the session was told {self.modseq[uid]}")
            self.modseq[uid] = modseq
        if "FLAGS" in data:
            flags = {f.lower() for f in data["FLAGS"]}
            for f in flags:
                if not f.startswith("\\") and f not in self.keywords:
                    self.error(f"keyword {f} in FETCH {seq} before any FLAGS announced it")
            if "\\recent" in flags:
                if self.rev2:
                    self.error(f"\\Recent on UID {uid} in an IMAP4rev2 session")
                if not self.read_only:  # EXAMINE shows \Recent without claiming it (RFC 3501 6.3.2)
                    self.ledger.claim((self.mailbox, self.uidvalidity, uid), self.name, self.errors)
            flags.discard("\\recent")
            if verify and uid in self.flags and self.flags[uid] != flags:
                self.error(f"UID {uid} has flags {sorted(flags)}; the session was told {sorted(self.flags[uid])}")
            self.flags[uid] = flags

    # ---- the operations of the random workload

    def select(self, box):
        self.reset()
        self.mailbox = box
        verb = "EXAMINE" if self.rng.random() < 0.1 else "SELECT"
        _, _, untagged = self.command(f"{verb} {box}")
        for line in untagged:
            m = re.search(r"\[UIDVALIDITY (\d+)\]", line)
            if m:
                self.uidvalidity = int(m.group(1))
        self.read_only = verb == "EXAMINE"
        if self.uids:
            self.command(f"FETCH 1:{len(self.uids)} (UID FLAGS)", expunge_allowed=False,
                         want_fetch=set(range(1, len(self.uids) + 1)))

    def known_seqs(self, most=5):
        known = [i + 1 for i, u in enumerate(self.uids) if u is not None]
        self.rng.shuffle(known)
        return sorted(known[:self.rng.randint(1, most)])

    def random_flags(self):
        names = self.rng.sample(SYSTEM_FLAGS[:4], self.rng.randint(0, 2))
        if self.rng.random() < 0.5:
            # new keywords now and then, known ones mostly
            names.append(f"kw{self.rng.randint(0, 40)}")
        return names or ["\\Flagged"]

    def op_append(self):
        if self.mode == "qresync":
            self.learn_uids()
        box = self.rng.choice(MAILBOXES)
        body = (f"From: s@example.test\r\nSubject: state {self.name} {time.monotonic()}\r\n\r\n"
                f"body {self.rng.random()}\r\n").encode()
        flags = " ".join(self.random_flags()) if self.rng.random() < 0.5 else ""
        self.tags += 1
        tag = f"t{self.tags}"
        self.conn.send(f"{tag} APPEND {box} ({flags}) {{{len(body)}}}\r\n".encode())
        status, _, _ = self.finish(tag, "APPEND")
        if status == "+":
            self.conn.send(body + b"\r\n")
            self.finish(tag, "APPEND")

    def op_store(self):
        seqs = self.known_seqs()
        if not seqs or self.read_only:
            return
        sign = self.rng.choice(["+", "-", "+"])
        flags = " ".join(self.random_flags())
        if self.rng.random() < 0.5:
            uids = ",".join(str(self.uids[s - 1]) for s in seqs)
            self.command(f"UID STORE {uids} {sign}FLAGS ({flags})")
        else:
            self.command(f"STORE {','.join(map(str, seqs))} {sign}FLAGS ({flags})", expunge_allowed=False)

    def op_expunge(self):
        seqs = self.known_seqs(3)
        if not seqs or self.read_only:
            return
        self.command(f"STORE {','.join(map(str, seqs))} +FLAGS (\\Deleted)", expunge_allowed=False)
        self.command("EXPUNGE")

    def op_copy_move(self):
        seqs = self.known_seqs(3)
        if not seqs:
            return
        verb = "MOVE" if self.rng.random() < 0.4 and not self.read_only else "COPY"
        target = self.rng.choice(MAILBOXES)
        if self.rng.random() < 0.5:
            uids = ",".join(str(self.uids[s - 1]) for s in seqs)
            self.command(f"UID {verb} {uids} {target}")
        else:
            self.command(f"{verb} {','.join(map(str, seqs))} {target}")

    def op_fetch(self):
        seqs = self.known_seqs(8)
        if not seqs:
            return
        items = self.rng.choice(["(UID FLAGS)", "(UID FLAGS BODY.PEEK[])", "(UID ENVELOPE RFC822.SIZE)",
                                 "(UID FLAGS MODSEQ)" if self.condstore else "(UID INTERNALDATE)"])
        if self.rng.random() < 0.3:
            uids = ",".join(str(self.uids[s - 1]) for s in seqs)
            self.command(f"UID FETCH {uids} {items}", want_fetch=None)
        else:
            self.command(f"FETCH {','.join(map(str, seqs))} {items}", expunge_allowed=False,
                         want_fetch=set(seqs))

    def op_search(self):
        key = self.rng.choice(["ALL", "UNSEEN", f"KEYWORD kw{self.rng.randint(0, 40)}", "FLAGGED"]
                              + ([] if self.rev2 else ["RECENT", "NEW", "OLD"]))
        uid = self.rng.random() < 0.5
        _, _, untagged = self.command(("UID " if uid else "") + "SEARCH " + key, expunge_allowed=uid)
        for line in untagged:
            if line.startswith("* SEARCH") and not uid:
                for n in line.split(" ")[2:]:
                    if n.isdigit() and int(n) > len(self.uids):
                        self.error(f"SEARCH names {n} above EXISTS {len(self.uids)}")

    def op_idle(self):
        if self.mode == "qresync":
            self.learn_uids()
        self.tags += 1
        tag = f"t{self.tags}"
        self.conn.send(f"{tag} IDLE\r\n".encode())
        status, _, _ = self.finish(tag, "IDLE")
        if status != "+":
            return
        deadline = time.monotonic() + self.rng.uniform(0.05, 0.4)
        while time.monotonic() < deadline:
            resp = self.conn.response(timeout=max(0.01, deadline - time.monotonic()))
            if resp is None:
                break
            self.history.append(resp[0][:120].decode("utf-8", "replace"))
            self.untagged(resp[0].decode("utf-8", "replace"), resp[1], True, False)
            if self.mode == "qresync" and None in self.uids:
                break  # VANISHED names UIDs: learn the new messages' UIDs first
        self.conn.send(b"DONE\r\n")
        self.finish(tag, "IDLE")

    def op_noop(self):
        self.command("NOOP")

    def step(self):
        ops = [(self.op_append, 3), (self.op_store, 4), (self.op_expunge, 1), (self.op_copy_move, 2),
               (self.op_fetch, 4), (self.op_search, 2), (self.op_idle, 1), (self.op_noop, 2)]
        if self.rng.random() < 0.02:
            self.select(self.rng.choice(MAILBOXES))
            return
        op = self.rng.choices([o for o, _ in ops], weights=[w for _, w in ops])[0]
        op()

    def learn_uids(self):
        """A QRESYNC client must know every UID before a command that may bring VANISHED (which
        names UIDs, not numbers); a non-UID FETCH never does (RFC 7162 3.2.10)."""
        if None in self.uids:
            first = self.uids.index(None) + 1
            self.command(f"FETCH {first}:{len(self.uids)} (UID)", expunge_allowed=False)

    def verify(self):
        """After all writers stopped: one NOOP brings the model up to date, then a FETCH of every
        message must agree with it exactly (a missed notification shows up here)."""
        self.command("NOOP")
        if self.uids:
            self.command(f"FETCH 1:{len(self.uids)} (UID FLAGS" + (" MODSEQ" if self.condstore else "") + ")",
                         expunge_allowed=False, verify=True, want_fetch=set(range(1, len(self.uids) + 1)))
        return [u for u in self.uids]

    def logout(self):
        self.command("LOGOUT")
        self.conn.close()


def run(host, port, user, password, sessions=20, seconds=10.0, seed=None, stats=None):
    """Runs the random workload and returns the list of inconsistencies found (empty: pass).
    stats, when given, gets "steps": how many random operations the sessions ran."""
    seed = seed if seed is not None else random.randrange(1 << 30)
    errors = [f"(seed {seed})"]
    ledger = RecentLedger()
    setup = ModelSession(host, port, user, password, "setup", "rev1", ledger, errors, random.Random(seed))
    listed = " ".join(setup.command('LIST "" "state-*"')[2])
    for box in MAILBOXES:
        if f'"{box}"' not in listed and f" {box}" not in listed:
            setup.command(f"CREATE {box}")
    modes = ["rev1", "condstore", "qresync", "rev2"]
    clients = [ModelSession(host, port, user, password, f"s{i}", modes[i % len(modes)], ledger, errors,
                            random.Random(seed + i)) for i in range(sessions)]
    for c in clients:
        c.select(c.rng.choice(MAILBOXES))
    deadline = time.monotonic() + seconds
    failures = []

    steps = [0] * len(clients)

    def work(i, c):
        try:
            while time.monotonic() < deadline:
                c.step()
                steps[i] += 1
        except Exception as e:  # a dropped connection or a parse failure is an inconsistency too
            failures.append(f"{c.name}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors.extend(failures)
    if stats is not None:
        stats["steps"] = sum(steps)
    truth = {}
    for box in MAILBOXES:
        setup.select(box)
        setup.read_only = True
        truth[box] = list(setup.uids)
    for c in clients:
        try:
            seen = c.verify()
            if seen != truth[c.mailbox]:
                c.error(f"UIDs {seen[:20]}... differ from the mailbox's {truth[c.mailbox][:20]}...")
            c.logout()
        except Exception as e:
            errors.append(f"{c.name}: verify: {type(e).__name__}: {e}")
    setup.logout()
    return errors[1:] and errors


def summary(errors, examples=3):
    """Inconsistencies grouped by kind (numbers and names blanked), most frequent first."""
    groups = {}
    for e in errors[1:]:
        if " history: " in e:
            continue
        key = re.sub(r"\d+", "N", e.split("]: ", 1)[-1])[:90]
        groups.setdefault(key, []).append(e)
    out = [errors[0] if errors else ""]
    for key, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        out.append(f"{len(items):6} x {key}")
        out.extend("         " + e[:300] for e in items[:examples])
    histories = [e for e in errors if " history: " in e]
    return "\n".join(out + histories[:examples])


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("user")
    p.add_argument("password")
    p.add_argument("--sessions", type=int, default=50)
    p.add_argument("--seconds", type=float, default=600)
    p.add_argument("--seed", type=int)
    a = p.parse_args()
    stats = {}
    found = run(a.host, a.port, a.user, a.password, a.sessions, a.seconds, a.seed, stats)
    print(summary(found) if found else "")
    print(f"{stats.get('steps', 0)} operations by {a.sessions} sessions in {a.seconds:.0f} s")
    print(f"{max(0, len(found) - 1)} inconsistencies")
    raise SystemExit(1 if found else 0)
