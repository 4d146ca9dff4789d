"""Forward+backward tokens/s of a Hugging Face causal LM folder in PyTorch on the CPU: the peer of
bench/real.ts (the same imported model, the same token sequence length).

    .venv/bin/python scripts/torch_real_bench.py MODEL_DIR SEQ THREADS SECONDS
"""

import sys

import torch
from transformers import AutoModelForCausalLM

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from torch_bench import tokens_per_second  # noqa: E402


def main(model_dir, seq, threads, seconds):
    torch.set_num_threads(threads)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model.train()
    vocab = model.config.vocab_size
    tokens = torch.tensor([[(i * 97) % vocab for i in range(seq)]])
    def step():
        out = model(tokens, labels=tokens)
        out.loss.backward()
        model.zero_grad(set_to_none=True)

    print("%.1f" % tokens_per_second(step, seq, seconds))


if __name__ == "__main__":
    a = sys.argv[1:]
    main(a[0], int(a[1]), int(a[2]), float(a[3]))
