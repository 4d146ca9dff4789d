"""The real TRL, end to end on the CPU: a tiny Qwen3 that our engine made and saved loads in
transformers with our logits, and WzBRPOTrainer trains it for a few steps with rewards from a real
`wz serve` through the shim, with exactly the service's BRPO advantages.

Run by test/integrations/trl-e2e.test.ts with the project's virtual environment:
    .venv/bin/python integrations/tests/trl_e2e.py MODEL_DIR OURS.safetensors
"""

import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "integrations"))
sys.path.insert(0, os.path.join(ROOT, "integrations", "trl"))

import torch  # noqa: E402
from datasets import Dataset  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402
from trl import GRPOConfig  # noqa: E402

import wz_trl  # noqa: E402
from hf_logits import logits_parity  # noqa: E402
from wz_service import check, start_service  # noqa: E402
from wz_trl_trainer import WzBRPOTrainer, brpo_advantages  # noqa: E402

GROUP = 4
PROMPTS = [
    "Write one sentence about rain. Use the word umbrella. Use at most 8 words.",
    "Write one sentence about the sea. Use the word harbor. Use at most 10 words.",
    "Write one sentence about bread. Use the word oven. Use at most 9 words.",
    "Write one sentence about snow. Use the word sled. Use at most 7 words.",
]




class Recorder:
    """The reward function as TRL sees it, keeping what the service returned; one sample of the
    second batch is masked (None), as a failed judgement would be."""

    __name__ = "wz_brpo_reward"

    def __init__(self, url):
        self.url = url
        self.batches = []

    def __call__(self, prompts, completions, **kwargs):
        rewards = wz_trl.wz_brpo_reward(prompts, completions, wz_url=self.url, **kwargs)
        if len(self.batches) == 1:
            rewards[1] = None
        self.batches.append(
            {
                "rewards": list(rewards),
                "groups": list(kwargs["wz_group"]),
                "completions": [tuple(c) for c in kwargs["completion_ids"]],
            }
        )
        return rewards


class Observed(WzBRPOTrainer):
    """Keeps the advantages TRL computed itself and the ones the loss is computed with."""

    trl_advantages = []
    trained_advantages = []

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        self.trl_advantages.append(self.stock_advantages.clone())
        return output

    def _compute_loss(self, model, inputs):
        # TRL shuffles a generation batch before the loss: keep each row's completion with it.
        completions = [
            tuple(ids[mask.bool()].tolist()) for ids, mask in zip(inputs["completion_ids"], inputs["completion_mask"])
        ]
        self.trained_advantages.append((completions, inputs["advantages"].detach().clone()))
        return super()._compute_loss(model, inputs)


def train_with_brpo(model_dir, url):
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    dataset = Dataset.from_list([{"prompt": [{"role": "user", "content": p}]} for p in PROMPTS])
    recorder = Recorder(url)
    out = tempfile.mkdtemp(prefix="wz-trl-")
    args = GRPOConfig(
        output_dir=out,
        num_generations=GROUP,
        per_device_train_batch_size=2 * GROUP,
        max_completion_length=12,
        max_steps=3,
        learning_rate=1e-3,
        beta=0.0,
        temperature=1.5,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        seed=3,
    )
    trainer = Observed(
        model=model, reward_funcs=[recorder], args=args, train_dataset=dataset, processing_class=tokenizer
    )
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainer.train()
    moved = sum((model.state_dict()[k] - v).abs().sum().item() for k, v in before.items())
    check(moved > 0, "the weights did not move")

    check(len(recorder.batches) == 3, "expected 3 reward calls, got %d" % len(recorder.batches))
    check(len(trainer.trained_advantages) == 3, "expected 3 loss calls")
    nonzero_mean_groups = 0
    for step, (batch, trl_adv, trained) in enumerate(
        zip(recorder.batches, trainer.trl_advantages, trainer.trained_advantages)
    ):
        rewards = batch["rewards"]
        # Match each trained row to the sample the service scored, by its completion's tokens.
        by_completion = {}
        for completion, r in zip(batch["completions"], rewards):
            by_completion.setdefault(completion, []).append(0.0 if r is None else r)
        trained_completions, trained_adv = trained
        got = {}
        for completion, a in zip(trained_completions, trained_adv.tolist()):
            got.setdefault(completion, []).append(a)
        check(
            {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in by_completion.items()},
            "step %d: trained with %s, the service's BRPO advantages are %s" % (step, got, by_completion),
        )
        # Groups are whole blocks of GROUP samples, each with its own name.
        names = batch["groups"]
        check(len(set(names)) == len(names) // GROUP, "step %d: group names %s" % (step, names))
        # What stock GRPOTrainer (scale_rewards="group", its default) would have trained with,
        # written out from its documentation: (reward - group mean) / (group std + 1e-4).
        r = torch.tensor([float("nan") if x is None else x for x in rewards]).view(-1, GROUP)
        means = torch.nanmean(r, dim=1, keepdim=True)
        count = (~torch.isnan(r)).sum(dim=1, keepdim=True)
        std = torch.sqrt(torch.nansum((r - means) ** 2, dim=1, keepdim=True) / (count - 1))
        stock = torch.nan_to_num(((r - means) / (std + 1e-4)).view(-1), nan=0.0)
        check(
            torch.allclose(trl_adv, stock, atol=1e-5),
            "step %d: TRL's own advantages %s are not its documented %s" % (step, trl_adv.tolist(), stock.tolist()),
        )
        nonzero_mean_groups += int((means.abs() > 1e-6).sum().item())
        for g in range(len(rewards) // GROUP):
            scored = [x for x in rewards[g * GROUP : (g + 1) * GROUP] if x is not None]
            check(0.0 in scored or len(scored) < GROUP, "step %d group %d has no reference: %s" % (step, g, scored))
    check(recorder.batches[1]["rewards"][1] is None, "the masked sample was not None")
    masked = recorder.batches[1]["completions"][1]
    completions, advantages = trainer.trained_advantages[1]
    check(
        all(a == 0.0 for c, a in zip(completions, advantages.tolist()) if c == masked),
        "the masked sample's advantage is not 0",
    )
    # With groups of 4 the three members besides the reference score +1 or -1: an odd sum, so every
    # group that was neither dropped nor masked has a nonzero mean.
    check(nonzero_mean_groups > 0, "no group had a nonzero mean: the comparison with stock GRPO shows nothing")
    print("BRPO advantages used as they are in 3 steps; %d groups had a nonzero mean that stock GRPO would have removed" % nonzero_mean_groups)


def main():
    model_dir, ours = sys.argv[1], sys.argv[2]
    name = logits_parity(model_dir, ours)
    check(name == "Qwen3ForCausalLM", "loaded as %s" % name)
    check(
        brpo_advantages(torch.tensor([[1.0], [0.0], [float("nan")], [-1.0]]), torch.tensor([1.0])).tolist()
        == [1.0, 0.0, 0.0, -1.0],
        "brpo_advantages",
    )
    server, url = start_service()
    try:
        train_with_brpo(model_dir, url)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("trl e2e: ok")


if __name__ == "__main__":
    main()
