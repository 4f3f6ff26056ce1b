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
