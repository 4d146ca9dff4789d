"""Our logits against transformers' on a model folder we wrote (an independent implementation).

    .venv/bin/python integrations/tests/hf_logits.py MODEL_DIR OURS.safetensors [TOLERANCE]

OURS.safetensors holds "tokens" [T] and our "logits" [T, V]. Passes when the largest absolute
difference is at most TOLERANCE (default 1e-4) times max(1, the largest logit).
"""

import sys

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM


def logits_parity(model_dir, ours_path, tolerance=1e-4):
    ours = load_file(ours_path)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    with torch.no_grad():
        theirs = model(ours["tokens"].long().unsqueeze(0)).logits[0]
    diff = (theirs - ours["logits"]).abs().max().item()
    scale = ours["logits"].abs().max().item()
    name = type(model).__name__
    print("%s: max abs diff %.3g (logits up to %.3g)" % (name, diff, scale))
    if diff > tolerance * max(1.0, scale):
        raise AssertionError("%s's logits differ from ours by %g" % (name, diff))
    return name


if __name__ == "__main__":
    logits_parity(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 1e-4)
