"""Turns scripts/bench's measurements into docs/performance.md and docs/performance.png.

Usage: report.py RESULTS_JSONL LAMBDA_ZIP_DIR DOCS_DIR
"""

import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import zipfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROWS = ["alexa-skill", "config-rules", "pipeline-runner"]
PEERS = {
    "alexa-skill": ("ask-sdk-core", "tests/bench/peers/alexa_fact", ["ask-sdk-core==1.19.0"]),
    "config-rules": ("rdklib", "tests/bench/peers/config_ssh", ["rdklib==0.3.10"]),
    "pipeline-runner": ("boto3", "tests/bench/peers/pipeline_runner", []),
}
# The Lambda Python runtime ships these; a deployment package leaves them out.
IN_RUNTIME = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3", "awslambdaric", "bin"}
TARGETS = {"cold_vs_peer": 8.0, "init_vs_baseline": 3.0, "rss_vs_peer": 0.5, "zip_mb": 8.0}


def zipped_size(paths):
    """Bytes of a deflated zip of the given files and directories."""
    with tempfile.NamedTemporaryFile(suffix=".zip") as tmp:
        with zipfile.ZipFile(tmp.name, "w", zipfile.ZIP_DEFLATED) as z:
            for root_path in paths:
                if os.path.isfile(root_path):
                    z.write(root_path, os.path.basename(root_path))
                    continue
                for root, _, files in os.walk(root_path):
                    for f in files:
                        full = os.path.join(root, f)
                        z.write(full, os.path.relpath(full, os.path.dirname(root_path)))
        return os.path.getsize(tmp.name)


def peer_package_size(row):
    """The peer's deployment zip: its handler plus the libraries the runtime does not ship."""
    _, directory, requirements = PEERS[row]
    paths = [os.path.join(directory, "handler.py")]
    with tempfile.TemporaryDirectory() as target:
        if requirements:
            subprocess.run(
                [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", target, *requirements],
                check=True,
            )
            paths += [os.path.join(target, p) for p in os.listdir(target) if p.split("-")[0] not in IN_RUNTIME and not p.endswith(".dist-info")]
        return zipped_size(paths)


def load(path):
    rows = {}
    for line in open(path):
        r = json.loads(line)
        rows[(r["row"], r["kind"])] = r
    return rows


def med(r, key):
    return r[key]["median"]


def fmt_ms(x):
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def main():
    results, zip_dir, docs = sys.argv[1:4]
    rows = load(results)
    base = rows[("baseline", "ours")]
    os.makedirs(docs, exist_ok=True)

    zips = {row: os.path.getsize(os.path.join(zip_dir, row, "bootstrap.zip")) for row in ROWS}
    peer_zips = {row: peer_package_size(row) for row in ROWS if (row, "peer") in rows}

    lines = []
    add = lines.append
    add("# Performance")
    add("")
    add(f"Measured by `scripts/bench` on {datetime.date.today()} on this machine ({platform.machine()}, "
        f"{os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}): every function's "
        "real `bootstrap` (cargo-lambda release build) and every peer (under `awslambdaric`) started by the same "
        "local Lambda Runtime API host, in the same run. AWS calls go to the local AWS (moto plus `tests/emulator`) over HTTPS.")
    add("")
    add("![cold start and memory](performance.png)")
    add("")
    add("## Summary (medians)")
    add("")
    add("| function | init ms (ours / peer) | init + first invocation ms (ours / peer) | peer ÷ ours | ours init ÷ baseline init | warm median ms (ours / peer) | warm p99 ms (ours / peer) | peak RSS MB (ours / peer) | ours ÷ peer RSS | zip MB (ours / peer) |")
    add("|---|---|---|---|---|---|---|---|---|---|")
    add(f"| baseline (`lambda_runtime` echo) | {fmt_ms(med(base, 'init_ms'))} | {fmt_ms(med(base, 'init_plus_first_ms'))} | | 1.0 | "
        f"{fmt_ms(med(base, 'warm_median_ms'))} | {fmt_ms(med(base, 'warm_p99_ms'))} | {med(base, 'peak_rss_mb'):.1f} | | |")
    verdicts = []
    for row in ROWS:
        ours, peer = rows.get((row, "ours")), rows.get((row, "peer"))
        if not ours or not peer:
            continue
        cold_ratio = med(peer, "init_plus_first_ms") / med(ours, "init_plus_first_ms")
        init_ratio = med(ours, "init_ms") / med(base, "init_ms")
        rss_ratio = med(ours, "peak_rss_mb") / med(peer, "peak_rss_mb")
        zip_mb = zips[row] / 1e6
        add(f"| {row} vs {PEERS[row][0]} | {fmt_ms(med(ours, 'init_ms'))} / {fmt_ms(med(peer, 'init_ms'))} | "
            f"{fmt_ms(med(ours, 'init_plus_first_ms'))} / {fmt_ms(med(peer, 'init_plus_first_ms'))} | {cold_ratio:.1f}× | {init_ratio:.2f}× | "
            f"{fmt_ms(med(ours, 'warm_median_ms'))} / {fmt_ms(med(peer, 'warm_median_ms'))} | "
            f"{fmt_ms(med(ours, 'warm_p99_ms'))} / {fmt_ms(med(peer, 'warm_p99_ms'))} | "
            f"{med(ours, 'peak_rss_mb'):.1f} / {med(peer, 'peak_rss_mb'):.1f} | {rss_ratio:.2f} | {zip_mb:.2f} / {peer_zips.get(row, 0) / 1e6:.2f} |")
        verdicts.append((row, cold_ratio, init_ratio, rss_ratio, zip_mb))
    add("")
    add("## Targets")
    add("")
    add("| function | init + first ≥ 8× faster than peer | init ≤ 3× baseline | peak RSS ≤ ½ peer | zip ≤ 8 MB |")
    add("|---|---|---|---|---|")
    for row, cold, init, rss, zmb in verdicts:
        mark = lambda ok, text: f"{'met' if ok else 'missed'} ({text})"  # noqa: E731
        add(f"| {row} | {mark(cold >= TARGETS['cold_vs_peer'], f'{cold:.1f}×')} | {mark(init <= TARGETS['init_vs_baseline'], f'{init:.2f}×')} | "
            f"{mark(rss <= TARGETS['rss_vs_peer'], f'{rss:.2f}')} | {mark(zmb <= TARGETS['zip_mb'], f'{zmb:.2f} MB')} |")
    add("")
    add("## What TLS costs")
    add("")
    add("The same bootstrap measured twice against the same local AWS: over HTTPS (its certificate from the local "
        "AWS's CA, trusted through `SSL_CERT_FILE`, as every row above) and over plain HTTP. The difference in the "
        "first invocation is the TLS set-up (loading the roots, building the rustls configuration) and the handshake "
        "of the first AWS call; init shows what TLS adds before the first event.")
    add("")
    add("| function | init ms (HTTPS / HTTP) | first invocation ms (HTTPS / HTTP) | TLS's share of the first invocation |")
    add("|---|---|---|---|")
    for row in ROWS:
        tls, plain = rows.get((row, "ours")), rows.get((row, "http"))
        if not tls or not plain:
            continue
        first_tls, first_plain = med(tls, "first_invocation_ms"), med(plain, "first_invocation_ms")
        share = (first_tls - first_plain) / first_tls if first_tls else 0.0
        add(f"| {row} | {fmt_ms(med(tls, 'init_ms'))} / {fmt_ms(med(plain, 'init_ms'))} | "
            f"{fmt_ms(first_tls)} / {fmt_ms(first_plain)} | {fmt_ms(first_tls - first_plain)} ms ({share:.0%}) |")
    add("")
    deferred, at_init = rows.get(("tls-probe", "deferred")), rows.get(("tls-probe", "at-init"))
    if deferred and at_init:
        add("## Opening the connection during init")
        add("")
        add("`bench-tls-probe` (tests/bench/tls_probe.rs) makes one STS call per invocation on `ferrops::sdk`, as our "
            "functions do. *Deferred* leaves the TLS set-up and the handshake to the first call, in the first "
            "invocation (`DeferredTlsClient`); *at init* makes one call during init, so the connection is open when "
            "the first event comes.")
        add("")
        add("| | init ms | first invocation ms | init + first ms | warm median ms |")
        add("|---|---|---|---|---|")
        for name, r in (("deferred", deferred), ("at init", at_init)):
            add(f"| {name} | {fmt_ms(med(r, 'init_ms'))} | {fmt_ms(med(r, 'first_invocation_ms'))} | "
                f"{fmt_ms(med(r, 'init_plus_first_ms'))} | {fmt_ms(med(r, 'warm_median_ms'))} |")
        add("")
        cold_d, cold_i = med(deferred, "init_plus_first_ms"), med(at_init, "init_plus_first_ms")
        verdict = ("**Decision: keep deferring.**" if cold_i >= cold_d else
                   "**This run favours init, against the decision to defer: look again.**")
        add(f"{verdict} Opening the connection during init moves "
            f"{fmt_ms(med(at_init, 'init_ms') - med(deferred, 'init_ms'))} ms into init and takes "
            f"{fmt_ms(med(deferred, 'first_invocation_ms') - med(at_init, 'first_invocation_ms'))} ms off the first "
            f"invocation; a cold start costs {fmt_ms(cold_i)} ms in all against {fmt_ms(cold_d)} ms deferred: "
            "the work is only moved, plus one call made for nothing. Lambda bills a custom "
            "runtime's init as it bills the invocation, and a function that may answer without AWS (an Alexa fact, "
            "a help prompt) would pay the handshake on every cold start for nothing. Deferring is the better "
            "default; a function that always calls AWS at once gains nothing either way.")
        add("")
    add("## Every figure: min / median / max")
    add("")
    add(f"{base['runs']} process starts per row; warm figures are each start's median and p99 over its "
        f"{base['warm_per_run']} warm invocations.")
    add("")
    add("| row | init ms | first invocation ms | warm median ms | warm p99 ms | peak RSS MB | failed invocations |")
    add("|---|---|---|---|---|---|---|")
    for key in [("baseline", "ours")] + [(r, k) for r in ROWS for k in ("ours", "http", "peer")]:
        r = rows.get(key)
        if not r:
            continue
        cell = lambda k: f"{fmt_ms(r[k]['min'])} / {fmt_ms(r[k]['median'])} / {fmt_ms(r[k]['max'])}"  # noqa: E731
        if key[1] == "ours":
            label = key[0]
        elif key[1] == "http":
            label = f"{key[0]} over plain HTTP"
        else:
            label = f"{key[0]} peer ({PEERS[key[0]][0]})"
        add(f"| {label} | {cell('init_ms')} | {cell('first_invocation_ms')} | {cell('warm_median_ms')} | {cell('warm_p99_ms')} | "
            f"{r['peak_rss_mb']['min']:.1f} / {r['peak_rss_mb']['median']:.1f} / {r['peak_rss_mb']['max']:.1f} | {r.get('error_invocations', 0)} |")
    add("")
    extra = os.path.join(os.path.dirname(results), "extra.md")
    if os.path.exists(extra):
        lines.extend(open(extra).read().rstrip("\n").split("\n"))
        add("")
    notes = os.path.join(os.path.dirname(__file__), "notes.md")
    lines.extend(open(notes).read().rstrip("\n").split("\n"))
    add("")
    open(os.path.join(docs, "performance.md"), "w").write("\n".join(lines))

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    labels = [r for r, *_ in verdicts]
    x = range(len(labels))
    w = 0.38
    panels = [("init_plus_first_ms", "init + first invocation, ms (log)", "Cold start", "log"),
              ("peak_rss_mb", "peak RSS, MB", "Memory", "linear")]
    for ax, (key, ylabel, title, scale) in zip(axes, panels):
        ax.bar([i - w / 2 for i in x], [med(rows[(r, "ours")], key) for r in labels], w, label="ours (Rust)",
               color="#b7410e")
        ax.bar([i + w / 2 for i in x], [med(rows[(r, "peer")], key) for r in labels], w, label="peer (Python)",
               color="#3572a5")
        ax.axhline(med(base, key), color="gray", linestyle="--", label="baseline echo")
        ax.set_yscale(scale)
        ax.set_ylabel(ylabel)
        ax.set_xticks(list(x), labels)
        ax.set_title(title)
        ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(docs, "performance.png"), dpi=110)
    print("\n".join(lines[lines.index("## Summary (medians)"):lines.index("## Every figure: min / median / max")]))


if __name__ == "__main__":
    main()
