#!/usr/bin/env python3
"""Real SMTP and IMAP checks of the mail scenario, run inside the test server.

Usage: mailcheck.py CONFIG.json. CONFIG: {"passwords": {name: password}, "public_ip": "10.x.y.z"}.
Every check prints "ok: ..." or raises; the exit status is non-zero on the first failure.
"""

import base64
import imaplib
import json
import re
import smtplib
import ssl
import sys
import time
import uuid
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy

with open(sys.argv[1], encoding="utf-8") as config_file:
    CFG = json.load(config_file)
PW = CFG["passwords"]
PUBLIC = CFG["public_ip"]
TIMEOUT = 20


def ok(msg):
    print(f"ok: {msg}", flush=True)


def send(rcpt, subject, sender="someone@outside.test", host="127.0.0.1", headers=None, to_header=None, body=""):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to_header or rcpt
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4()}@outside.test>"
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(f"Body of {subject}\n{body}")
    with smtplib.SMTP(host, 25, timeout=TIMEOUT) as s:
        s.ehlo("client.outside.test")
        s.send_message(msg, from_addr=sender, to_addrs=[rcpt])


def imap_login(name, password=None, use_login=False):
    imap = imaplib.IMAP4("127.0.0.1", 143, timeout=TIMEOUT)
    password = PW[name] if password is None else password
    if use_login:
        imap.login(name, password)
    else:
        # AUTHENTICATE PLAIN carries any UTF-8 password (imaplib's LOGIN is ASCII only).
        imap.authenticate("PLAIN", lambda _: b"\0" + name.encode() + b"\0" + password.encode("utf-8"))
    return imap


def find(name, subject, mailbox="INBOX", want=1, wait=TIMEOUT):
    """Messages in the mailbox whose Subject contains subject; waits until at least want arrived."""
    deadline = time.time() + wait
    while True:
        imap = imap_login(name)
        try:
            typ, _ = imap.select(f'"{mailbox}"', readonly=True)
            assert typ == "OK", f"SELECT {mailbox} as {name}: {typ}"
            typ, data = imap.search(None, "ALL")
            msgs = []
            for n in data[0].split():
                typ, parts = imap.fetch(n, "(BODY.PEEK[])")
                msg = BytesParser(policy=default_policy).parsebytes(parts[0][1])
                if subject in str(msg["Subject"]):
                    msgs.append(msg)
        finally:
            imap.logout()
        if len(msgs) >= want or time.time() > deadline:
            return msgs
        time.sleep(0.5)


def expect_rcpt_refused(host, port, sender, rcpt, code_prefix, text):
    with smtplib.SMTP(host, port, timeout=TIMEOUT) as s:
        s.ehlo("client.outside.test")
        s.mail(sender)
        code, resp = s.rcpt(rcpt)
        resp = resp.decode(errors="replace")
        assert str(code).startswith(code_prefix) and text in resp, f"RCPT {rcpt} via {host}:{port}: {code} {resp}"
        return code, resp


def main():
    run = uuid.uuid4().hex[:8]

    # Delivery to an alias of alice; alice logs in with the unicode password and fetches the message.
    subject = f"to-alice {run}"
    send("alice@example.org", subject)
    msgs = find("alice", subject)
    assert len(msgs) == 1, f"alice got {len(msgs)} messages for {subject!r}"
    assert f"Body of {subject}" in msgs[0].get_content(), msgs[0].as_string()
    ok("SMTP to alice@example.org arrives in alice's INBOX (IMAP AUTHENTICATE PLAIN, unicode password)")

    # Catch-all of example.org delivers to carol, and not to alice.
    subject = f"catch-all {run}"
    send(f"nobody-{run}@example.org", subject)
    assert len(find("carol", subject)) == 1, "catch-all message not in carol's INBOX"
    assert len(find("alice", subject, wait=0)) == 0, "catch-all message in alice's INBOX"
    ok("catch-all @example.org delivers to carol")

    # A forward to another mailbox's address arrives there.
    subject = f"forward {run}"
    send("sales@example.org", subject)
    assert len(find("bob", subject)) == 1, "forwarded message not in bob's INBOX"
    ok("sales@example.org forwards to bob@example.net (bob's INBOX)")

    # Spam presets: junk files into Junk, discard drops scores >= 8 and keeps lower ones.
    subject = f"spam-junk {run}"
    send("alice@example.org", subject, headers={"X-Spam-Flag": "YES"})
    assert len(find("alice", subject, mailbox="Junk")) == 1, "flagged spam not in alice's Junk"
    assert len(find("alice", subject, wait=0)) == 0, "flagged spam in alice's INBOX"
    send("bob@example.net", f"spam-high {run}", headers={"X-Spam-Score": "9.5"})
    send("bob@example.net", f"spam-low {run}", headers={"X-Spam-Score": "-1.0"})
    assert len(find("bob", f"spam-low {run}")) == 1, "low-score message not delivered to bob"
    assert len(find("bob", f"spam-high {run}", wait=0)) == 0, "high-score message delivered to bob"
    ok("spam presets: junk -> Junk folder; discard drops X-Spam-Score 9.5 >= 8 and keeps -1.0")

    # Quotas: alice's 100 MB limit is announced over IMAP. erin has 1 MB: dovecot's grace (quota_storage_grace,
    # 10 MB by default) lets the message that crosses the limit in, and refuses every message after it. erin's
    # INBOX is emptied first, so the check can run again on the same server.
    imap = imap_login("alice")
    typ, data = imap.getquotaroot("INBOX")
    imap.logout()
    assert typ == "OK" and re.search(r"STORAGE \d+ 102400\)", str(data)), f"alice's quota root: {typ} {data}"
    imap = imap_login("erin")
    if int(imap.select("INBOX")[1][0]):
        imap.store("1:*", "+FLAGS", "\\Deleted")
        imap.expunge()
    imap.logout()
    send("erin@example.net", f"crossing {run}", body="x" * 1_500_000)
    assert len(find("erin", f"crossing {run}")) == 1, "the message crossing erin's quota did not arrive"
    send("erin@example.net", f"over-quota {run}")
    time.sleep(3)  # a refusal leaves no trace in the mailbox: give the delivery time to be tried
    assert len(find("erin", f"over-quota {run}", wait=0)) == 0, "erin received mail beyond her 1 MB quota"
    imap = imap_login("erin")
    typ, data = imap.getquotaroot("INBOX")
    imap.logout()
    used, limit = (int(v) for v in re.search(r"STORAGE (\d+) (\d+)\)", str(data)).groups())
    assert limit == 1024 and used > limit, f"erin's quota root: {data}"
    ok(f"quotas: alice's 100 MB announced; erin's 1 MB ({used} KB used) refuses mail once it is exceeded")

    # The inactive mailbox: no IMAP login, and mail to it is rejected at RCPT.
    try:
        imap_login("dave", use_login=True).logout()
    except imaplib.IMAP4.error as exc:
        ok(f"inactive dave cannot log in: {exc}")
    else:
        raise AssertionError("inactive mailbox dave could log in")
    for rcpt in ("dave@example.net", "dave@mailboxes.baton.internal"):
        code, resp = expect_rcpt_refused("127.0.0.1", 25, "someone@outside.test", rcpt, "5", "")
        ok(f"RCPT {rcpt} rejected: {code} {resp}")
    # example.org has a catch-all: dave's address there must still be refused, not delivered to carol.
    code, resp = expect_rcpt_refused("127.0.0.1", 25, "someone@outside.test", "dave@example.org", "5", "disabled")
    ok(f"RCPT dave@example.org rejected despite the catch-all: {code} {resp}")

    # Closed relay: from a non-loopback address, outside to outside is refused at RCPT.
    code, resp = expect_rcpt_refused(
        PUBLIC, 25, "someone@outside.test", "victim@elsewhere.test", "5", "Relay access denied"
    )
    ok(f"relay from {PUBLIC} refused: {code} {resp}")

    # Submission: STARTTLS + AUTH with alice's password allows relaying; a wrong password does not log in.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP(PUBLIC, 587, timeout=TIMEOUT) as s:
        s.ehlo("client.outside.test")
        s.starttls(context=ctx)
        s.ehlo("client.outside.test")
        bad = base64.b64encode(b"\0alice\0wrong").decode()
        code, resp = s.docmd("AUTH", "PLAIN " + bad)
        assert code == 535, f"AUTH with a wrong password: {code} {resp}"
        token = base64.b64encode(b"\0alice\0" + PW["alice"].encode("utf-8")).decode()
        code, resp = s.docmd("AUTH", "PLAIN " + token)
        assert code == 235, f"AUTH PLAIN alice: {code} {resp}"
        # Relaying is permitted: the recipient passes the relay restrictions and meets only the test
        # servers' error transport (nothing leaves the container).
        s.mail("alice@example.org")
        code, resp = s.rcpt("someone@elsewhere.test")
        resp = resp.decode(errors="replace")
        assert "Relay access denied" not in resp and (code == 250 or "no outside delivery" in resp), (
            f"authenticated RCPT to an outside address: {code} {resp}"
        )
        s.rset()
        msg = EmailMessage()
        msg["From"] = "alice@example.org"
        msg["To"] = "bob@example.net"
        msg["Subject"] = f"submission {run}"
        msg.set_content("sent through submission\n")
        s.send_message(msg)
        # alice may not send as bob (reject_sender_login_mismatch), nor as an address of nobody.
        for foreign in ("bob@example.net", "nobody@example.org"):
            s.mail(foreign)
            code, resp = s.rcpt("carol@example.org")
            assert code == 553 and b"not owned by user alice" in resp, f"alice sending as {foreign}: {code} {resp}"
            s.rset()
    assert len(find("bob", f"submission {run}")) == 1, "message sent through submission not in bob's INBOX"
    ok("submission on 587: STARTTLS, AUTH PLAIN as alice (wrong password 535), relay allowed, sending as bob refused")

    # Vacation: a sender writes twice to alice and gets exactly one answer. The sender is a fresh address
    # of the catch-all (carol's mailbox), so every run has a sender alice has not answered yet.
    subject = f"vacation {run}"
    sender = f"vacation-{run}@example.org"
    for i in (1, 2):
        send("alice@example.org", f"{subject} #{i}", sender=sender)
    assert len(find("alice", subject, want=2)) == 2, "alice did not get both vacation test messages"

    def replies():
        return [
            m for m in find("carol", "Away: back soon", wait=0) if m["To"] and m["To"].addresses[0].addr_spec == sender
        ]

    deadline = time.time() + TIMEOUT
    while not replies() and time.time() < deadline:
        time.sleep(0.5)
    time.sleep(3)
    got = replies()
    assert len(got) == 1, f"{sender} got {len(got)} vacation replies"
    assert got[0]["From"].addresses[0].addr_spec == "alice@example.org", got[0]["From"]
    assert "ünïcode" in got[0]["Subject"], got[0]["Subject"]
    ok(f"vacation answered {sender} exactly once, from alice@example.org, for two messages")


if __name__ == "__main__":
    main()
