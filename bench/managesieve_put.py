#!/usr/bin/env python3
"""Stores and activates a Sieve script over ManageSieve (RFC 5804) with AUTHENTICATE PLAIN, for the
benchmarks (Dovecot's users have no CLI of ours).  managesieve_put.py HOST PORT USER PASSWORD NAME FILE"""
import base64
import socket
import sys


def response(f):
    while True:
        line = f.readline()
        if not line:
            raise SystemExit("connection closed")
        if line.split(b" ", 1)[0] in (b"OK", b"NO", b"BYE"):
            if not line.startswith(b"OK"):
                raise SystemExit(line.decode(errors="replace").strip())
            return


host, port, user, password, name, path = sys.argv[1:7]
script = open(path, "rb").read()
with socket.create_connection((host, int(port)), timeout=30) as s:
    f = s.makefile("rb")
    response(f)
    ir = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    for command in (f'AUTHENTICATE "PLAIN" "{ir}"\r\n'.encode(),
                    f'PUTSCRIPT "{name}" {{{len(script)}+}}\r\n'.encode() + script + b"\r\n",
                    f'SETACTIVE "{name}"\r\n'.encode(), b"LOGOUT\r\n"):
        s.sendall(command)
        response(f)
