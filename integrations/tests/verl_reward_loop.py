"""The real verl 0.9.1 on the CPU, through its own code: RewardLoopWorker loads
WzBRPORewardManager by reward.reward_manager.source=importlib, scores a batch that
balance_batch-style reordering and the reward loop's chunking have scattered over workers, and
verl's compute_advantage with algorithm.adv_estimator=brpo trains with those rewards unchanged.
Not run: the Ray trainer itself (it needs GPU workers); the calls below are the ones it makes
(verl/experimental/reward_loop/reward_loop.py: RewardLoopManager.compute_rm_score,
verl/trainer/ppo/ray_trainer.py: compute_advantage).

    .venv/bin/python integrations/tests/verl_reward_loop.py MODEL_DIR
"""

import asyncio
import os
import random
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MANAGER = os.path.join(ROOT, "integrations", "verl", "wz_verl_manager.py")
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402
from tensordict import TensorDict  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402
from verl import DataProto  # noqa: E402
from verl.experimental.reward_loop.reward_loop import RewardLoopWorker  # noqa: E402
from verl.protocol import pad_dataproto_to_divisor  # noqa: E402
from verl.trainer.ppo import core_algos  # noqa: E402
from verl.trainer.ppo.ray_trainer import compute_advantage  # noqa: E402
from verl.utils.import_utils import load_extern_object  # noqa: E402
from wz_service import check, start_service  # noqa: E402

N = 4
WORKERS = 4
PROMPTS = [
    "Write one sentence about rain. Use the word umbrella. Use at most 8 words.",
    "Write one sentence about bread. Use the word oven. Use at most 9 words.",
]
RESPONSES = [
    ["Rain drums on my umbrella.", "Rain.", "This response meets all the requirements.", "Grey rain falls on my umbrella."],
    ["The oven warms the bread.", "Bread.", "Warm bread leaves the oven at dawn.", "As an AI, here is bread."],
]



def config(model_dir, val_n=1, workers=WORKERS):
    return OmegaConf.create(
        {
            "data": {"train_batch_size": len(PROMPTS)},
            "actor_rollout_ref": {
                "model": {"path": model_dir, "tokenizer_path": None},
                "rollout": {"n": N, "val_kwargs": {"n": val_n}},
            },
            "reward": {
                "num_workers": workers,
                "custom_reward_function": {"path": None, "name": "compute_score"},
                "reward_manager": {"source": "importlib", "name": "WzBRPORewardManager", "module": {"path": MANAGER}},
                "reward_model": {"enable": False},
            },
        }
    )


def batch(tokenizer):
    """N rollouts per prompt, verl's layout: left-padded prompts, right-padded responses."""
    rows = []
    for prompt, responses in zip(PROMPTS, RESPONSES):
        uid = str(uuid.uuid4())
        chat = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True)
        p = tokenizer(chat, add_special_tokens=False)["input_ids"]
        for r in responses:
            rows.append((uid, p, tokenizer(r + "<|im_end|>", add_special_tokens=False)["input_ids"]))
    P = max(len(p) for _, p, _ in rows)
    R = max(len(r) for _, _, r in rows) + 2
    pad = tokenizer.pad_token_id
    prompts = torch.full((len(rows), P), pad)
    responses = torch.full((len(rows), R), pad)
    mask = torch.zeros((len(rows), P + R), dtype=torch.long)
    for i, (_, p, r) in enumerate(rows):
        prompts[i, P - len(p) :] = torch.tensor(p)
        responses[i, : len(r)] = torch.tensor(r)
        mask[i, P - len(p) : P + len(r)] = 1
    td = TensorDict(
        {
            "prompts": prompts,
            "responses": responses,
            "attention_mask": mask,
            "response_mask": mask[:, P:].clone(),
        },
        batch_size=len(rows),
    )
    return DataProto(batch=td, non_tensor_batch={"uid": np.array([u for u, _, _ in rows], dtype=object)})


def reward_loop(workers, data):
    """RewardLoopManager.compute_rm_score, without Ray: pad, chunk, score the chunks at once."""
    padded, pad_size = pad_dataproto_to_divisor(data, len(workers))
    chunks = padded.chunk(len(workers))
    loop = workers[0].loop
    outputs = loop.run_until_complete(asyncio.gather(*[w.compute_score_batch(c) for w, c in zip(workers, chunks)]))
    flat = [item for sub in outputs for item in sub]
    return flat[: len(data)] if pad_size else flat



def main():
    model_dir = sys.argv[1]
    tokenizer = AutoTokenizer.from_pretrained(model_dir)

    # Validation with verl's default n=1: neutral rewards, and no request (the URL is dead).
    os.environ["WZ_URL"] = "http://127.0.0.1:9"
    workers = [RewardLoopWorker(config(model_dir)) for _ in range(WORKERS)]
    check(type(workers[0].reward_manager).__name__ == "WzBRPORewardManager", "verl loaded %r" % workers[0].reward_manager)
    data = batch(tokenizer)
    data.meta_info["validate"] = True
    out = reward_loop(workers, data)
    check([o["reward_score"] for o in out] == [0.0] * len(data), "validation rewards %s" % out)
    check(all(o["reward_extra_info"]["wz_single"] == 1 for o in out), "validation groups not marked single")

    # A worker count that does not divide the batch (verl would pad it with copies) is refused.
    try:
        RewardLoopWorker(config(model_dir, workers=3))
        check(False, "3 reward workers for a batch of 8 were accepted")
    except ValueError as e:
        check("must divide" in str(e), str(e))

    # Loading the module again (verl may) registers nothing twice.
    first = core_algos.get_adv_estimator_fn("brpo")
    load_extern_object(module_path=MANAGER, object_name="WzBRPORewardManager")
    check(core_algos.get_adv_estimator_fn("brpo") is first, "brpo registered twice")

    server, url = start_service("--group-key", "label", "--group-size", "8", "--group-deadline", "60")
    os.environ["WZ_URL"] = url
    try:
        workers = [RewardLoopWorker(config(model_dir)) for _ in range(WORKERS)]
        data = batch(tokenizer)
        # balance_batch reorders samples before rewards; groups must survive any order.
        order = list(range(len(data)))
        random.Random(5).shuffle(order)
        data = data[order]
        data.meta_info["global_steps"] = 1
        out = reward_loop(workers, data)
    finally:
        server.terminate()
        server.wait(timeout=30)
    scores = [o["reward_score"] for o in out]
    uids = data.non_tensor_batch["uid"]
    for uid in set(uids):
        members = [i for i in range(len(data)) if uids[i] == uid]
        check(len(members) == N, "group %s has %d members" % (uid, len(members)))
        refs = [i for i in members if out[i]["reward_extra_info"]["wz_reference"] == 1]
        check(len(refs) == 1 and scores[refs[0]] == 0.0, "group %s: references %s, scores %s" % (uid, refs, scores))
        check(all(scores[i] in (-1.0, 0.0, 1.0) for i in members), "group %s scores %s" % (uid, scores))
    # The self-justifying and AI-disclaimer responses never beat the reference.
    for i in range(len(data)):
        text = tokenizer.decode(data.batch["responses"][i], skip_special_tokens=True)
        if "requirements" in text or "As an AI" in text:
            check(scores[i] <= 0.0, "%r got %s" % (text, scores[i]))

    # What verl trains with: rm_scores at each response's last token, then the brpo estimator.
    manager_cls = type(workers[0].reward_manager)
    data.batch["token_level_rewards"] = manager_cls.assemble_rm_scores(data, scores)
    brpo = compute_advantage(data, adv_estimator="brpo")
    mask = data.batch["response_mask"].float()
    expected = torch.tensor(scores).unsqueeze(1) * mask
    check(torch.equal(brpo.batch["advantages"], expected), "verl's brpo advantages are not the rewards on every token")
    grpo = compute_advantage(data, adv_estimator="grpo", norm_adv_by_std_in_grpo=False)
    moved = (grpo.batch["advantages"] - expected).abs().max().item()
    # A group whose rewards do not sum to zero is re-centred by stock GRPO: it must move them.
    by_group = {}
    for u, sc in zip(uids, scores):
        by_group.setdefault(u, []).append(sc)
    if any(abs(sum(v)) > 1e-9 for v in by_group.values()):
        check(moved > 1e-6, "stock grpo left uncentred groups unchanged: %s" % moved)
    print("verl: %d samples in %d groups over %d reward workers; brpo advantages = rewards exactly; stock grpo would move them by up to %.3f" % (len(data), len(set(uids)), WORKERS, moved))
    print("verl reward loop: ok")


if __name__ == "__main__":
    main()
