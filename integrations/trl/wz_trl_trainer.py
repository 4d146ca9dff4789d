"""Exact BRPO in TRL: a GRPOTrainer whose advantages are the reward service's BRPO advantages.

Checked against TRL 1.16.0 (transformers 5.24.0, torch 2.13.0); see integrations/trl/README.md.

    from wz_trl import wz_brpo_reward
    from wz_trl_trainer import WzBRPOTrainer
    trainer = WzBRPOTrainer(model=..., reward_funcs=[wz_brpo_reward],
                            args=GRPOConfig(num_generations=8, ...), train_dataset=...)

Why a subclass: GRPOTrainer always subtracts the group mean from the rewards (and, unless
scale_rewards="none", divides by a standard deviation). BRPO's advantage is the verdict against
the group's temporary reference, zero-mean only in expectation, so any re-centring changes it.
This trainer lets TRL compute everything as usual, then replaces the advantages it will train
with by the rewards themselves: the (weighted) sum of the reward functions, where a sample for
which every reward function returned None (a masked judgement) gets advantage 0.

Groups must not be split across processes: each process scores its own share of the generation
batch, so per_device_train_batch_size * steps_per_generation must be a multiple of
num_generations (checked at start-up). TRL's sampler lays the num_generations copies of a prompt
next to each other and each process takes whole blocks of that stream, so whole groups follow.
"""

import torch
from trl import GRPOTrainer

# The column that tells the reward function which samples form one group (see wz_trl.py).
GROUP_KEY = "wz_group"


def brpo_advantages(rewards_per_func, weights):
    """The advantage of each sample from the gathered rewards: the weighted sum over reward
    functions, 0 where every function returned None (NaN). No centring, no scaling."""
    unscorable = torch.isnan(rewards_per_func).all(dim=1)
    advantages = (rewards_per_func * weights.to(rewards_per_func.device).unsqueeze(0)).nansum(dim=1)
    advantages[unscorable] = 0.0
    return advantages


class WzBRPOTrainer(GRPOTrainer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        local = self.args.per_device_train_batch_size * self.args.steps_per_generation
        if local % self.num_generations != 0:
            raise ValueError(
                "BRPO needs whole groups on each process: per_device_train_batch_size (%d) x "
                "steps_per_generation (%d) = %d is not a multiple of num_generations (%d)"
                % (
                    self.args.per_device_train_batch_size,
                    self.args.steps_per_generation,
                    local,
                    self.num_generations,
                )
            )
        self._wz_rewards = None
        self._wz_batches = 0
        self.stock_advantages = None

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        # Name each sample's group for the reward function: consecutive blocks of the group size,
        # unique across processes and batches (two groups of the same prompt stay apart).
        mode = "train" if self.model.training else "eval"
        size = self.num_generations if mode == "train" else self.num_generations_eval
        if len(inputs) % size != 0:
            raise ValueError(
                "this process holds %d samples, not whole groups of %d; see WzBRPOTrainer's docstring"
                % (len(inputs), size)
            )
        rank = self.accelerator.process_index
        for i, example in enumerate(inputs):
            example[GROUP_KEY] = "%s-%d-r%d-g%d" % (mode, self._wz_batches, rank, i // size)
        self._wz_batches += 1
        self._wz_rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        return self._wz_rewards

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        # Kept for comparison (and the end-to-end test): what stock GRPOTrainer would train with.
        self.stock_advantages = output["advantages"]
        advantages = brpo_advantages(self._wz_rewards, self.reward_weights)
        n = output["advantages"].shape[0]
        rank = self.accelerator.process_index
        local = advantages[rank * n : (rank + 1) * n]
        output["advantages"] = local.to(output["advantages"].device, output["advantages"].dtype)
        return output
