#!/usr/bin/python3
"""Parses a DSN with Python's email package (independent of kurier) and prints its structure as
JSON: the top-level headers, each part's content type, and the delivery-status field blocks."""
import email
import email.policy
import json
import sys

msg = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.compat32)
out = {
    "defects": [type(d).__name__ for d in msg.defects],
    "content_type": msg.get_content_type(),
    "report_type": msg.get_param("report-type"),
    "headers": {k: str(v) for k, v in msg.items()},
    "parts": [],
    "status": [],
}
for part in msg.get_payload():
    ctype = part.get_content_type()
    info = {"content_type": ctype, "defects": [type(d).__name__ for d in part.defects]}
    if ctype == "message/delivery-status":
        for block in part.get_payload():
            out["status"].append({k: " ".join(str(v).split()) for k, v in block.items()})
    elif ctype == "message/rfc822":
        inner = part.get_payload()[0]
        info["subject"] = inner["Subject"]
        info["body"] = inner.get_payload()
    else:
        info["text"] = part.get_payload()
    out["parts"].append(info)
print(json.dumps(out))
