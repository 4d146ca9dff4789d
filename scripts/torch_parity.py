"""PyTorch parity for the TypeScript Qwen3 engine.

Builds the Qwen3 decoder in plain PyTorch (written independently, after the Hugging Face
definition) from a model folder our engine saved, runs the same batch, and compares logits and
gradients with the ones our engine wrote. Usage:

    python3 scripts/torch_parity.py MODEL_DIR OURS.safetensors

OURS.safetensors holds "tokens" (int sequence as float), "weights" (per-position objective
weights), "logits" [T, V] and "grad.<param name>" for every parameter. Exit code 0 when every
relative error is <= 1e-4.
"""

import json
import math
import struct
import sys

import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        assert info["dtype"] == "F32", info["dtype"]
        t = torch.frombuffer(bytearray(data[start:end]), dtype=torch.float32).reshape(info["shape"])
        out[name] = t.clone()
    return out


def rms_norm(x, w, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return x * torch.rsqrt(var + eps) * w


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def forward(cfg, p, tokens):
    T = tokens.shape[0]
    C, H, KVH = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    D = cfg.get("head_dim", C // H)
    eps = cfg["rms_norm_eps"]
    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, D, 2, dtype=torch.float32) / D))
    pos = torch.arange(T, dtype=torch.float32)
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    x = p["model.embed_tokens.weight"][tokens]
    mask = torch.full((T, T), float("-inf")).triu(1)
    for i in range(cfg["num_hidden_layers"]):
        pre = "model.layers.%d." % i
        h = rms_norm(x, p[pre + "input_layernorm.weight"], eps)
        q = h @ p[pre + "self_attn.q_proj.weight"].T
        k = h @ p[pre + "self_attn.k_proj.weight"].T
        v = h @ p[pre + "self_attn.v_proj.weight"].T
        if pre + "self_attn.q_proj.bias" in p:  # Qwen2
            q = q + p[pre + "self_attn.q_proj.bias"]
            k = k + p[pre + "self_attn.k_proj.bias"]
            v = v + p[pre + "self_attn.v_proj.bias"]
        q, k, v = q.view(T, H, D), k.view(T, KVH, D), v.view(T, KVH, D)
        if pre + "self_attn.q_norm.weight" in p:  # Qwen3
            q = rms_norm(q, p[pre + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, p[pre + "self_attn.k_norm.weight"], eps)
        q = q * cos[:, None, :] + rotate_half(q) * sin[:, None, :]
        k = k * cos[:, None, :] + rotate_half(k) * sin[:, None, :]
        k = k.repeat_interleave(H // KVH, dim=1)
        v = v.repeat_interleave(H // KVH, dim=1)
        att = torch.einsum("thd,shd->hts", q, k) / math.sqrt(D) + mask
        att = att.softmax(-1)
        y = torch.einsum("hts,shd->thd", att, v).reshape(T, H * D)
        x = x + y @ p[pre + "self_attn.o_proj.weight"].T
        h = rms_norm(x, p[pre + "post_attention_layernorm.weight"], eps)
        g = h @ p[pre + "mlp.gate_proj.weight"].T
        u = h @ p[pre + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(g) * u) @ p[pre + "mlp.down_proj.weight"].T
    x = rms_norm(x, p["model.norm.weight"], eps)
    head = p["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else p["lm_head.weight"]
    return x @ head.T


def main(model_dir, ours_path):
    torch.manual_seed(0)
    cfg = json.load(open(model_dir + "/config.json"))
    params = read_safetensors(model_dir + "/model.safetensors")
    for t in params.values():
        t.requires_grad_(True)
    ours = read_safetensors(ours_path)
    tokens = ours["tokens"].long()
    weights = ours["weights"].double()
    logits = forward(cfg, params, tokens)
    logp = torch.log_softmax(logits.double(), dim=-1)
    T = tokens.shape[0]
    targets = torch.cat((tokens[1:], tokens[:1]))
    objective = (weights[: T - 1] * logp[torch.arange(T - 1), targets[: T - 1]]).sum()
    objective.backward()

    def rel(a, b):
        return (a.double() - b.double()).abs().max().item() / max(b.double().abs().max().item(), 1e-12)

    worst = rel(ours["logits"], logits.detach())
    print("logits: relative error %.2e" % worst)
    for name, t in params.items():
        g = t.grad if t.grad is not None else torch.zeros_like(t)
        e = rel(ours["grad." + name].reshape(g.shape), g)
        worst = max(worst, e)
        print("grad %s: relative error %.2e" % (name, e))
    print("max relative error %.2e" % worst)
    return 0 if worst <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
