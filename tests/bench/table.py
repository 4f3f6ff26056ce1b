"""Turns the JSON lines of tests/bench/run.sh into the README's table."""
import json
import sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
cpu, cores = sys.argv[2], int(sys.argv[3])

def find(impl, net, threads=None):
    for r in rows:
        if r.get("impl") != impl:
            continue
        if r.get("net", r.get("bench")) != net:
            continue
        if threads is not None and r.get("threads") != threads:
            continue
        return r
    return None

# net, label, target (ratio over the peer, or absolute ms)
nets = [
    ("tiny", "TinyFaceDetector 416", "≥ 6×"),
    ("ssd", "SsdMobilenetv1 512", ""),
    ("landmark68", "FaceLandmark68Net", "≥ 4×"),
    ("landmark68_tiny", "FaceLandmark68TinyNet", ""),
    ("recognition", "FaceRecognitionNet", "≥ 5×"),
    ("pipeline", "one-face pipeline, 640×480", "≤ 15 ms"),
]
print(f"Machine: {cpu}, {cores} cores. Median of 30 runs after warm-up, ms.\n")
print("| | Gatehouse 1 thread | Gatehouse %d threads | face-api wasm | ratio 1 thread | ratio %d threads | target |" % (cores, cores))
print("|---|---|---|---|---|---|---|")
for net, label, target in nets:
    one = find("gatehouse", net, 1)
    many = find("gatehouse", net, cores)
    peer = find("face-api-wasm", net)
    def ms(r):
        return "%.2f" % r["median_ms"] if r else "–"
    def ratio(r):
        if not r or not peer:
            return "–"
        return "%.1f×" % (peer["median_ms"] / r["median_ms"])
    print(f"| {label} | {ms(one)} | {ms(many)} | {ms(peer)} | {ratio(one)} | {ratio(many)} | {target} |")

for threads in (1, cores):
    g = find("gatehouse", "gallery-100k", threads)
    if g:
        print(f"| gallery search, 100k templates, {threads} thread{'s' if threads > 1 else ''} | {g['median_ms']:.2f} | | | | | ≤ 2 ms |")
rss = find("gatehouse", "peak-rss", 1)
if rss:
    print(f"| peak RSS, all five models loaded and run | {rss['rss_mb']:.0f} MB | | | | | ≤ 120 MB |")

# The door agent end to end (bench-agent.sh), one thread per core: in the
# "threads" column.
def fmt3(d):
    return " / ".join("–" if d[k] is None else "%d" % d[k]
        for k in ("p50", "p95", "max"))

agents = [r for r in rows if r.get("bench") == "agent" and
    r.get("scenario") != "stall"]
stalls = [r for r in rows if r.get("bench") == "agent" and
    r.get("scenario") == "stall"]
for a in agents:
    name = f"door agent, {a['detector']}"
    def row(label, value, target=""):
        print(f"| {name}: {label} | | {value} | | | | {target} |")
    row("first face frame → pulse, p50 / p95 / max",
        fmt3(a["visible_to_pulse_ms"]) + " ms", "p95 ≤ 250 ms")
    row("latency_ms (track → grant), p50 / p95 / max",
        fmt3(a["latency_ms"]) + " ms")
    f = a["frames_at_decision"]
    row("frames to a verdict p50 / max; vote wait, rest p50",
        "%s / %s; %s + %s ms" % (f["p50"], f["max"],
        a["votes_wait_ms"]["p50"], a["after_frame_ms"]["p50"]))
    others = ", ".join("%d %s" % (a[k], k) for k in
        ("denied", "pending", "uncertain", "no_verdict", "wrong_person")
        if a.get(k))
    row("visits granted; frames dropped",
        "%d of %d%s; %d of %d" % (a["granted"], a["visits"],
        " (" + others + ")" if others else "", a["dropped"], a["frames"]))
    row("peak RSS, main + worker",
        "%.0f + %.0f = %.0f MB" % (a["rss_main_mb"], a["rss_worker_mb"],
        a["rss_sum_mb"]), "≤ 120 MB")

# The same agent with its outbox stalled (bench-agent.sh DETECTOR+stall),
# beside the run without notifications.
def fmt2(d):
    return " / ".join("–" if d[k] is None else "%d" % d[k]
        for k in ("p50", "p95"))

for s in stalls:
    a = next((x for x in agents if x["detector"] == s["detector"]), None)
    o = s["outbox"]
    name = f"door agent, {s['detector']}"
    def row(label, value, target=""):
        print(f"| {name}: {label} | | {value} | | | | {target} |")
    def both(key):
        return "%s → %s ms" % (fmt2(a[key]) if a else "–", fmt2(s[key]))
    row("first face frame → pulse p50 / p95, outbox idle → stalled",
        both("visible_to_pulse_ms"), "unchanged")
    row("latency_ms p50 / p95, outbox idle → stalled", both("latency_ms"),
        "unchanged")
    row("frames dropped; the rest of the machine's CPU, outbox idle → "
        "stalled", "%s → %d of %d; %s → %.0f%%" % (
        "%d" % a["dropped"] if a else "–", s["dropped"], s["frames"],
        "%.0f%%" % a["other_cpu_pct"] if a else "–", s["other_cpu_pct"]))
    row("outbox stalled: visits granted; rows queued (mail + webhooks); "
        "in flight mean / max; connections SMTP + HTTP",
        "%d of %d; %d before + %d during (%d + %d), %d sent; %.1f / %d; "
        "%d + %d" % (s["granted"], s["visits"],
        o["rows_before"], o["rows_during"], o["mail_during"],
        o["webhooks_during"], o["sent"], o["inflight_mean"],
        o["inflight_max"],
        o["connections_smtp"], o["connections_http"]))

if agents:
    a = agents[0]
    print(f"\nDoor agent: {a['visits']} visits of 3 enrolled people at "
        f"{a['fps']} fps from a file: camera (25 blank frames, then 15 "
        "of an unenrolled photo of the person), match_votes 3/5, "
        f"{a['threads']} inference threads; the pulse is the sim door's "
        "relay line. Pss of all the agent's processes at the end: " +
        ", ".join("%s %.0f MB" % (x["detector"], x["pss_total_mb"])
        for x in agents) + ". The rest of the machine used " +
        ", ".join("%.0f%% (%s)" % (x["other_cpu_pct"], x["detector"])
        for x in agents) + " of the CPUs meanwhile.")
if stalls:
    print("\nOutbox stalled: the same visits, with every decision queuing "
        "a webhook and every waiting visitor or alarm a mail, to a mail "
        "server and "
        "a webhook receiver that accept connections and never answer, "
        "each connection held 30 s (tests/tools/stall.py; the agent gives "
        "up a silent mail server after 15 s, its connect timeout, and "
        "retries after its backoff); four passes "
        "mailed before the replay fill the sender's four slots from the "
        "first frame. In flight: the connections open on the stalled "
        "servers, sampled once a second.")
