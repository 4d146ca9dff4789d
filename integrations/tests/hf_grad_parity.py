"""Our logits and gradients against transformers' own model class (Qwen3ForCausalLM,
Qwen2ForCausalLM) on a model folder our engine saved: the model users train, not a re-written one.

    .venv/bin/python integrations/tests/hf_grad_parity.py MODEL_DIR OURS.safetensors

OURS.safetensors is what test/model/torch-parity.test.ts writes: "tokens", "weights" (per-position
weights of the objective sum_t w_t log p(token_{t+1})), "logits" and "grad.<name>". Exit 0 when
every relative error is <= 1e-4.
"""

import sys

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM


def main(model_dir, ours_path):
    ours = load_file(ours_path)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager")
    model.train()  # no dropout in these configs; gradients on
    tokens = ours["tokens"].long()
    T = tokens.shape[0]
    logits = model(tokens.unsqueeze(0)).logits[0]
    logp = torch.log_softmax(logits.double(), dim=-1)
    objective = (ours["weights"].double()[: T - 1] * logp[torch.arange(T - 1), tokens[1:]]).sum()
    objective.backward()

    def rel(a, b):
        return (a.double() - b.double()).abs().max().item() / max(b.double().abs().max().item(), 1e-12)

    worst = rel(ours["logits"], logits.detach())
    print("%s logits: relative error %.2e" % (type(model).__name__, worst))
    seen = 0
    for name, p in model.named_parameters():
        key = "grad." + name
        if key not in ours:
            continue
        seen += 1
        e = rel(ours[key].reshape(p.grad.shape), p.grad)
        worst = max(worst, e)
    if seen == 0:
        raise AssertionError("no parameter of %s matched our gradients by name" % type(model).__name__)
    print("%s: %d parameters compared, max relative error %.2e" % (type(model).__name__, seen, worst))
    return 0 if worst <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
