#!/usr/bin/env bash
# The one command that runs every Livret test, from a clean clone on a fresh Debian
# machine with Rust:
#
#   bash tests/run.sh
#
# It installs what the tests need when it is missing (Debian's chromium, Node.js and
# npm, libssl-dev and pkg-config for web-push's OpenSSL, the browser test's npm
# packages, poppler-utils for reading the PDF certificates back), then runs, stopping at
# the first failure:
#   cargo fmt --check
#   cargo clippy --all-targets --locked -- -D warnings
#   cargo test --locked                       (unit + integration tests)
#   cargo build --release --locked
#   the real-browser tests (headless Chromium, 390×844) against the release binary,
#   installability (CDP Page.getInstallabilityErrors) included
#
# As root (CI) it installs system packages with apt-get; as another user it uses sudo
# when available and otherwise stops, saying which package to install. A missing browser
# is always a failure, never a skip. Screenshots: tests/browser/artifacts/.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

BROWSER_DIR="tests/browser"
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
START=$SECONDS
STEP_START=$SECONDS
STEP_NAME=""
declare -a TIMINGS=()

step_done() {
  if [[ -n "$STEP_NAME" ]]; then
    TIMINGS+=("$(printf '%-62s %4ss' "$STEP_NAME" "$((SECONDS - STEP_START))")")
  fi
}

section() {
  step_done
  STEP_NAME="$1"
  STEP_START=$SECONDS
  printf '\n==== %s ====\n' "$1"
}

on_exit() {
  local rc=$? failed="$STEP_NAME"
  step_done
  STEP_NAME=""
  if ((${#TIMINGS[@]})); then
    printf '\n---- timings ----\n'
    printf '%s\n' "${TIMINGS[@]}"
  fi
  if ((rc == 0)); then
    printf '\nAll tests passed (%ss).\n' "$((SECONDS - START))"
  else
    printf '\nFAILED (exit %s) during: %s (%ss in all).\n' "$rc" "${failed:-setup}" "$((SECONDS - START))" >&2
  fi
}
trap on_exit EXIT

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Runs a command as root: directly when we are root, through sudo when it is there and
# usable, otherwise stops with what to install by hand.
as_root() {
  local pkgs="$1"
  shift
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    if [[ -t 0 ]] || sudo -n true 2>/dev/null; then
      sudo "$@"
    else
      die "root rights are needed to install $pkgs; run: sudo apt-get update && sudo apt-get install -y $pkgs"
    fi
  else
    die "$pkgs missing and this user is not root and has no sudo; ask an administrator to run: apt-get install -y $pkgs"
  fi
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 ||
    die "$* missing and this is not a Debian-like system (no apt-get): install $* by hand"
  printf 'Missing: %s; installing with apt-get\n' "$*"
  as_root "$*" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root "$*" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# ---------------------------------------------------------------------------------
section "Tools"
command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust (rustup) first"
missing=()
[[ -x "$CHROMIUM" ]] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# web-push's `ece` builds against OpenSSL: its headers and pkg-config must be there.
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --exists openssl 2>/dev/null || missing+=(libssl-dev)
# The PFMP certificate tests read the PDFs back (pdftotext) and render their first page
# (pdftoppm): Debian's poppler-utils.
{ command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1; } || missing+=(poppler-utils)
if ((${#missing[@]})); then
  apt_install "${missing[@]}"
fi
[[ -x "$CHROMIUM" ]] || die "$CHROMIUM still missing after installing chromium"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || die "Node.js $(node --version) is too old: the browser test needs Node.js 20 or later"
printf 'cargo:    %s\n' "$(cargo --version)"
printf 'node:     %s, npm %s\n' "$(node --version)" "$(npm --version)"
printf 'poppler:  %s\n' "$(pdftotext -v 2>&1 | head -n 1)"
printf 'chromium: %s\n' "$("$CHROMIUM" --version 2>/dev/null | tail -n 1)"

# npm ci only when node_modules is absent or the lock file changed since the last one.
section "Browser test packages (npm ci)"
stamp="$BROWSER_DIR/node_modules/.livret-lock.sha256"
lock_sum="$(sha256sum "$BROWSER_DIR/package-lock.json" | cut -d' ' -f1)"
if [[ -d "$BROWSER_DIR/node_modules" && -f "$stamp" && "$(cat "$stamp")" == "$lock_sum" ]]; then
  echo "node_modules up to date with package-lock.json"
else
  # No browser download: Debian's Chromium is the browser (playwright-core fetches none,
  # the variable guards against a future dependency that would try).
  (cd "$BROWSER_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  echo "$lock_sum" >"$stamp"
fi

# ---------------------------------------------------------------------------------
section "cargo fmt --check"
cargo fmt --all --check

section "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings

section "cargo test (unit + integration)"
cargo test --locked

section "cargo build --release"
cargo build --release --locked

section "Browser test: student writes, tutor reads (Chromium, 390×844)"
LIVRET_BIN="$REPO/target/release/livret" CHROMIUM_PATH="$CHROMIUM" \
  node "$BROWSER_DIR/student_logbook.mjs"
echo "Screenshots: $BROWSER_DIR/artifacts/student-logbook.png, $BROWSER_DIR/artifacts/tutor-logbook.png"

section "Browser test: school set up from scratch, tutor opens her link (Chromium, 390×844)"
LIVRET_BIN="$REPO/target/release/livret" CHROMIUM_PATH="$CHROMIUM" \
  node "$BROWSER_DIR/school_setup.mjs"
echo "Screenshots: $BROWSER_DIR/artifacts/{setup-form,import-preview,placement-form,placement-access,outbox-message,outbox-letter,tutor-home,tutor-link-locked}.png"

section "Browser test: installable app, manifest and icons (Chromium, persistent profile)"
LIVRET_BIN="$REPO/target/release/livret" CHROMIUM_PATH="$CHROMIUM" \
  node "$BROWSER_DIR/install.mjs"
echo "Screenshot: $BROWSER_DIR/artifacts/offline-page.png"

section "Browser test: offline logbook, outbox replayed exactly once, worker update (Chromium, 390×844)"
LIVRET_BIN="$REPO/target/release/livret" CHROMIUM_PATH="$CHROMIUM" \
  node "$BROWSER_DIR/offline_logbook.mjs"
echo "Screenshots: $BROWSER_DIR/artifacts/{offline-pending,offline-synced,offline-rejected,offline-sign-in}.png"

section "Browser test: company review finalised offline at the joint visit (Chromium, 390×844)"
LIVRET_BIN="$REPO/target/release/livret" CHROMIUM_PATH="$CHROMIUM" \
  node "$BROWSER_DIR/joint_visit.mjs"
echo "Screenshots: $BROWSER_DIR/artifacts/{joint-visit-pending,joint-visit-finalised}.png"

section "Browser test: attendance recorded and confirmed by the tutor, certificate downloaded (Chromium, 390×844)"
LIVRET_BIN="$REPO/target/release/livret" CHROMIUM_PATH="$CHROMIUM" \
  node "$BROWSER_DIR/attendance.mjs"
echo "Artefacts: $BROWSER_DIR/artifacts/{attendance-proposal,attendance-filled,attendance-refusal,attendance-reconfirm,attendance-confirmed,attendance-student,attestation-page1}.png, $BROWSER_DIR/artifacts/attestation.pdf"

section "Browser test: competency record — dashboard and interim reviews, axe-core, print (Chromium, 390×844 and 1280×800)"
LIVRET_BIN="$REPO/target/release/livret" CHROMIUM_PATH="$CHROMIUM" \
  node "$BROWSER_DIR/competency_record.mjs"
echo "Screenshots: $BROWSER_DIR/artifacts/{dashboard-390,dashboard-1280,review-390,review-1280}.png, $BROWSER_DIR/artifacts/dashboard-print.pdf"

section "Browser test: web push — subscribe, test notification, service worker push and click, key rotation, sign-out (Chromium, 390×844)"
LIVRET_BIN="$REPO/target/release/livret" CHROMIUM_PATH="$CHROMIUM" \
  node "$BROWSER_DIR/push.mjs"
echo "Screenshots: $BROWSER_DIR/artifacts/{push-settings-off,push-settings-on}.png"

section "Browser test: passkeys — invitation, passkey created, signed out, signed in with it, logbook entry (Chromium virtual authenticator, 390×844)"
LIVRET_BIN="$REPO/target/release/livret" CHROMIUM_PATH="$CHROMIUM" \
  node "$BROWSER_DIR/passkeys.mjs"
echo "Screenshots: $BROWSER_DIR/artifacts/{passkey-new,passkey-list,passkey-signin}.png"

section "Browser test: a tutor binds a passkey to her link, which then asks for it (Chromium virtual authenticator, 390×844)"
LIVRET_BIN="$REPO/target/release/livret" CHROMIUM_PATH="$CHROMIUM" \
  node "$BROWSER_DIR/tutor_passkey.mjs"
echo "Screenshots: $BROWSER_DIR/artifacts/{tutor-passkey-page,tutor-passkey-confirm}.png"
