"""The numbers of one bench-agent.sh run, from the files it left in the
current directory: plan.txt (the visits), events.json (gatehouse events),
door (the sim door's relay lines), status.jsonl and status.json (gatehouse
status during and after the replay), rss.txt, cpu.txt and origin.txt; for a
run with the outbox stalled (DETECTOR+stall) also outbox-before.json and
outbox.json (gatehouse outbox before and after the replay), inflight.txt
(the connections the stalled servers held, "SMTP HTTP", sampled with the
status) and stall-smtp/stall.json, stall-http/stall.json (tests/tools/
stall.py's counts). Prints one JSON line for table.py; bench-agent.sh
explains the measures.

Usage: bench-agent.py DETECTOR WALL_START WALL_READY WALL_END CORES
With BENCH_AGENT_ROWS set, every grant and every other verdict goes to
stderr as a JSON line too.
"""
import datetime
import json
import math
import os
import sys

INTERVAL = 67		# ms: llround(1000 / camera_fps 15), the frame grid
VISIT = 40		# frames a visit takes: 25 blank, 15 of the face
FACE_AT = 25		# the first face frame of a visit

det = sys.argv[1]
wall_start, wall_ready, wall_end = (int(a) for a in sys.argv[2:5])
cores = int(sys.argv[5])

plan = []
for line in open("plan.txt"):
    i, person, first = line.split()
    plan.append((int(i), person, int(first)))
events = json.load(open("events.json"))["events"]
status = json.load(open("status.json"))
# The worker's mean analysis time per second, sampled during the replay.
samples = [json.loads(l)["analyse_ms"] for l in open("status.jsonl")]
samples = [x for x in samples if x > 0]
rss = {}
for line in open("rss.txt"):
    what, hwm, pss = line.split()
    h, p = rss.get(what, (0, 0))
    rss[what] = (h + int(hwm), p + int(pss))
# The rest of the machine's CPU use during the replay, in % of all CPUs: a
# benchmark on a shared machine says how shared it was.
(b0, t0, a0), (b1, t1, a1) = ([int(x) for x in l.split()]
    for l in open("cpu.txt"))
other_cpu = 100 * ((b1 - b0) - (a1 - a0)) / max(1, t1 - t0)
agent_cpu = 100 * (a1 - a0) / max(1, t1 - t0)
# The access time of frame 0's file before and after the replay, in ns:
# when it changed, the worker read it right after the camera opened.
atime0, atime1 = (int(x) for x in open("origin.txt").read().split())

pulses = []
for line in open("door"):
    stamp, word = line.split()[:2]
    if word != "pulse":
        continue
    t = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    t = t.replace(tzinfo=datetime.timezone.utc)
    pulses.append(round(t.timestamp() * 1000))


def pct(xs, p):
    """The P-th percentile of XS, nearest rank."""
    if not xs:
        return None
    xs = sorted(xs)
    return xs[max(0, math.ceil(p / 100 * len(xs)) - 1)]


def summary(xs):
    return {"p50": pct(xs, 50), "p95": pct(xs, 95),
        "max": max(xs) if xs else None}


granted = sorted((e for e in events if e["type"] == "granted" and
    e.get("reason") == "match"), key=lambda e: e["time"])
others = [e for e in events if e["type"] in ("denied", "pending",
    "uncertain")]

# Each grant's pulse: the first pulse line at or after its decisive frame.
# J, the frame intervals from the track's first frame to the decisive one,
# is what makes latency_ms and the pulse agree (bench-agent.sh).
rows = []
pi = 0
for e in granted:
    while pi < len(pulses) and pulses[pi] < e["time"]:
        pi += 1
    p = pulses[pi] if pi < len(pulses) else None
    pi += 1
    lat = e["latency_ms"]
    row = {"person": e.get("person"), "latency": lat, "decisive": e["time"]}
    if p is not None:
        post = p - e["time"]
        j = round((lat - post) / INTERVAL)
        row.update(pulse=p, j=j, after_frame=lat - j * INTERVAL,
            to_pulse=post - (lat - j * INTERVAL))
    rows.append(row)

# The grid's origin S, the time of frame 0. From frame 0's access time
# when the file system keeps one (relatime does, for a file never read
# since it was written): the grid point nearest to it. Else (noatime) the
# latest S that leaves no grant decided before J frames after its face
# showed: exact if one visit's first face frame was analysed, not dropped
# (all the frames of a visit are one photo, so a face is found in the
# first frame or in none); the visits relative to each other come from
# the grid, the first grant's from S lying between the agent's start and
# its worker's READY (the camera opens just before READY).
timed = [r for r in rows if "j" in r]
origin = None
anchor = "none"
if timed and atime1 != atime0:
    d0 = timed[0]["decisive"]
    at = atime1 / 1e6
    origin = d0 - INTERVAL * round((d0 - at) / INTERVAL)
    anchor = "atime"
elif timed:
    d0, j0 = timed[0]["decisive"], timed[0]["j"]
    rel = [round((round((r["decisive"] - d0) / INTERVAL) - (r["j"] - j0)) /
        VISIT) for r in timed]
    best = None
    for v0 in range(len(plan)):
        vs = [v0 + x for x in rel]
        if vs[-1] >= len(plan):
            break
        s = min(r["decisive"] - INTERVAL * (plan[v][2] + r["j"])
            for r, v in zip(timed, vs))
        off = max(wall_start - s, s - wall_ready, 0)
        if best is None or off < best[0]:
            best = (off, s)
    if best is not None:
        origin = best[1]
        anchor = "assumed"


def visit_of(t):
    """The visit whose frames decided at T: from its face's first frame
    to 40 frames later (a track ends 1.5 s, 22 frames, after its face)."""
    if origin is None:
        return None
    v = (round((t - origin) / INTERVAL) - FACE_AT) // VISIT
    return v if 0 <= v < len(plan) else None


wrong = 0
seen = set()
for r in rows:
    v = visit_of(r["decisive"]) if "j" in r else None
    r["visit"] = v
    if v is None or v in seen or plan[v][1] != r["person"]:
        wrong += 1
        continue
    seen.add(v)
    first = origin + INTERVAL * plan[v][2]
    r["missed"] = round((r["decisive"] - first) / INTERVAL) - r["j"]
    r["visible_to_pulse"] = r["pulse"] - first


def col(key):
    return [r[key] for r in rows if r.get(key) is not None]


def count(kind):
    return sum(1 for e in others if e["type"] == kind)


out = {
    "impl": "gatehouse", "bench": "agent", "detector": det,
    "threads": cores, "fps": 15, "visits": len(plan),
    "granted": len(seen), "granted_events": len(granted),
    "wrong_person": wrong, "denied": count("denied"),
    "pending": count("pending"), "uncertain": count("uncertain"),
    "pulses": len(pulses),
    # The target's measure: the first frame the face was on camera to the
    # relay (door file); and the agent's own latency_ms.
    "visible_to_pulse_ms": summary(col("visible_to_pulse")),
    "latency_ms": summary(col("latency")),
    # latency_ms = votes_wait_ms + after_frame_ms; the pulse comes
    # to_pulse_ms later (the event's commit, the keeper's hop).
    "frames_at_decision": summary([j + 1 for j in col("j")]),
    "votes_wait_ms": summary([j * INTERVAL for j in col("j")]),
    "after_frame_ms": summary(col("after_frame")),
    "to_pulse_ms": summary(col("to_pulse")),
    "missed_first_frames": sum(col("missed")),
    "origin": anchor,
    "origin_before_ready_ms": wall_ready - origin
        if origin is not None else None,
    "frames": status["frames"], "dropped": status["dropped"],
    "analyse_ms": summary(samples),
    "rss_main_mb": round(rss.get("main", (0, 0))[0] / 1024, 1),
    "rss_worker_mb": round(rss.get("worker", (0, 0))[0] / 1024, 1),
    "rss_other_mb": round(rss.get("other", (0, 0))[0] / 1024, 1),
    "pss_total_mb": round(sum(p for _, p in rss.values()) / 1024, 1),
    "agent_cpu_pct": round(agent_cpu, 1),
    "other_cpu_pct": round(other_cpu, 1),
    "startup_ms": wall_ready - wall_start,
    "replay_s": round((wall_end - wall_ready) / 1000, 1),
}
# Visits without any verdict: their face was never tracked (every frame
# dropped, or never found).
out["no_verdict"] = max(0, out["visits"] - out["granted"] - out["denied"] -
    out["pending"] - out["uncertain"])
out["rss_sum_mb"] = round(out["rss_main_mb"] + out["rss_worker_mb"], 1)

# The outbox stalled: what it had to do meanwhile.
out["scenario"] = "plain"
if os.path.exists("outbox.json"):
    out["scenario"] = "stall"
    before = {r["row"] for r in json.load(open("outbox-before.json"))["rows"]}
    orows = json.load(open("outbox.json"))["rows"]
    new = [r for r in orows if r["row"] not in before]
    held = [[int(x) for x in l.split()] for l in open("inflight.txt")]
    servers = {k: json.load(open("stall-%s/stall.json" % k))
        for k in ("smtp", "http")}
    out["outbox"] = {
        # Rows queued before the replay (the passes' mails) and during it.
        "rows_before": len(before),
        "rows_during": len(new),
        "mail_during": sum(1 for r in new if r["kind"] == "email"),
        "webhooks_during": sum(1 for r in new if r["kind"] == "webhook"),
        "queued_end": sum(1 for r in orows if r["state"] == "queued"),
        "sent": sum(1 for r in orows if r["state"] == "sent"),
        "failed": sum(1 for r in orows if r["state"] == "failed"),
        # Tries ended: the agent gave up (SMTP) or the server hung up.
        "tries_ended": sum(r["attempts"] for r in orows),
        # Connections open on the stalled servers: tries in flight.
        "inflight_max": max((a + b for a, b in held), default=0),
        "inflight_mean": round(sum(a + b for a, b in held) /
            max(1, len(held)), 1),
        "inflight_smtp_max": servers["smtp"]["max_held"],
        "inflight_http_max": servers["http"]["max_held"],
        "connections_smtp": servers["smtp"]["accepted"],
        "connections_http": servers["http"]["accepted"],
    }
print(json.dumps(out))
if os.environ.get("BENCH_AGENT_ROWS"):
    for r in rows:
        print(json.dumps(r), file=sys.stderr)
    for e in others:
        print(json.dumps({"type": e["type"], "reason": e.get("reason"),
            "visit": visit_of(e["time"]), "distance": e.get("distance")}),
            file=sys.stderr)
