"""Our reward model against transformers' *ForSequenceClassification on the folder we wrote: the
rewards, the Bradley-Terry loss and its gradients; then transformers writes the folder back
(save_pretrained) for our loader to read.

    .venv/bin/python integrations/tests/hf_reward.py MODEL_DIR OURS.safetensors OUT_DIR

OURS.safetensors holds "chosen" and "rejected" token ids, our "rewards" [2], "loss" [1], and
"grad.<name>" for the parameters whose gradients to compare.
"""

import sys

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from transformers import AutoModelForSequenceClassification


def main(model_dir, ours_path, out_dir):
    ours = load_file(ours_path)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, dtype=torch.float32)
    name = type(model).__name__
    rc = model(ours["chosen"].long().unsqueeze(0)).logits[0, 0]
    rr = model(ours["rejected"].long().unsqueeze(0)).logits[0, 0]
    loss = -F.logsigmoid(rc - rr)
    loss.backward()
    theirs = torch.stack([rc, rr]).detach()
    diff = (theirs - ours["rewards"]).abs().max().item()
    print("%s: rewards %s vs ours %s (max abs diff %.3g)" % (name, theirs.tolist(), ours["rewards"].tolist(), diff))
    assert diff <= 1e-4 * max(1.0, theirs.abs().max().item()), "rewards differ"
    assert abs(loss.item() - ours["loss"].item()) <= 1e-5, "loss %g vs %g" % (loss.item(), ours["loss"].item())
    params = dict(model.named_parameters())
    worst = 0.0
    for key, g in ours.items():
        if not key.startswith("grad."):
            continue
        t = params[key[5:]].grad
        rel = (t - g).abs().max().item() / max(t.abs().max().item(), 1e-8)
        worst = max(worst, rel)
        assert rel <= 1e-3, "%s: relative gradient error %g" % (key[5:], rel)
    print("gradients: max relative error %.3g" % worst)
    model.save_pretrained(out_dir)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
