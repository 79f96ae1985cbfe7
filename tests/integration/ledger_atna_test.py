#!/usr/bin/python3
"""ATNA forwarding against a real rsyslog (Debian, rsyslog-openssl) on 127.0.0.1 with a
self-signed TLS certificate: messages are delivered (RFC 5425 octet counting), queued on
disk while the server is down, delivered when it comes back; a server whose certificate
does not chain to the configured CA is refused.
usage: ledger_atna_test.py LEDGER_ATNA_BIN SCRATCH"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

drv, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
q = os.path.join(work, "queue")
out = os.path.join(work, "received.log")


def sh(*a):
    subprocess.run(list(a), check=True, capture_output=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


# A CA and a server certificate for 127.0.0.1 (IP SAN), plus a foreign CA.
for name in ("ca", "other"):
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-days", "2", "-subj", f"/CN=test {name}", "-keyout",
       f"{work}/{name}.key", "-out", f"{work}/{name}.pem")
sh("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
   "-subj", "/CN=127.0.0.1", "-keyout", f"{work}/server.key", "-out", f"{work}/server.csr")
with open(f"{work}/ext", "w") as f:
    f.write("subjectAltName=IP:127.0.0.1\n")
sh("openssl", "x509", "-req", "-in", f"{work}/server.csr", "-CA", f"{work}/ca.pem", "-CAkey",
   f"{work}/ca.key", "-CAcreateserial", "-days", "2", "-extfile", f"{work}/ext", "-out",
   f"{work}/server.pem")
port = free_port()
os.makedirs(f"{work}/spool", exist_ok=True)
with open(f"{work}/rsyslog.conf", "w") as f:
    f.write(f"""
global(workDirectory="{work}/spool"
       DefaultNetstreamDriver="ossl"
       DefaultNetstreamDriverCAFile="{work}/ca.pem"
       DefaultNetstreamDriverCertFile="{work}/server.pem"
       DefaultNetstreamDriverKeyFile="{work}/server.key"
       maxMessageSize="1m")
module(load="imtcp" StreamDriver.Name="ossl" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
template(name="one" type="string" string="%msgid% %app-name% %msg:::escape-cc%\\n")
ruleset(name="atna") {{ action(type="omfile" file="{out}" template="one") }}
input(type="imtcp" port="{port}" address="127.0.0.1" ruleset="atna")
""")


def start():
    p = subprocess.Popen(["rsyslogd", "-n", "-f", f"{work}/rsyslog.conf", "-i",
                          f"{work}/rsyslog.pid"], stdout=subprocess.DEVNULL,
                         stderr=open(f"{work}/rsyslog.err", "a"))
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return p
        except OSError:
            time.sleep(0.1)
    raise SystemExit("rsyslogd did not start: " + open(f"{work}/rsyslog.err").read())


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(10)


def drive(*a):
    r = subprocess.run([drv, *a], capture_output=True, text=True)
    print(" ".join(a[:2]), "->", r.stdout.strip(), r.stderr.strip())
    return r.stdout


def flush(ca="ca.pem"):
    return drive("flush", q, "127.0.0.1", str(port), f"{work}/{ca}")


def received():
    try:
        return open(out).read()
    except FileNotFoundError:
        return ""


failures = []
srv = start()
drive("enqueue", q, "1", "20")
r = flush()
if "sent 20 pending 0 rc 0" not in r:
    failures.append("first delivery")
# Server down: messages stay queued.
stop(srv)
drive("enqueue", q, "21", "15")
r = flush()
if "sent 0 pending 15" not in r or "rc -4" not in r:
    failures.append("queueing while the server is down")
# A server with a certificate from another CA is refused (queue kept).
srv = start()
r = flush(ca="other.pem")
if "sent 0 pending 15" not in r:
    failures.append("untrusted certificate accepted")
# Back up with the right CA: the backlog goes out.
r = flush()
if "sent 15 pending 0 rc 0" not in r:
    failures.append("delivery after the server came back")
time.sleep(1.0)
stop(srv)
text = received()
for i in range(1, 36):
    n = text.count(f"atna-marker-{i}\"")
    if n != 1:
        failures.append(f"marker {i} received {n} times")
if "IHE+RFC-3881 handoff" not in text:
    failures.append("RFC 5424 MSGID/APP-NAME not as expected")
print(f"received {text.count('atna-marker-')} messages")
print("PASS" if not failures else "FAIL: " + "; ".join(failures[:8]))
sys.exit(1 if failures else 0)
