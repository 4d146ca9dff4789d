"""Half of a run before `wz tinker` is killed, or the rest after it restarts on the same state.

Usage: tinker_restart.py before|after URL MODEL [PATH]. `before` trains 3 steps, saves the state
with its optimizer, takes a 4th step and prints the path and the 4th step's log-probabilities;
`after` loads the path on the restarted server, takes the same 4th step and prints its own.
"""

import json
import os
import sys

os.environ.setdefault("TINKER_TELEMETRY", "0")
import numpy as np  # noqa: E402
import tinker  # noqa: E402
from tinker import types  # noqa: E402

mode, url, model = sys.argv[1:4]
service = tinker.ServiceClient(base_url=url, api_key="tml-wz-test")
texts = ["Write about rain. Rain falls on the hill.", "Describe a lamp. The lamp glows at night."]


def batch(tokenizer):
    out = []
    for t in texts:
        ids = tokenizer.encode(t)
        out.append(
            types.Datum(
                model_input=types.ModelInput.from_ints(ids[:-1]),
                loss_fn_inputs={"target_tokens": np.array(ids[1:], dtype=np.int64), "weights": np.ones(len(ids) - 1, dtype=np.float32)},
            )
        )
    return out


def step(client, data):
    client.forward_backward(data, "cross_entropy").result()
    client.optim_step(types.AdamParams(learning_rate=1e-2)).result()
    out = client.forward(data, "cross_entropy").result()
    return [o["logprobs"].to_numpy().tolist() for o in out.loss_fn_outputs]


if mode == "before":
    client = service.create_lora_training_client(base_model=model, rank=4, seed=2).result()
    data = batch(client.get_tokenizer())
    for _ in range(3):
        step(client, data)
    path = client.save_state("step-3").result().path
    print(json.dumps({"path": path, "logprobs": step(client, data)}))
else:
    client = service.create_training_client_from_state_with_optimizer(sys.argv[4]).result()
    print(json.dumps({"logprobs": step(client, batch(client.get_tokenizer()))}))
