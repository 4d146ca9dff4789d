"""FLOPs per token of forward+backward for our Qwen3 shape, counted by PyTorch's FlopCounterMode.
Usage: python3 scripts/torch_flops.py WIDTH LAYERS SEQ VOCAB"""
import sys

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from torch_parity import forward
from torch.utils.flop_counter import FlopCounterMode
width, layers, seq, vocab = (int(x) for x in sys.argv[1:5])
heads, kv = 4, 2; hd = width // heads; ff = 3 * width
cfg = {"hidden_size": width, "num_attention_heads": heads, "num_key_value_heads": kv, "head_dim": hd,
       "num_hidden_layers": layers, "rms_norm_eps": 1e-6, "rope_theta": 1e6, "tie_word_embeddings": True}
shapes = {"model.embed_tokens.weight": (vocab, width), "model.norm.weight": (width,)}
for i in range(layers):
    p = "model.layers.%d." % i
    shapes.update({p+"input_layernorm.weight": (width,), p+"post_attention_layernorm.weight": (width,),
        p+"self_attn.q_proj.weight": (heads*hd, width), p+"self_attn.k_proj.weight": (kv*hd, width),
        p+"self_attn.v_proj.weight": (kv*hd, width), p+"self_attn.o_proj.weight": (width, heads*hd),
        p+"self_attn.q_norm.weight": (hd,), p+"self_attn.k_norm.weight": (hd,),
        p+"mlp.gate_proj.weight": (ff, width), p+"mlp.up_proj.weight": (ff, width), p+"mlp.down_proj.weight": (width, ff)})
params = {k: (torch.randn(s) * 0.02).requires_grad_(True) for k, s in shapes.items()}
tokens = torch.randint(0, vocab, (seq,))
with FlopCounterMode(display=False) as fc:
    logits = forward(cfg, params, tokens)
    loss = torch.nn.functional.cross_entropy(logits[:-1], tokens[1:])
    loss.backward()
print(fc.get_total_flops() / seq)
