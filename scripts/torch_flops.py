"""FLOPs per token of forward+backward for the bench's Qwen3 shape, counted by PyTorch's
FlopCounterMode (an independent count for bench/machine-peak.ts; its attention is dense).
Usage: python3 scripts/torch_flops.py WIDTH LAYERS SEQ VOCAB"""

import sys

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from torch_bench import shapes_for  # noqa: E402
from torch_parity import forward  # noqa: E402


def main(width, layers, seq, vocab):
    cfg, shapes = shapes_for(width, layers, vocab)
    params = {k: (torch.randn(s) * 0.02).requires_grad_(True) for k, s in shapes.items()}
    tokens = torch.randint(0, vocab, (seq,))
    with FlopCounterMode(display=False) as counter:
        logits = forward(cfg, params, tokens)
        loss = torch.nn.functional.cross_entropy(logits[:-1], tokens[1:])
        loss.backward()
    print(counter.get_total_flops() / seq)


if __name__ == "__main__":
    main(*(int(x) for x in sys.argv[1:5]))
