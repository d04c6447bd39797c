#!/usr/bin/env bash
# Apply, re-plan and destroy the production example's module against moto, a local AWS emulator.
#
# What it proves beyond `validate`: the module really applies (every API call it makes is accepted,
# every reference resolves), every output gets a value, a plan right after apply shows no changes
# (a perpetual diff is a template bug) except attributes moto does not round-trip (listed with reasons
# in accepted-gaps.txt), and destroy removes everything (checked through moto's API, resource by
# resource). Runs offline: moto comes from PyPI into a venv, the provider from the local mirror.
#
# Usage: tests/emulator/run.sh            (from anywhere; exits non-zero on any failure)
# Env:   HAGEN_BIN=path      use this hagen binary instead of `cargo run`
#        HAGEN_EMULATOR_KEEP=1  keep the provider in target/emulator/module/.terraform on success
#        HAGEN_EMULATOR_STEP_TIMEOUT=s  limit for each apply/plan/destroy (default 900)
#        HAGEN_EMULATOR_SPEC=path  another spec (default examples/production.yaml), e.g.
#                                  examples/ecs-rds.yaml or examples/ec2-dynamodb.yaml
#        HAGEN_EMULATOR_UPGRADE=1  upgrade mode: apply the last release's rendering of the
#                                  production example (tests/fixtures/v0.1.0/production) first,
#                                  render the current version over it and plan: no stateful
#                                  resource may be destroyed or replaced; then the usual apply,
#                                  re-plan, destroy and leftover checks on the upgraded module
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$ROOT/tests/emulator"
WORK="$ROOT/target/emulator"
VENV="$ROOT/target/emulator-venv"
MOTO_LOG="$WORK/moto.log"
SPEC="${HAGEN_EMULATOR_SPEC:-$ROOT/examples/production.yaml}"
SPEC="$(cd "$(dirname "$SPEC")" && pwd)/$(basename "$SPEC")"  # absolute: the render runs from $ROOT
# Absolute: the upgrade mode renders from inside the module folder.
if [ -n "${HAGEN_BIN:-}" ]; then HAGEN_BIN="$(cd "$(dirname "$HAGEN_BIN")" && pwd)/$(basename "$HAGEN_BIN")"; fi
UPGRADE_FROM=""
if [ -n "${HAGEN_EMULATOR_UPGRADE:-}" ]; then
  # The stored rendering is of examples/production.yaml: the current one renders over it.
  UPGRADE_FROM="$ROOT/tests/fixtures/v0.1.0/production"
  SPEC="$ROOT/examples/production.yaml"
fi
START=$(date +%s)

step() { printf '\n==> [emulator %3ss] %s\n' "$(($(date +%s) - START))" "$*"; }
fail() { printf '\nEMULATOR TEST FAILED: %s\n' "$*" >&2; exit 1; }

# --- Terraform or OpenTofu ---------------------------------------------------------------------
if command -v tofu >/dev/null 2>&1; then TF=tofu
elif command -v terraform >/dev/null 2>&1; then TF=terraform
else fail "neither tofu nor terraform is on PATH"; fi

# --- Python venv with a pinned moto (reused while the pins match) ----------------------------------
step "moto venv ($VENV)"
REQ="$HERE/requirements.txt"
if [ ! -x "$VENV/bin/python" ] || ! cmp -s "$REQ" "$VENV/.hagen-requirements.txt"; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ"
  cp "$REQ" "$VENV/.hagen-requirements.txt"
fi
PY="$VENV/bin/python"
# The verdicts below are only as good as check.py: pin its behaviour first (well under a second).
"$PY" "$HERE/test_check.py" -q 2>&1 | tail -n 3 || fail "check.py self-tests"

# --- Fresh work dir ----------------------------------------------------------------------------
rm -rf "$WORK"
mkdir -p "$WORK"
MODULE="$WORK/module"

# --- Offline provider mirror: our own CLI config, so neither ~/.terraformrc nor the network matter.
# The same directory serves both registries' addresses, because OpenTofu resolves hashicorp/aws to
# registry.opentofu.org while Terraform uses registry.terraform.io.
PROVIDER_BIN=""
for candidate in /opt/tf-plugins/registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws_*; do
  [ -e "$candidate" ] && PROVIDER_BIN=$candidate && break
done
if [ -z "$PROVIDER_BIN" ]; then
  PROVIDER_BIN=$(find / -name 'terraform-provider-aws_*' -type f -not -path '/proc/*' 2>/dev/null | head -n 1 || true)
fi
[ -n "$PROVIDER_BIN" ] || fail "no terraform-provider-aws binary found for the offline mirror"
PROVIDER_PLATFORM_DIR=$(dirname "$PROVIDER_BIN")           # .../aws/<version>/<os_arch>
PROVIDER_VERSION_DIR=$(dirname "$PROVIDER_PLATFORM_DIR")  # .../aws/<version>
MIRROR="$WORK/mirror"
for registry in registry.terraform.io registry.opentofu.org; do
  # Real directories with the binary linked in: Terraform does not follow a symlinked directory.
  dest="$MIRROR/$registry/hashicorp/aws/$(basename "$PROVIDER_VERSION_DIR")/$(basename "$PROVIDER_PLATFORM_DIR")"
  mkdir -p "$dest"
  ln -s "$PROVIDER_BIN" "$dest/"
done
cat >"$WORK/cli.tfrc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/hashicorp/aws", "registry.opentofu.org/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws", "registry.opentofu.org/hashicorp/aws"]
  }
}
EOF
export TF_CLI_CONFIG_FILE="$WORK/cli.tfrc"
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
# A full run takes about 4 minutes; a step hanging on provider retries (an API moto lacks) must
# still end well inside CI's limit.
TF_TIMEOUT=${HAGEN_EMULATOR_STEP_TIMEOUT:-900}

# Run one Terraform step with the step timeout, its output in LOG. moto's development server now
# and then closes a keep-alive connection the provider is about to reuse ("use of closed network
# connection", "connection reset by peer"); such a transport failure says nothing about the module,
# and apply/plan/destroy are idempotent, so a step that failed with only that is run once more.
# Any other failure (an API error, a missing attribute) fails at once.
TRANSPORT_ERROR='use of closed network connection|connection reset by peer|broken pipe|unexpected EOF|connection refused'
tf_step() {
  local log=$1
  shift
  if timeout "$TF_TIMEOUT" "$TF" "$@" >"$log" 2>&1; then
    return 0
  fi
  if grep -Eq "$TRANSPORT_ERROR" "$log" && kill -0 "$MOTO_PID" 2>/dev/null; then
    echo "  ($TF $1 failed on a dropped connection to moto, not on the module; running it once more)"
    mv "$log" "$log.first-attempt"
    timeout "$TF_TIMEOUT" "$TF" "$@" >"$log" 2>&1
    return
  fi
  return 1
}

# --- Render the production example ------------------------------------------------------------
render() {
  if [ -n "${HAGEN_BIN:-}" ]; then
    "$HAGEN_BIN" render "$SPEC" -o "$MODULE"
  else
    (cd "$ROOT" && cargo run --quiet -- render "$SPEC" -o "$MODULE")
  fi
}
if [ -n "$UPGRADE_FROM" ]; then
  step "upgrade mode: start from the stored v0.1.0 rendering ($UPGRADE_FROM)"
  cp -r "$UPGRADE_FROM" "$MODULE"
else
  step "render $(basename "$SPEC")"
  render
fi

# --- Start moto on a free port; stopped by PID whatever happens ---------------------------------
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ENDPOINT="http://127.0.0.1:$PORT"
MOTO_PID=""
SUCCESS=0
cleanup() {
  if [ -n "$MOTO_PID" ] && kill -0 "$MOTO_PID" 2>/dev/null; then
    kill "$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
  fi
  if [ "$SUCCESS" != 1 ]; then
    mkdir -p "$ROOT/target"
    cp -f "$MOTO_LOG" "$ROOT/target/emulator-moto.log" 2>/dev/null || true
    echo "moto log (last 60 lines; full log: target/emulator-moto.log, work files: target/emulator/):" >&2
    tail -n 60 "$MOTO_LOG" >&2 2>/dev/null || true
  elif [ -z "${HAGEN_EMULATOR_KEEP:-}" ]; then
    rm -rf "$MODULE/.terraform"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "start moto on $ENDPOINT"
# Without the managed policies, attaching an AWS managed policy (e.g. the SSM or Backup role policies)
# fails with NoSuchEntity.
MOTO_IAM_LOAD_MANAGED_POLICIES=true "$PY" "$HERE/server.py" -H 127.0.0.1 -p "$PORT" >"$MOTO_LOG" 2>&1 &
MOTO_PID=$!
for _ in $(seq 1 100); do
  if "$PY" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + '/moto-api/', timeout=1)" "$ENDPOINT" 2>/dev/null; then
    break
  fi
  kill -0 "$MOTO_PID" 2>/dev/null || fail "moto exited during start-up"
  sleep 0.2
done
kill -0 "$MOTO_PID" 2>/dev/null || fail "moto did not start"

# --- Overrides: provider pointed at moto, local state ------------------------------------------
"$PY" "$HERE/check.py" override "$MODULE" "$ENDPOINT" >"$MODULE/emulator_override.tf"
# Deletion protection and the final DB snapshot are right for production but would block the
# destroy step (or leave a snapshot behind); switch them off through the module's own variables.
cat >"$MODULE/emulator.auto.tfvars" <<'EOF'
alb_deletion_protection = false
db_deletion_protection  = false
db_skip_final_snapshot  = true
EOF
# The example's certificate lives in a real account; moto needs one it issued itself. Only when
# the spec has one: a spec without a certificate is tested as written, HTTP only.
if grep -Eq '^[[:space:]]*certificate_arn:' "$SPEC"; then
  CERTIFICATE_ARN=$("$PY" "$HERE/check.py" certificate "$MODULE" "$ENDPOINT")
  echo "certificate_arn         = \"$CERTIFICATE_ARN\"" >>"$MODULE/emulator.auto.tfvars"
fi
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
export AWS_EC2_METADATA_DISABLED=true

cd "$MODULE"
step "$TF init (offline mirror)"
"$TF" init -no-color -input=false >"$WORK/init.log" 2>&1 || { cat "$WORK/init.log"; fail "$TF init"; }

if [ -n "$UPGRADE_FROM" ]; then
  step "upgrade: $TF apply the v0.1.0 module"
  tf_step "$WORK/apply-v0.1.0.log" apply -no-color -input=false -auto-approve -parallelism=20 \
    || { tail -n 80 "$WORK/apply-v0.1.0.log"; fail "$TF apply of v0.1.0 (full log: target/emulator/apply-v0.1.0.log)"; }
  grep -E '^Apply complete' "$WORK/apply-v0.1.0.log" || true

  step "upgrade: render the current version over it"
  render
  # New resource types may need their endpoint too.
  "$PY" "$HERE/check.py" override "$MODULE" "$ENDPOINT" >"$MODULE/emulator_override.tf"
  "$TF" init -no-color -input=false >"$WORK/init-upgrade.log" 2>&1 || { cat "$WORK/init-upgrade.log"; fail "$TF init after the upgrade"; }

  step "upgrade: plan destroys or replaces no stateful resource"
  tf_step "$WORK/upgrade-plan.log" plan -no-color -input=false -out="$WORK/upgrade.tfplan" \
    || { tail -n 80 "$WORK/upgrade-plan.log"; fail "$TF plan of the upgrade"; }
  "$TF" show -json "$WORK/upgrade.tfplan" >"$WORK/upgrade-plan.json"
  "$PY" "$HERE/check.py" upgrade "$WORK/upgrade-plan.json" \
    || { echo "(plan text: target/emulator/upgrade-plan.log)"; fail "the upgrade would lose data"; }
fi

step "$TF apply"
tf_step "$WORK/apply.log" apply -no-color -input=false -auto-approve -parallelism=20 \
  || { tail -n 80 "$WORK/apply.log"; fail "$TF apply (full log: target/emulator/apply.log)"; }
grep -E '^Apply complete' "$WORK/apply.log" || true

step "every output has a value"
"$TF" output -json >"$WORK/outputs.json"
"$PY" "$HERE/check.py" outputs "$WORK/outputs.json" || fail "outputs without a value"
"$TF" show -json >"$WORK/applied-state.json"

step "re-plan: no changes except accepted emulator gaps"
tf_step "$WORK/replan.log" plan -no-color -input=false -out="$WORK/replan.tfplan" \
  || { tail -n 80 "$WORK/replan.log"; fail "$TF plan after apply"; }
"$TF" show -json "$WORK/replan.tfplan" >"$WORK/replan.json"
"$PY" "$HERE/check.py" replan "$WORK/replan.json" "$HERE/accepted-gaps.txt" \
  || { echo "(plan text: target/emulator/replan.log)"; fail "perpetual diff after apply"; }

step "$TF destroy"
tf_step "$WORK/destroy.log" destroy -no-color -input=false -auto-approve -parallelism=20 \
  || { tail -n 80 "$WORK/destroy.log"; fail "$TF destroy (full log: target/emulator/destroy.log)"; }
grep -E '^Destroy complete' "$WORK/destroy.log" || true

step "nothing left in the emulator"
"$PY" "$HERE/check.py" leftovers "$WORK/applied-state.json" "$ENDPOINT" || fail "resources left after destroy"

SUCCESS=1
step "PASSED: ${UPGRADE_FROM:+upgrade from v0.1.0 (no stateful resource lost), }apply, outputs, re-plan, destroy and leftover check on moto ($TF, $(basename "$SPEC"))"
