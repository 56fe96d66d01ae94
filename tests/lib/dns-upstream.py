# SPDX-License-Identifier: LGPL-2.1-or-later
# A scriptable upstream DNS server for the resolver tests (UDP and TCP on
# ADDR:53), inside a test's network namespace only. It answers every A
# query with ANSWER_ADDR; a name starting with "tc." gets a truncated (TC=1)
# empty answer over UDP and the real one over TCP; a name starting with
# "ttlN." gets TTL N (else 300); one starting with "addr-A-B-C-D." gets the
# address A.B.C.D instead. Each query is logged to LOG as
# "udp|tcp SRCPORT ID NAME". Prints "ready" once both listeners are up.
#     python3 dns-upstream.py ADDR ANSWER_ADDR LOG
import os, socket, struct, sys, threading

addr, answer_addr, logpath = sys.argv[1], socket.inet_aton(sys.argv[2]), sys.argv[3]
log = open(logpath, "a", buffering=1)
lock = threading.Lock()


def parse(q):
    qid, flags, qd = struct.unpack(">HHH", q[:6])
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode())
        i += 1 + q[i]
    qtype = struct.unpack(">H", q[i + 1:i + 3])[0]
    return qid, flags, ".".join(labels).lower(), q[12:i + 5], qtype


def answer(q, tcp):
    qid, flags, name, question, qtype = parse(q)
    ttl = 300
    if name.startswith("ttl"):
        ttl = int(name.split(".")[0][3:])
    rd = flags & 0x0100
    if name.startswith("tc.") and not tcp:
        return struct.pack(">HHHHHH", qid, 0x8000 | 0x0200 | rd | 0x80, 1, 0, 0, 0) + question
    ans, a = b"", answer_addr
    if name.startswith("addr-"):
        a = socket.inet_aton(name.split(".")[0][5:].replace("-", "."))
    if qtype == 1:
        ans = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, ttl, 4) + a
    return struct.pack(">HHHHHH", qid, 0x8000 | rd | 0x80, 1, 1 if ans else 0, 0, 0) + question + ans


def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    ready.set()
    while True:
        q, peer = s.recvfrom(4096)
        with lock:
            log.write("udp %d %d %s\n" % (peer[1], struct.unpack(">H", q[:2])[0], parse(q)[2]))
        s.sendto(answer(q, False), peer)


def serve_tcp(c, peer):
    with c:
        while True:
            h = c.recv(2)
            if len(h) < 2:
                return
            n = struct.unpack(">H", h)[0]
            q = b""
            while len(q) < n:
                q += c.recv(n - len(q))
            with lock:
                log.write("tcp %d %d %s\n" % (peer[1], struct.unpack(">H", q[:2])[0], parse(q)[2]))
            a = answer(q, True)
            c.sendall(struct.pack(">H", len(a)) + a)


ready = threading.Event()
threading.Thread(target=udp, daemon=True).start()
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((addr, 53))
t.listen(16)
ready.wait()
print("ready", flush=True)
while True:
    c, peer = t.accept()
    threading.Thread(target=serve_tcp, args=(c, peer), daemon=True).start()
