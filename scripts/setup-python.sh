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
.venv/bin/python -c 'import torch, transformers, trl, verl; print("python env: torch", torch.__version__, "| transformers", transformers.__version__, "| trl", trl.__version__, "| verl", verl.__version__)'
