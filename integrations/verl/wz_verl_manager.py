"""writing-zero BRPO in verl's reward loop: a reward manager verl loads by itself, and the "brpo"
advantage estimator. Checked against verl 0.9.1 (PyPI, 2026-09); see integrations/verl/README.md.

    reward.reward_manager.source=importlib
    reward.reward_manager.module.path=integrations/verl/wz_verl_manager.py
    reward.reward_manager.name=WzBRPORewardManager
    algorithm.adv_estimator=brpo

and a reward service grouping by label: `wz serve --group-key label --group-size N`.

verl's reward loop scores one sample per call (run_single), spread over reward workers, after
trainer.balance_batch may have reordered the batch. So this manager sends each sample on its own
to the service's group barrier (/get_reward), labelled with the sample's `uid` (verl gives every
rollout of one prompt the same uid) and its group size: the barrier gathers the group whatever
the order and the worker, scores it with BRPO, and answers each sample with its advantage.

Batch sizes: reward.num_workers must divide the batch (train_batch_size x n, checked at start-up,
and the validation batch x val_kwargs.n): verl pads the batch to a multiple of the worker count
with copies of samples, and a copy would join a group as one sample too many.

Group sizes: actor_rollout_ref.rollout.n in training and rollout.val_kwargs.n in validation
(verl marks validation batches with meta_info["validate"]). A group of one (validation with n=1,
verl's default) has nothing to compare with: it gets the neutral reward 0 and no request, and its
reward_extra_info says so (wz_single=1). Validate with val_kwargs.n >= 2 to see BRPO rewards, or
evaluate with an independent judge.

The rewards are BRPO advantages: +1 beat the reference, -1 lost to it, 0 for the reference and for
ties. They are zero-mean only in expectation, not in a given group, so they must not be
re-centred: "brpo" below uses each sequence's reward as the advantage of all its tokens, with no
baseline and no normalisation (GRPO would subtract the group mean). A masked sample (its
judgement failed) cannot be left out of verl's batch: it gets the service's --masked-reward (0 by
default: no push either way) and wz_masked=1 in reward_extra_info.
"""

import os
import sys
from concurrent.futures import ThreadPoolExecutor

from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase
from verl.trainer.ppo import core_algos

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from wz_client import _post  # noqa: E402

DEFAULT_URL = "http://127.0.0.1:8787"

# Every sample of a group must be waiting at the barrier at once: one blocking thread per sample
# in flight, never a pool smaller than a worker's share of the batch (the default executor has
# min(32, cores + 4) threads, which would leave group members queued behind waiting ones).
_EXECUTOR = ThreadPoolExecutor(max_workers=int(os.environ.get("WZ_VERL_THREADS", "1024")))


def compute_brpo_outcome_advantage(token_level_rewards, response_mask, **_):
    """BRPO: each response's reward (its verdict against the group's reference) is the advantage
    of every one of its tokens. Returns (advantages, returns) as verl's estimators do."""
    scores = token_level_rewards.sum(dim=-1, keepdim=True)
    advantages = scores * response_mask
    return advantages, advantages


def register_brpo_estimator():
    """Registers algorithm.adv_estimator=brpo once. verl loads this module in the driver, where
    its registry lives, and may load it again (a second module object, a second function): a
    second register_adv_est("brpo") would raise, so registration is guarded."""
    if "brpo" not in core_algos.ADV_ESTIMATOR_REGISTRY:
        core_algos.register_adv_est("brpo")(compute_brpo_outcome_advantage)
    return core_algos.ADV_ESTIMATOR_REGISTRY["brpo"]


register_brpo_estimator()


class WzBRPORewardManager(RewardManagerBase):
    def __init__(self, config, tokenizer, compute_score=None, reward_router_address=None, **_):
        super().__init__(config, tokenizer, compute_score)
        rollout = config.actor_rollout_ref.rollout
        self.train_n = int(rollout.n)
        self.val_n = int(rollout.get("val_kwargs", {}).get("n", 1))
        # RewardLoopManager pads the batch to a multiple of reward.num_workers with copies of its
        # first samples; a copy would join its group at the barrier as an extra member.
        workers = int(config.reward.get("num_workers", 1))
        batch = config.get("data", {}).get("train_batch_size")
        if batch is not None and (int(batch) * self.train_n) % workers != 0:
            raise ValueError(
                "reward.num_workers (%d) must divide data.train_batch_size x actor_rollout_ref.rollout.n "
                "(%d x %d): verl pads the batch with copies of samples, which would join BRPO groups"
                % (workers, int(batch), self.train_n)
            )
        self.url = os.environ.get("WZ_URL", DEFAULT_URL)
        self.timeout = float(os.environ.get("WZ_TIMEOUT", "600"))

    def _texts(self, item):
        prompt_ids = item.batch["prompts"]
        response_ids = item.batch["responses"]
        mask = item.batch["attention_mask"]
        prompt_len = prompt_ids.shape[-1]
        valid_prompt = prompt_ids[mask[:prompt_len].bool()]
        valid_response = response_ids[: int(mask[prompt_len:].sum())]
        # Special tokens kept: the service reads the user's request out of the chat markers.
        prompt = self.tokenizer.decode(valid_prompt, skip_special_tokens=False)
        response = self.tokenizer.decode(valid_response, skip_special_tokens=True)
        return prompt, response

    async def run_single(self, data):
        item = data[-1:][0]
        n = self.val_n if data.meta_info.get("validate", False) else self.train_n
        if n < 2:
            return {"reward_score": 0.0, "reward_extra_info": {"wz_single": 1, "wz_masked": 0, "wz_reference": 0}}
        prompt, response = await self.loop.run_in_executor(_EXECUTOR, lambda: self._texts(item))
        uid = str(item.non_tensor_batch["uid"])
        body = {"query": [prompt + response], "prompts": [prompt], "labels": [uid], "group_size": n}
        step = data.meta_info.get("global_steps")
        if step is not None:
            body["step"] = int(step)
        reply = await self.loop.run_in_executor(
            _EXECUTOR, lambda: _post(self.url, "/get_reward", body, timeout=self.timeout)
        )
        logs = reply["extra_logs"]
        return {
            "reward_score": float(reply["rewards"][0]),
            "reward_extra_info": {
                "wz_single": 0,
                "wz_masked": int(logs["masked"][0]),
                "wz_reference": int(logs["is_reference"][0]),
            },
        }
