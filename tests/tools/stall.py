#!/usr/bin/env python3
# A server that never answers, on 127.0.0.1, for the tests and the bench:
# stall.py DIR PORT [HOLD]. It accepts every connection, reads and drops
# what comes and never writes: an SMTP client waits for a greeting, an HTTP
# client for an answer, that never come. Each socket is closed HOLD seconds
# after it was accepted (a number; 0 or none: held until the client closes
# it or this is killed). Touches DIR/.ready
# once listening and keeps DIR/stall.json, replaced whole at every change:
# {"accepted": connections so far, "held": open now, "max_held": the most
# open at once}. Runs until killed.
import json, os, select, socket, sys, time
d, port = sys.argv[1], int(sys.argv[2])
hold = float(sys.argv[3]) if len(sys.argv) > 3 else 0
os.makedirs(d, exist_ok=True)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(128)
held = {}			# socket: when to close it (or None)
stats = {"accepted": 0, "held": 0, "max_held": 0}
def save():
    stats["held"] = len(held)
    stats["max_held"] = max(stats["max_held"], len(held))
    tmp = os.path.join(d, ".stall.tmp")
    with open(tmp, "w") as f:
        json.dump(stats, f)
    os.rename(tmp, os.path.join(d, "stall.json"))
save()
open(os.path.join(d, ".ready"), "w").close()
while True:
    now = time.monotonic()
    due = [t for t in held.values() if t is not None]
    wait = max(0, min(due) - now) if due else None
    r, _, _ = select.select([srv] + list(held), [], [], wait)
    changed = False
    for s in r:
        if s is srv:
            c, _ = srv.accept()
            held[c] = now + hold if hold > 0 else None
            stats["accepted"] += 1
            changed = True
            continue
        try:
            data = s.recv(65536)
        except OSError:
            data = b""
        if not data:
            # The client gave up: no longer in flight.
            s.close()
            del held[s]
            changed = True
    now = time.monotonic()
    for s, t in list(held.items()):
        if t is not None and t <= now:
            s.close()
            del held[s]
            changed = True
    if changed:
        save()
