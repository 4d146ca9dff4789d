"""writing-zero BRPO rewards for TRL's GRPOTrainer. Standard library only.

    from wz_trl import wz_brpo_reward
    from wz_trl_trainer import WzBRPOTrainer      # exact BRPO (needs trl; see README.md)
    trainer = WzBRPOTrainer(model=..., reward_funcs=[wz_brpo_reward],
                            args=GRPOConfig(num_generations=8, ...), ...)

The returned rewards are BRPO advantages, and WzBRPOTrainer trains with them as they are. With
plain GRPOTrainer they would be re-centred on the group mean (and divided by the group's standard
deviation unless scale_rewards="none"): no longer BRPO.

Groups: WzBRPOTrainer names each sample's group in the "wz_group" column. Without it, groups are
runs of consecutive samples with the same prompt (GRPOTrainer lays the num_generations
completions of a prompt next to each other), which merges two adjacent groups of one prompt.
A masked sample (its judgement failed) gets None, which TRL leaves out: advantage 0.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from wz_client import rewards_for_batch  # noqa: E402


def _text(x):
    # Conversational datasets give lists of {"role", "content"} messages.
    if isinstance(x, list):
        users = [m.get("content", "") for m in x if isinstance(m, dict) and m.get("role") == "user"]
        if users:
            return users[-1]
        return x[-1].get("content", "") if x and isinstance(x[-1], dict) else ""
    return str(x)


def _completion_text(x):
    if isinstance(x, list):
        return "".join(m.get("content", "") for m in x if isinstance(m, dict))
    return str(x)


def wz_brpo_reward(prompts, completions, **kwargs):
    prompt_texts = [_text(p) for p in prompts]
    responses = [_completion_text(c) for c in completions]
    ids = kwargs.get("wz_group")
    if ids is None:
        ids = []
        last, group = None, -1
        for p in prompt_texts:
            if p != last:
                group += 1
                last = p
            ids.append("g%d" % group)
    return rewards_for_batch(prompt_texts, responses, [str(i) for i in ids], url=kwargs.get("wz_url"), masked_reward=None)
