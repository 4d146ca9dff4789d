"""Tokens per second of forward+backward for the same Qwen3 shape in PyTorch (CPU).
Usage: python3 scripts/torch_bench.py WIDTH LAYERS SEQ VOCAB THREADS SECONDS"""

import sys
import time

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from torch_parity import forward  # noqa: E402


def tokens_per_second(step, seq, seconds):
    """Runs step() (forward and backward over seq tokens) for `seconds`; tokens per second."""
    done = 0
    start = time.perf_counter()
    while True:
        step()
        done += seq
        if time.perf_counter() - start >= seconds:
            break
    return done / (time.perf_counter() - start)


def shapes_for(width, layers, vocab):
    """The bench's model: 4 heads, 2 KV heads, MLP 3 x width, tied embeddings."""
    heads, kv = 4, 2
    head_dim = width // heads
    cfg = {
        "hidden_size": width,
        "num_attention_heads": heads,
        "num_key_value_heads": kv,
        "head_dim": head_dim,
        "num_hidden_layers": layers,
        "rms_norm_eps": 1e-6,
        "rope_theta": 1e6,
        "tie_word_embeddings": True,
    }
    ff = 3 * width
    shapes = {"model.embed_tokens.weight": (vocab, width), "model.norm.weight": (width,)}
    for i in range(layers):
        p = "model.layers.%d." % i
        shapes.update({
            p + "input_layernorm.weight": (width,),
            p + "post_attention_layernorm.weight": (width,),
            p + "self_attn.q_proj.weight": (heads * head_dim, width),
            p + "self_attn.k_proj.weight": (kv * head_dim, width),
            p + "self_attn.v_proj.weight": (kv * head_dim, width),
            p + "self_attn.o_proj.weight": (width, heads * head_dim),
            p + "self_attn.q_norm.weight": (head_dim,),
            p + "self_attn.k_norm.weight": (head_dim,),
            p + "mlp.gate_proj.weight": (ff, width),
            p + "mlp.up_proj.weight": (ff, width),
            p + "mlp.down_proj.weight": (width, ff),
        })
    return cfg, shapes


def main(width, layers, seq, vocab, threads, seconds):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg, shapes = shapes_for(width, layers, vocab)
    params = {k: (torch.randn(s) * 0.02).requires_grad_(True) for k, s in shapes.items()}
    tokens = torch.randint(0, vocab, (seq,))

    def step():
        logits = forward(cfg, params, tokens)
        loss = torch.nn.functional.cross_entropy(logits[:-1], tokens[1:])
        loss.backward()
        for t in params.values():
            t.grad = None

    print("%.1f" % tokens_per_second(step, seq, seconds))


if __name__ == "__main__":
    a = sys.argv[1:]
    main(int(a[0]), int(a[1]), int(a[2]), int(a[3]), int(a[4]), float(a[5]))
