# Shared by scripts/test and the other scripts: the venvs, the local AWS and a local stage on it.
# Source it; it defines functions and a few names (FUNCTIONS, LAMBDA_DIR ...) and starts nothing.

FERROPS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FERROPS_VENV="${FERROPS_VENV:-$FERROPS_ROOT/.venv}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Creates the venv DIR from the requirements file REQ, or refreshes it when REQ changed since its
# last install (the install leaves REQ's hash in DIR).
venv_for() { # dir requirements
  local venv="$1" req="$2" want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" = "$want" ] && return 0
  command -v python3 >/dev/null || die "python3 is required (Debian: apt-get install python3 python3-venv)"
  say "installing ${req#"$FERROPS_ROOT"/} into $venv"
  python3 -m venv "$venv" || die "could not create a venv (Debian: apt-get install python3-venv)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$venv/.requirements.sha256"
}

# The project venv (moto, cargo-lambda, zig, awscli, cfn-lint), first on PATH.
ensure_venv() {
  venv_for "$FERROPS_VENV" "$FERROPS_ROOT/scripts/requirements.txt"
  export PATH="$FERROPS_VENV/bin:$PATH"
}

# checkov, in a venv of its own because its pins clash with awscli's. Sets CHECKOV.
ensure_checkov() {
  local venv="${FERROPS_CHECKOV_VENV:-$FERROPS_ROOT/.venv-checkov}"
  venv_for "$venv" "$FERROPS_ROOT/scripts/requirements-checkov.txt"
  CHECKOV="$venv/bin/checkov"
}

# Runs one of the scripts' Python steps, scripts/ferrops_tools/MODULE.py, with the project venv.
tool() { # module args...
  PYTHONPATH="$FERROPS_ROOT/scripts${PYTHONPATH:+:$PYTHONPATH}" "$FERROPS_VENV/bin/python" -m "ferrops_tools.$1" "${@:2}"
}

# The Lambda functions: every crate under functions/ (the local AWS reads the same list), and
# where their release arm64 zips go.
FUNCTIONS=()
for _f in "$FERROPS_ROOT"/functions/*/Cargo.toml; do FUNCTIONS+=("$(basename "$(dirname "$_f")")"); done
unset _f
LAMBDA_DIR="target/lambda-arm64"
# Where the builds of the functions for this machine go, which a local stage deploys and runs.
HOST_LAMBDA_DIR="target/lambda-host"

# Builds Lambda zips: cargo lambda build --release --arm64 for the given `-p NAME` arguments (all
# functions when none). Release arm64 builds share nothing with the debug builds, so they get a
# target directory of their own; that also keeps a build started from a test from waiting on the
# lock of the test run's own target directory. Shows one line per phase of the build; its whole
# output goes to target/build-arm64.log.
build_lambdas() {
  local packages=("$@")
  if [ ${#packages[@]} -eq 0 ]; then
    for f in "${FUNCTIONS[@]}"; do packages+=(-p "$f"); done
  fi
  rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu ||
    rustup target add aarch64-unknown-linux-gnu
  CARGO_TARGET_DIR="$FERROPS_ROOT/target/lambda-build" \
    cargo lambda build --release --arm64 --output-format zip --lambda-dir "$FERROPS_ROOT/$LAMBDA_DIR" "${packages[@]}" 2>&1 |
    tool progress "$FERROPS_ROOT/target/build-arm64.log" --target aarch64-unknown-linux-gnu "${packages[@]}"
  return "${PIPESTATUS[0]}" # the build's status, with or without the caller's pipefail
}

# Builds the functions for this machine and zips each binary as `bootstrap`, the way Lambda's
# provided.al2023 runtime wants it, for the local AWS to run. A debug build: it shares its
# dependencies with cargo test's, so a local stage costs a link, not another optimised build.
# Shows one line per phase of the build; its whole output goes to target/build-host.log.
build_host_lambdas() { # -p NAME ...
  local packages=("$@") f built
  if [ ${#packages[@]} -eq 0 ]; then
    for f in "${FUNCTIONS[@]}"; do packages+=(-p "$f"); done
  fi
  cargo build --locked "${packages[@]}" 2>&1 | tool progress "$FERROPS_ROOT/target/build-host.log" "${packages[@]}"
  built=${PIPESTATUS[0]} # the build's status, with or without the caller's pipefail
  [ "$built" -eq 0 ] || return "$built"
  for f in "${FUNCTIONS[@]}"; do
    [ -x "$FERROPS_ROOT/target/debug/$f" ] || continue
    tool package zip-bootstrap "$FERROPS_ROOT/target/debug/$f" "$FERROPS_ROOT/$HOST_LAMBDA_DIR/$f/bootstrap.zip"
  done
}

# The Lambda architecture name of this machine.
host_arch() {
  case "$(uname -m)" in
    x86_64) echo x86_64 ;;
    aarch64|arm64) echo arm64 ;;
    *) die "Lambda has no architecture for $(uname -m)" ;;
  esac
}

# The AWS target deploy and destroy work on, from their options (ENDPOINT, PROFILE, REGION):
# the region falls back to the environment's, then the AWS CLI's. `aws_` runs the CLI on it.
aws_target() {
  if [ -z "$REGION" ]; then
    REGION=${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws ${PROFILE:+--profile "$PROFILE"} configure get region 2>/dev/null || true)}}
  fi
  [ -n "$REGION" ] || die "no region: pass --region, or set AWS_REGION"
  # `cloudformation package` uploads through its own S3 client, which only the environment reaches.
  if [ -n "$ENDPOINT" ]; then export AWS_ENDPOINT_URL="$ENDPOINT"; fi
}
aws_() {
  local args=()
  [ -n "$ENDPOINT" ] && args+=(--endpoint-url "$ENDPOINT")
  [ -n "$PROFILE" ] && args+=(--profile "$PROFILE")
  [ -n "$REGION" ] && args+=(--region "$REGION")
  aws "${args[@]}" "$@"
}

# The AWS environment of everything that talks to the local AWS (the SDKs, the CLI, our tests and
# functions): its endpoint and test credentials, so nothing reaches a real account.
# Over HTTPS, the local AWS's CA is trusted through SSL_CERT_FILE (rustls) and AWS_CA_BUNDLE (botocore).
LOCAL_AWS_VARS=(AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_DEFAULT_REGION
  AWS_EC2_METADATA_DISABLED SSL_CERT_FILE AWS_CA_BUNDLE)
use_local_aws() { # endpoint [ca_bundle]
  export AWS_ENDPOINT_URL="$1" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
  if [ -n "${2:-}" ]; then export SSL_CERT_FILE="$2" AWS_CA_BUNDLE="$2"; else unset SSL_CERT_FILE AWS_CA_BUNDLE; fi
  unset AWS_SESSION_TOKEN AWS_PROFILE
  export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_REGION:-us-east-1}"
  export AWS_EC2_METADATA_DISABLED=true
}

# The local AWS (tests/emulator): moto plus the operations it lacks, Lambda's Invoke included,
# which runs each deployed function's own zip. It serves AWS over HTTPS (LOCAL_AWS_ENDPOINT),
# with a CA it makes at start, and its control API (/_ferrops/, /moto-api/) over plain HTTP too
# (LOCAL_AWS_CONTROL). Keeps its state in STATE_DIR. Sets those two and the AWS environment.
start_local_aws() { # [state_dir]
  local state="${1:-$FERROPS_ROOT/target/local-aws}" log port tls_port
  read -r port tls_port <<<"$(tool local free-port 2)"
  log="${FERROPS_LOG_DIR:-$FERROPS_ROOT/target}/local-aws-$port.log"
  mkdir -p "$(dirname "$log")" "$state"
  LOCAL_AWS_CONTROL="http://127.0.0.1:$port"
  LOCAL_AWS_ENDPOINT="https://127.0.0.1:$tls_port"
  PYTHONPATH="$FERROPS_ROOT/tests/emulator" "$FERROPS_VENV/bin/python" -m ferrops_local \
    --port "$port" --tls-port "$tls_port" --state-dir "$state" >"$log" 2>&1 &
  LOCAL_AWS_PID=$!
  tool local wait-http "$LOCAL_AWS_CONTROL/_ferrops/health" 60 ||
    { cat "$log" >&2; die "the local AWS did not start (log: $log)"; }
  export LOCAL_AWS_ENDPOINT LOCAL_AWS_CONTROL
  # The bundle (public roots plus the local CA): cargo, rustup and pip run in this shell too.
  use_local_aws "$LOCAL_AWS_ENDPOINT" "$(cd "$state" && pwd)/tls/bundle.pem"
  LOCAL_AWS_LOG="$log"
  say "local AWS on $LOCAL_AWS_ENDPOINT (pid $LOCAL_AWS_PID, log $log)"
}

# A local stage on the running local AWS: the central stack, with this machine's builds of the
# functions (scripts/deploy --arch host), and the sample pipeline.
deploy_local_stage() { # stage
  local stage="$1" vpc subnet
  say "deploy infra/ into it (scripts/deploy --endpoint-url $LOCAL_AWS_ENDPOINT --arch host)"
  "$FERROPS_ROOT/scripts/deploy" --stage "$stage" --endpoint-url "$LOCAL_AWS_ENDPOINT" --arch host --yes
  vpc="$(aws ec2 describe-vpcs --filters Name=is-default,Values=true --query 'Vpcs[0].VpcId' --output text)"
  subnet="$(aws ec2 describe-subnets --filters "Name=vpc-id,Values=$vpc" --query 'Subnets[0].SubnetId' --output text)"
  "$FERROPS_ROOT/scripts/deploy" --stage "$stage" --endpoint-url "$LOCAL_AWS_ENDPOINT" \
    --template "$FERROPS_ROOT/infra/sample-pipeline.yaml" --param "VpcId=$vpc" --param "SubnetId=$subnet" --yes
}

# A local stage from scratch: a fresh local AWS with its state in STATE_DIR, and the stage on it.
start_local_stage() { # stage state_dir
  rm -rf "$2"
  start_local_aws "$2"
  deploy_local_stage "$1"
}

# Stops what start_local_aws started, the functions' processes included.
stop_local() {
  local pid="${LOCAL_AWS_PID:-}"
  [ -n "$pid" ] || return 0
  pkill -TERM -P "$pid" 2>/dev/null || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  LOCAL_AWS_PID=
}
