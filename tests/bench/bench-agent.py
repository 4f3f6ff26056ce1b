"""The numbers of one bench-agent.sh run, from the files it left in the
current directory: plan.txt (the visits), events.json (gatehouse events),
door (the sim door's relay lines), status.json (gatehouse status) and
rss.txt. Prints one JSON line for table.py; bench-agent.sh explains the
measures.

Usage: bench-agent.py DETECTOR WALL_START WALL_READY WALL_END CORES
"""
import datetime
import json
import math
import os
import sys

INTERVAL = 67		# ms: llround(1000 / camera_fps 15), the frame grid
VISIT = 40		# frames a visit takes: 25 blank, 15 of the face

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
verdicts = {}
for e in events:
    if e["type"] in ("granted", "denied", "pending", "uncertain"):
        verdicts[e["type"]] = verdicts.get(e["type"], 0) + 1

# Each grant's pulse: the first pulse line at or after its decisive frame.
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
        row.update(pulse=p, post=post, j=j, proc=lat - j * INTERVAL,
            commit=post - (lat - j * INTERVAL), to_pulse=j * INTERVAL + post)
    rows.append(row)

# The visit of each grant. Frame times lie on one grid, so the decisive
# frames' indices are known relative to each other, and each visit decides
# a few frames after its face shows (frame 40 V + 25): the visits relative
# to the first grant's. The grid's origin, S, is the earliest one all
# grants allow if one visit's first face frame was analysed (see
# bench-agent.sh); S moves by a visit (2.7 s) with the first grant's visit,
# which is the one that puts S between the agent's start and its worker's
# READY (the camera opens just before READY).
timed = [r for r in rows if "j" in r]
origin = None
if timed:
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
            best = (off, v0, s, vs)
    if best is not None:
        _, _, origin, vs = best
        for r, v in zip(timed, vs):
            r["visit"] = v
wrong = 0
seen = set()
for r in rows:
    v = r.get("visit")
    if v is None or v in seen or plan[v][1] != r["person"]:
        wrong += 1
        continue
    seen.add(v)
    first = origin + INTERVAL * plan[v][2]
    r["missed"] = round((r["decisive"] - first) / INTERVAL) - r["j"]
    r["visible_to_pulse"] = r["pulse"] - first

def col(key):
    return [r[key] for r in rows if key in r]


out = {
    "impl": "gatehouse", "bench": "agent", "detector": det,
    "threads": cores, "fps": 15, "visits": len(plan),
    "granted": len(seen), "granted_events": len(granted),
    "wrong_person": wrong,
    "denied": verdicts.get("denied", 0),
    "pending": verdicts.get("pending", 0),
    "uncertain": verdicts.get("uncertain", 0),
    "pulses": len(pulses),
    "latency_ms": summary(col("latency")),
    "visible_to_pulse_ms": summary(col("visible_to_pulse")),
    "frames_at_decision": summary([j + 1 for j in col("j")]),
    "votes_wait_ms": summary([j * INTERVAL for j in col("j")]),
    "decide_ms": summary(col("proc")),
    "commit_ms": summary(col("commit")),
    "missed_first_frames": sum(col("missed")),
    "grid_origin_after_ready_ms": origin - wall_ready
        if origin is not None else None,
    "frames": status["frames"], "dropped": status["dropped"],
    "analyse_ms": summary(samples),
    "rss_main_mb": round(rss.get("main", (0, 0))[0] / 1024, 1),
    "rss_worker_mb": round(rss.get("worker", (0, 0))[0] / 1024, 1),
    "rss_other_mb": round(rss.get("other", (0, 0))[0] / 1024, 1),
    "pss_total_mb": round(sum(p for _, p in rss.values()) / 1024, 1),
    "startup_ms": wall_ready - wall_start,
    "replay_s": round((wall_end - wall_ready) / 1000, 1),
}
out["rss_sum_mb"] = round(out["rss_main_mb"] + out["rss_worker_mb"], 1)
print(json.dumps(out))
if os.environ.get("BENCH_AGENT_ROWS"):
    for r in rows:
        print(json.dumps(r), file=sys.stderr)
