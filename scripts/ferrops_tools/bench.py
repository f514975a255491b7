"""scripts/bench's steps around the measurements.

  events DIR                         writes the events each function is measured with
  seed ENDPOINT SEED RUNS WARM       prepares the local AWS: the build instance, offline, and every
                                     pipeline job the measurements will send
  row LABEL KIND                     tags lambda-bench's result (stdin) with its row and kind
  extra DIR                          writes DIR/extra.md: the evaluator's figures and the latest
                                     story's per-action work
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import urllib.request
from pathlib import Path

from . import ROOT

FIXTURES = ROOT / "tests" / "fixtures"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def events(out: Path) -> None:
    """Real-shaped fixtures; {{id}} gives each pipeline job its own ID."""
    (out / "alexa.json").write_text(json.dumps(fixture("alexa/en-US/get-new-fact.json")))
    rule = fixture("config/sg-ssh-open.json")
    (out / "config.json").write_text(json.dumps(rule))
    # rdklib assumes the event's execution role unless told not to; ours does not, in one account.
    peer = dict(rule, ruleParameters=json.dumps({"rule": "incoming-ssh-disabled", "ASSUME_ROLE_MODE": "False"}))
    (out / "config-peer.json").write_text(json.dumps(peer))
    job = fixture("codepipeline-job.json")
    job["CodePipeline.job"]["id"] = "{{id}}"
    (out / "pipeline.json").write_text(json.dumps(job))


def job_ids(seed: int, count: int) -> list[str]:
    """The job IDs lambda-bench sends with `--id-seed SEED`, in its order."""
    return [f"{seed:08x}-{n % 0xffff:04x}-4{n % 0xfff:03x}-8{n % 0xfff:03x}-{n:012x}" for n in range(count)]


def seed(endpoint: str, first: int, runs: int, warm: int) -> None:
    """The build instance is registered with its agent offline, so commands are accepted and stay
    Pending, as on a real instance that is busy; every job exists, ours and the peer's apart."""
    region = os.environ.get("AWS_REGION", "us-east-1")

    def post(path: str, body: dict) -> None:
        req = urllib.request.Request(f"{endpoint}/_ferrops{path}", data=json.dumps(dict(body, region=region)).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        urllib.request.urlopen(req, timeout=120).close()

    job = fixture("codepipeline-job.json")["CodePipeline.job"]
    params = json.loads(job["data"]["actionConfiguration"]["configuration"]["UserParameters"])
    for iid in params["instanceIds"]:
        post("/instances", {"instanceId": iid, "tags": {}, "online": False})
    # Ours over HTTPS, the peer, and ours again over plain HTTP.
    for s in (first, first + 1, first + 2):
        post("/jobs", {"ids": job_ids(s, runs * (warm + 1)), "data": job["data"]})


def row(label: str, kind: str) -> None:
    result = json.load(sys.stdin)
    result["row"], result["kind"] = label, kind
    print(json.dumps(result))


def extra(out: str) -> None:
    lines = []
    if os.path.exists(f"{out}/evaluator.txt"):
        lines += ["## Rule evaluator", "", "`cargo bench -p config-rules` (release, one core), configuration items per second:", ""]
        lines += [f"- {line.strip()}" for line in open(f"{out}/evaluator.txt") if line.strip()]
        lines += ["", "`cargo test -p config-rules api_calls` (a periodic `ec2-instance-managed-by-ssm` run over 1,000 "
                  "resources, 500 of them managed; the test asserts each count):", ""]
        lines += [f"- {line.strip()}" for line in open(f"{out}/api-calls.txt") if line.strip()]
        lines.append("")
    stories = sorted(glob.glob("target/local-aws*/story.json"), key=os.path.getmtime)
    if stories:
        steps = json.load(open(stories[-1]))
        rows = next((s["data"]["overheads"] for s in steps if s["data"].get("overheads")), [])
        if rows:
            lines += ["## pipeline-runner work per action", "",
                      f"From the latest end-to-end run of the sample pipeline in the local AWS ({stories[-1]}, written by "
                      "`scripts/demo` or `scripts/test`): every action runs one command on the build instance. "
                      "*Invocations* counts the function's invocations (the first sends the command, each continuation "
                      "checks it once); *calls* are the AWS calls `pipeline-runner` made; *handler* is the mean time of "
                      "one invocation in the local Lambda (a debug build, so an upper bound); *overhead* is "
                      "the action's time beyond its command's run time, which here is set by the local AWS's delays "
                      "(1 s before a command is visible, 1 s before each re-invocation; CodePipeline's own wait between "
                      "continuations is longer).", "",
                      "| action | invocations | AWS calls | calls per invocation | handler ms per invocation | command s | action s | overhead s |",
                      "|---|---|---|---|---|---|---|---|"]
            for r in rows:
                lines.append(f"| {r['stage']}/{r['action']} | {r['invocations']} | {r['apiCalls']} ({', '.join(r['calls'])}) | "
                             f"{r['apiCalls'] / max(r['invocations'], 1):.1f} | {r['handlerMs']:.1f} | {r['command']:.2f} | "
                             f"{r['seconds']:.2f} | {r['overhead']:.2f} |")
            lines.append("")
    else:
        lines += ["## pipeline-runner work per action", "", "Run `scripts/demo` (or `scripts/test`) first: the figures come "
                  "from its end-to-end run of the sample pipeline.", ""]
    Path(f"{out}/extra.md").write_text("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("events").add_argument("dir", type=Path)
    p = sub.add_parser("seed")
    p.add_argument("endpoint")
    for name in ("seed", "runs", "warm"):
        p.add_argument(name, type=int)
    p = sub.add_parser("row")
    p.add_argument("label")
    p.add_argument("kind")
    sub.add_parser("extra").add_argument("dir")
    args = ap.parse_args()
    if args.command == "events":
        events(args.dir)
    elif args.command == "seed":
        seed(args.endpoint, args.seed, args.runs, args.warm)
    elif args.command == "row":
        row(args.label, args.kind)
    else:
        extra(args.dir)


if __name__ == "__main__":
    main()
