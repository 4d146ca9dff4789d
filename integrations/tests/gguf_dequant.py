"""Our dequantised GGUF tensors against gguf-py's (llama.cpp's own Python package, `gguf` on PyPI),
an independent implementation of ggml's formats. Exact: both produce f32 from the same bits.

    .venv/bin/python integrations/tests/gguf_dequant.py FILE.gguf OURS.safetensors

OURS.safetensors holds tensors named as in the GGUF, shaped in PyTorch order (ggml dims reversed).
"""

import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize
from safetensors.numpy import load_file


def main(path, ours_path):
    ours = load_file(ours_path)
    reader = GGUFReader(path)
    by_name = {t.name: t for t in reader.tensors}
    kinds = {}
    for name, mine in ours.items():
        t = by_name[name]
        theirs = dequantize(t.data, t.tensor_type).astype(np.float32).reshape(mine.shape)
        if not np.array_equal(theirs, mine):
            bad = np.argwhere(theirs != mine)[0]
            raise AssertionError("%s (%s): ours %r, gguf-py %r at %s" % (name, t.tensor_type.name, mine[tuple(bad)], theirs[tuple(bad)], bad))
        kinds[t.tensor_type.name] = kinds.get(t.tensor_type.name, 0) + 1
    print("gguf-py agrees exactly on %s" % ", ".join("%d %s" % (n, k) for k, n in sorted(kinds.items())))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
