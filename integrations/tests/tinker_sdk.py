"""The official Tinker SDK (tinker on PyPI) against `wz tinker`, on a tiny model folder.

Run by test/tinker/sdk.test.ts, which starts the server and passes its URL, the model's name and
folder. Every check compares what came back through the SDK with an independent computation:
transformers on the same folder for the log-probabilities, numpy for each loss's formula, one
batch against the same batch in two calls for gradient accumulation, and a resumed client against
the uninterrupted one. Prints one JSON line of figures; any failed check raises.
"""

import json
import os
import sys

os.environ.setdefault("TINKER_TELEMETRY", "0")

import numpy as np  # noqa: E402
import tinker  # noqa: E402
import torch  # noqa: E402
from tinker import types  # noqa: E402
from transformers import AutoModelForCausalLM  # noqa: E402

BASE_URL, MODEL, FOLDER = sys.argv[1], sys.argv[2], sys.argv[3]
TEXTS = [
    "Write one sentence about rain. Rain falls on the quiet hill.",
    "Write about a lamp. The lamp glows by the window at night.",
    "Write one sentence about bread. Warm bread waits on the table.",
    "Describe the sea. The grey sea rolls under a low sky.",
    "Write about a cat. The cat sleeps in a patch of sun.",
    "Describe a road. The long road bends past the old farm.",
]

service = tinker.ServiceClient(base_url=BASE_URL, api_key="tml-wz-test")
figures = {"sdk_version": tinker.__version__}


def ready(x):
    """A client: tinker 0.38's create_* calls return futures of clients, older SDKs the clients."""
    return x.result() if hasattr(x, "result") and not hasattr(x, "forward") and not hasattr(x, "sample") else x


def lora_client(seed=3):
    return ready(service.create_lora_training_client(base_model=MODEL, rank=4, seed=seed))


first = lora_client()
tokenizer = first.get_tokenizer()  # from get_info's tokenizer_id: the local folder, no hub
sequences = [tokenizer.encode(t) for t in TEXTS]


def datum(ids, **inputs):
    loss_inputs = {"target_tokens": np.array(ids[1:], dtype=np.int64)}
    for k, v in inputs.items():
        loss_inputs[k] = np.asarray(v, dtype=np.float32)
    return types.Datum(model_input=types.ModelInput.from_ints(ids[:-1]), loss_fn_inputs=loss_inputs)


def sft_datum(ids, prompt=4):
    n = len(ids) - 1
    return datum(ids, weights=[0.0] * prompt + [1.0] * (n - prompt))


def logprobs_of(client, data):
    out = client.forward(data, "cross_entropy").result()
    return [o["logprobs"].to_numpy().astype(np.float64) for o in out.loss_fn_outputs]


# 1. forward: a fresh LoRA client (B = 0) is the base; its log-probabilities against transformers'.
hf = AutoModelForCausalLM.from_pretrained(FOLDER, torch_dtype=torch.float64)
hf.eval()
worst = 0.0
ours = logprobs_of(first, [sft_datum(ids) for ids in sequences])
for ids, lp in zip(sequences, ours):
    with torch.no_grad():
        logits = hf(torch.tensor([ids[:-1]])).logits[0]
    ref = torch.log_softmax(logits, -1).gather(1, torch.tensor(ids[1:])[:, None])[:, 0].numpy()
    assert lp.shape == ref.shape, (lp.shape, ref.shape)
    worst = max(worst, float(np.abs(lp - ref).max()))
assert worst < 1e-4, f"forward logprobs differ from transformers' by {worst}"
figures["forward_vs_transformers_max_abs"] = worst

# 2. each loss's value and its gradient, against the formulas on the returned log-probabilities.
ids = sequences[0]
n = len(ids) - 1
rng = np.random.default_rng(0)
weights = rng.normal(size=n)  # negative weights too: forward_backward_custom sends them
adv = rng.normal(size=n)
lp = ours[0]
out = first.forward([datum(ids, weights=weights)], "cross_entropy").result()
ce = -(weights.astype(np.float32).astype(np.float64) * lp).sum()
assert abs(out.metrics["loss:sum"] - ce) < 1e-4 * max(1, abs(ce)), (out.metrics, ce)
# importance sampling with q = p - 0.1: every ratio is e^0.1.
q = lp - 0.1
out = first.forward([datum(ids, logprobs=q, advantages=adv)], "importance_sampling").result()
ratio = np.exp(lp - q.astype(np.float32).astype(np.float64))
is_loss = -(ratio * adv.astype(np.float32)).sum()
assert abs(out.metrics["loss:sum"] - is_loss) < 1e-4 * max(1, abs(is_loss)), (out.metrics, is_loss)
# ppo: ratios spread over [0.5, 2], clipped to [0.8, 1.2] where that lowers the objective.
q = lp - np.log(np.linspace(0.5, 2.0, n))
out = first.forward([datum(ids, logprobs=q, advantages=adv)], "ppo").result()
ratio = np.exp(lp - q.astype(np.float32).astype(np.float64))
a32 = adv.astype(np.float32).astype(np.float64)
ppo = -np.minimum(ratio * a32, np.clip(ratio, 0.8, 1.2) * a32).sum()
assert abs(out.metrics["loss:sum"] - ppo) < 1e-4 * max(1, abs(ppo)), (out.metrics, ppo)
out = first.forward(
    [datum(ids, logprobs=q, advantages=adv)], "ppo", {"clip_low_threshold": 0.5, "clip_high_threshold": 1.5}
).result()
ppo_wide = -np.minimum(ratio * a32, np.clip(ratio, 0.5, 1.5) * a32).sum()
assert abs(out.metrics["loss:sum"] - ppo_wide) < 1e-4 * max(1, abs(ppo_wide)), (out.metrics, ppo_wide)
figures["losses"] = {"cross_entropy": ce, "importance_sampling": is_loss, "ppo": ppo, "ppo_wide": ppo_wide}

# Gradients: importance sampling at ratio 1 with advantages A is cross-entropy with weights A, so
# one step of each from the same start lands on the same weights; ppo with every ratio clipped
# against its advantage has no gradient, so a step leaves the model as it was.
sgd = types.AdamParams(learning_rate=1e-2)
a, b, c = lora_client(5), lora_client(5), lora_client(5)
a.forward_backward([datum(ids, weights=adv)], "cross_entropy").result()
b.forward_backward([datum(ids, logprobs=lp, advantages=adv)], "importance_sampling").result()
a.optim_step(sgd).result()
b.optim_step(sgd).result()
after_a, after_b = logprobs_of(a, [sft_datum(ids)])[0], logprobs_of(b, [sft_datum(ids)])[0]
moved = float(np.abs(after_a - lp).max())
assert moved > 1e-3, f"a step with lr 1e-2 moved the log-probabilities by only {moved}"
gap = float(np.abs(after_a - after_b).max())
assert gap < 1e-4, f"importance_sampling at ratio 1 and weighted cross_entropy differ by {gap}"
# ratios 2 with positive advantages (or 0.5 with negative): min() takes the constant clipped side.
signs = np.sign(adv)
q_far = lp - np.log(np.where(signs > 0, 2.0, 0.5))
before_c = logprobs_of(c, [sft_datum(ids)])[0]
c.forward_backward([datum(ids, logprobs=q_far, advantages=adv)], "ppo").result()
c.optim_step(sgd).result()
still = float(np.abs(logprobs_of(c, [sft_datum(ids)])[0] - before_c).max())
assert still == 0.0, f"a fully clipped ppo step moved the model by {still}"
figures["step_moved"] = moved
figures["is_vs_weighted_ce_after_step"] = gap
figures["clipped_ppo_step_moved"] = still

# 3. one forward_backward over the batch equals the batch in two calls (gradients accumulate).
batch = [sft_datum(s) for s in sequences]
whole, split = lora_client(7), lora_client(7)
whole.forward_backward(batch, "cross_entropy").result()
f1 = split.forward_backward(batch[:2], "cross_entropy")
f2 = split.forward_backward(batch[2:], "cross_entropy")
f1.result(), f2.result()
whole.optim_step(sgd).result()
split.optim_step(sgd).result()
lw, ls = logprobs_of(whole, batch), logprobs_of(split, batch)
gap = max(float(np.abs(x - y).max()) for x, y in zip(lw, ls))
assert gap < 1e-5, f"the batch in one call and in two differ by {gap} after a step"
figures["whole_vs_split_batch_after_step"] = gap

# 4. a supervised loop whose loss falls.
trainer = lora_client(11)
losses = []
adam = types.AdamParams(learning_rate=5e-3)
for step in range(12):
    fb = trainer.forward_backward(batch, "cross_entropy").result()
    trainer.optim_step(adam).result()
    tokens = sum(float(np.asarray(d.loss_fn_inputs["weights"].data).sum()) for d in batch)
    losses.append(fb.metrics["loss:sum"] / tokens)
assert losses[-1] < 0.8 * losses[0], f"the loss did not fall: {losses}"
figures["sft_loss_first_last"] = [losses[0], losses[-1]]

# 5. save_state with the optimizer, then a client resumed from it takes the same next step.
saved = trainer.save_state("after-12").result().path
assert saved.startswith("tinker://"), saved
resumed = ready(service.create_training_client_from_state_with_optimizer(saved))
for client in (trainer, resumed):
    client.forward_backward(batch, "cross_entropy").result()
    client.optim_step(adam).result()
gap = max(float(np.abs(x - y).max()) for x, y in zip(logprobs_of(trainer, batch), logprobs_of(resumed, batch)))
assert gap < 1e-6, f"the resumed client's next step differs by {gap}"
# Weights alone (a fresh Adam) take another step: the moments matter.
fresh = ready(service.create_training_client_from_state(saved))
fresh.forward_backward(batch, "cross_entropy").result()
fresh.optim_step(adam).result()
other = max(float(np.abs(x - y).max()) for x, y in zip(logprobs_of(fresh, batch), logprobs_of(resumed, batch)))
assert other > 1e-4, f"a fresh optimizer stepped like the restored one ({other})"
figures["resume_gap"] = gap
figures["fresh_optimizer_gap"] = other
figures["saved_path"] = saved

# 6. sampling through llama.cpp on the trained weights: seeded samples repeat, and each sampled
# token's log-probability is the training model's own.
sampler = ready(trainer.save_weights_and_get_sampling_client())
prompt = types.ModelInput.from_ints(tokenizer.encode("Write one sentence about rain."))
params = types.SamplingParams(max_tokens=12, seed=5, temperature=1.0)
r1 = sampler.sample(prompt, 3, params).result()
r2 = sampler.sample(prompt, 3, params).result()
r3 = sampler.sample(prompt, 3, types.SamplingParams(max_tokens=12, seed=6, temperature=1.0)).result()
toks = [list(s.tokens) for s in r1.sequences]
assert toks == [list(s.tokens) for s in r2.sequences], "the same seed sampled different tokens"
assert toks != [list(s.tokens) for s in r3.sequences], "another seed sampled the same tokens"
assert all(s.stop_reason in ("stop", "length") for s in r1.sequences)
assert any(len(t) == 12 and s.stop_reason == "length" for t, s in zip(toks, r1.sequences)) or all(
    s.stop_reason == "stop" for s in r1.sequences
)
worst = 0.0
p_ids = prompt.to_ints()
for s in r1.sequences:
    full = p_ids + list(s.tokens)
    lp_train = logprobs_of(trainer, [sft_datum(full, prompt=0)])[0][len(p_ids) - 1 :]
    worst = max(worst, float(np.abs(np.asarray(s.logprobs) - lp_train).max()))
assert worst < 1e-4, f"sampled tokens' logprobs differ from the training model's by {worst}"
prompt_lp = sampler.compute_logprobs(prompt).result()
assert prompt_lp[0] is None and len(prompt_lp) == len(p_ids)
lp_prompt = logprobs_of(trainer, [sft_datum(p_ids, prompt=0)])[0]
assert max(abs(a - b) for a, b in zip(prompt_lp[1:], lp_prompt)) < 1e-4
# A named sampler checkpoint, opened by path from the service client.
named = trainer.save_weights_for_sampler("final").result().path
again = service.create_sampling_client(model_path=named).sample(prompt, 3, params).result()
assert [list(s.tokens) for s in again.sequences] == toks, "the named checkpoint sampled otherwise"
figures["samples"] = [tokenizer.decode(t) for t in toks]
figures["sample_logprob_gap"] = worst
figures["sampler_path"] = named

# 7. refusals name what is not supported.
refusals = {}
try:
    first.forward([datum(ids, weights=weights)], "cispo").result()
except Exception as e:  # noqa: BLE001
    refusals["cispo"] = str(e)
try:  # a failed request poisons its client (the SDK's rule): a second client for the second refusal
    lora_client().forward([datum(ids, weights=weights)], "cross_entropy", {"temperature": 2.0}).result()
except Exception as e:  # noqa: BLE001
    refusals["config"] = str(e)
assert "cispo" in refusals.get("cispo", ""), refusals
assert "temperature" in refusals.get("config", ""), refusals
figures["refusals"] = refusals

print(json.dumps(figures))
