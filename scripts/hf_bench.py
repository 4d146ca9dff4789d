"""Tokens per second of forward+backward for the bench's Qwen3 shape as users train it:
transformers' Qwen3ForCausalLM with SDPA attention (CPU, float32), optionally under
torch.compile. Prints the rate, or "unsupported: REASON" when compile cannot run here.
Usage: .venv/bin/python scripts/hf_bench.py WIDTH LAYERS SEQ VOCAB THREADS SECONDS [compile]"""

import sys

import torch
from transformers import Qwen3Config, Qwen3ForCausalLM

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from torch_bench import tokens_per_second  # noqa: E402


def main(width, layers, seq, vocab, threads, seconds, compiled):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = Qwen3Config(
        vocab_size=vocab,
        hidden_size=width,
        intermediate_size=3 * width,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=width // 4,
        rms_norm_eps=1e-6,
        rope_theta=1e6,
        tie_word_embeddings=True,
        max_position_embeddings=1024,
        attn_implementation="sdpa",
    )
    model = Qwen3ForCausalLM(cfg).float().train()
    tokens = torch.randint(0, vocab, (1, seq))
    forward = model
    if compiled:
        try:
            forward = torch.compile(model)
            forward(input_ids=tokens, labels=tokens).loss.backward()  # compile outside the timing
            model.zero_grad(set_to_none=True)
        except Exception as e:  # a CPU without a C++ toolchain, say
            print("unsupported: %s" % str(e).splitlines()[0][:120])
            return

    def step():
        forward(input_ids=tokens, labels=tokens).loss.backward()
        model.zero_grad(set_to_none=True)

    step()  # warm up the allocator and SDPA's kernel choice
    print("%.1f" % tokens_per_second(step, seq, seconds))


if __name__ == "__main__":
    a = sys.argv[1:]
    main(int(a[0]), int(a[1]), int(a[2]), int(a[3]), int(a[4]), float(a[5]), len(a) > 6 and a[6] == "compile")
