# Shared by scripts/test and the other scripts: the project venv and the local AWS emulator.
# Source it; it defines functions and sets nothing else.

FERROPS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FERROPS_VENV="${FERROPS_VENV:-$FERROPS_ROOT/.venv}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Creates or updates the venv when scripts/requirements.txt changed since the last install.
ensure_venv() {
  local req="$FERROPS_ROOT/scripts/requirements.txt" stamp="$FERROPS_VENV/.requirements.sha256" want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [ -x "$FERROPS_VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    export PATH="$FERROPS_VENV/bin:$PATH"
    return 0
  fi
  command -v python3 >/dev/null || die "python3 is required (Debian: apt-get install python3 python3-venv)"
  say "installing tools into $FERROPS_VENV (moto, cargo-lambda, zig, awscli, cfn-lint)"
  python3 -m venv "$FERROPS_VENV" || die "could not create a venv (Debian: apt-get install python3-venv)"
  "$FERROPS_VENV/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
  "$FERROPS_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
  export PATH="$FERROPS_VENV/bin:$PATH"
}

# The same for checkov, in its own venv because its pins clash with awscli's.
ensure_checkov() {
  local venv="${FERROPS_CHECKOV_VENV:-$FERROPS_ROOT/.venv-checkov}" req="$FERROPS_ROOT/scripts/requirements-checkov.txt" want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if ! [ -x "$venv/bin/checkov" ] || [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
    say "installing checkov into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    echo "$want" > "$venv/.requirements.sha256"
  fi
  CHECKOV="$venv/bin/checkov"
}

# The Lambda functions, and where their release arm64 zips go.
FUNCTIONS=(pipeline-runner config-rules compliance-notifier alexa-skill)
LAMBDA_DIR="target/lambda-arm64"

# Builds Lambda zips: cargo lambda build --release --arm64 for the given `-p NAME` arguments (all
# functions when none). Release arm64 builds share nothing with the debug builds, so they get a
# target directory of their own; that also keeps a build started from a test from waiting on the
# lock of the test run's own target directory.
build_lambdas() {
  local packages=("$@")
  if [ ${#packages[@]} -eq 0 ]; then
    for f in "${FUNCTIONS[@]}"; do packages+=(-p "$f"); done
  fi
  rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu ||
    rustup target add aarch64-unknown-linux-gnu
  CARGO_TARGET_DIR="$FERROPS_ROOT/target/lambda-build" \
    cargo lambda build --release --arm64 --output-format zip --lambda-dir "$FERROPS_ROOT/$LAMBDA_DIR" "${packages[@]}"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_http() { # url, seconds
  local url="$1" deadline=$((SECONDS + $2))
  until python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$url" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# Starts moto server on a free 127.0.0.1 port and points the AWS SDKs at it.
# Sets MOTO_PID and MOTO_ENDPOINT; stop_moto undoes it.
start_moto() {
  local port log
  port="$(free_port)"
  log="${FERROPS_LOG_DIR:-$FERROPS_ROOT/target}/moto-$port.log"
  mkdir -p "$(dirname "$log")"
  "$FERROPS_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  MOTO_PID=$!
  MOTO_ENDPOINT="http://127.0.0.1:$port"
  wait_http "$MOTO_ENDPOINT/moto-api/" 60 || { cat "$log" >&2; die "moto server did not start (log: $log)"; }
  export MOTO_ENDPOINT
  export AWS_ENDPOINT_URL="$MOTO_ENDPOINT"
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
  unset AWS_SESSION_TOKEN AWS_PROFILE
  export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_REGION:-us-east-1}"
  export AWS_EC2_METADATA_DISABLED=true
  say "moto server on $MOTO_ENDPOINT (pid $MOTO_PID, log $log)"
}

stop_moto() {
  if [ -n "${MOTO_PID:-}" ] && kill -0 "$MOTO_PID" 2>/dev/null; then
    kill "$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
  fi
  MOTO_PID=
}

wait_tcp() { # url, seconds
  python3 - "$1" "$2" <<'PY'
import socket, sys, time
host, port = sys.argv[1].rsplit("/", 1)[-1].split(":")
deadline = time.time() + float(sys.argv[2])
while time.time() < deadline:
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.3)
sys.exit(1)
PY
}

# The local AWS (tests/emulator): moto plus the operations it lacks, with functions served by
# `cargo lambda watch`. Sets LOCAL_AWS_ENDPOINT, LAMBDA_ENDPOINT and the AWS_* variables.
start_local_aws() {
  local state="${1:-$FERROPS_ROOT/target/local-aws}" log
  local aws_port lambda_port
  aws_port="$(free_port)"
  lambda_port="$(free_port)"
  log="${FERROPS_LOG_DIR:-$FERROPS_ROOT/target}/local-aws-$aws_port.log"
  mkdir -p "$(dirname "$log")" "$state"
  LOCAL_AWS_ENDPOINT="http://127.0.0.1:$aws_port"
  LAMBDA_ENDPOINT="http://127.0.0.1:$lambda_port"
  PYTHONPATH="$FERROPS_ROOT/tests/emulator" "$FERROPS_VENV/bin/python" -m ferrops_local \
    --port "$aws_port" --lambda-endpoint "$LAMBDA_ENDPOINT" --state-dir "$state" >"$log" 2>&1 &
  LOCAL_AWS_PID=$!
  wait_http "$LOCAL_AWS_ENDPOINT/_ferrops/health" 60 || { cat "$log" >&2; die "the local AWS did not start (log: $log)"; }
  export LOCAL_AWS_ENDPOINT LAMBDA_ENDPOINT
  export AWS_ENDPOINT_URL="$LOCAL_AWS_ENDPOINT"
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
  unset AWS_SESSION_TOKEN AWS_PROFILE
  export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_REGION:-us-east-1}"
  export AWS_EC2_METADATA_DISABLED=true
  LOCAL_AWS_LOG="$log"
  say "local AWS on $LOCAL_AWS_ENDPOINT (pid $LOCAL_AWS_PID, log $log)"
}

# Deploys the central stack and the sample pipeline into the local AWS.
deploy_local() { # stage
  local stage="$1" vpc subnet
  "$FERROPS_ROOT/scripts/deploy" --stage "$stage" --endpoint-url "$LOCAL_AWS_ENDPOINT" --yes
  vpc="$(aws ec2 describe-vpcs --filters Name=is-default,Values=true --query 'Vpcs[0].VpcId' --output text)"
  subnet="$(aws ec2 describe-subnets --filters "Name=vpc-id,Values=$vpc" --query 'Subnets[0].SubnetId' --output text)"
  "$FERROPS_ROOT/scripts/deploy" --stage "$stage" --endpoint-url "$LOCAL_AWS_ENDPOINT" \
    --template "$FERROPS_ROOT/infra/sample-pipeline.yaml" --param "VpcId=$vpc" --param "SubnetId=$subnet" --yes
}

# Starts `cargo lambda watch` with the environment the stage's functions were deployed with,
# after building the debug binaries it serves, so the first invocation does not wait for them.
start_watch() { # stage
  local stage="$1" env_file log f
  cargo build --locked $(printf -- '-p %s ' "${FUNCTIONS[@]}")
  env_file="$FERROPS_ROOT/target/watch-$stage.env"
  log="${FERROPS_LOG_DIR:-$FERROPS_ROOT/target}/cargo-lambda-watch.log"
  : >"$env_file"
  for f in "${FUNCTIONS[@]}"; do
    aws lambda get-function-configuration --function-name "ferrops-$stage-$f" \
      --query 'Environment.Variables' --output json
  done | python3 -c '
import json, sys
dec, text, env = json.JSONDecoder(), sys.stdin.read().strip(), {}
while text:
    obj, end = dec.raw_decode(text)
    text = text[end:].strip()
    for k, v in (obj or {}).items():
        if env.get(k, v) != v:
            sys.exit(f"the functions disagree on {k}; cargo lambda watch has one environment for all")
        env[k] = v
print("\n".join(f"{k}={v}" for k, v in sorted(env.items())))
' >"$env_file"
  cargo lambda watch -A 127.0.0.1 -P "${LAMBDA_ENDPOINT##*:}" --env-file "$env_file" >"$log" 2>&1 &
  WATCH_PID=$!
  wait_tcp "$LAMBDA_ENDPOINT" 120 || { tail -20 "$log" >&2; die "cargo lambda watch did not start (log: $log)"; }
  say "cargo lambda watch on $LAMBDA_ENDPOINT (pid $WATCH_PID, log $log)"
}

# A local stage from scratch: a fresh local AWS with its state in STATE_DIR, infra/ deployed into
# it, and cargo lambda watch serving the functions.
start_local_stage() { # stage state_dir
  rm -rf "$2"
  start_local_aws "$2"
  say "deploy infra/ into it (scripts/deploy --endpoint-url $LOCAL_AWS_ENDPOINT)"
  deploy_local "$1"
  start_watch "$1"
}

# Stops what start_local_aws and start_watch started, children included.
stop_local() {
  local pid
  for pid in "${WATCH_PID:-}" "${LOCAL_AWS_PID:-}"; do
    [ -n "$pid" ] || continue
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  WATCH_PID= LOCAL_AWS_PID=
}
