"""writing-zero BRPO rewards for TRL's GRPOTrainer. Standard library only.

    from wz_trl import wz_brpo_reward
    trainer = GRPOTrainer(model=..., reward_funcs=[wz_brpo_reward],
                          args=GRPOConfig(num_generations=8, scale_rewards=False, ...), ...)

GRPOTrainer hands a reward function the whole batch; the num_generations completions of one
prompt are consecutive, and each group is identified here by its prompt. The returned rewards
are BRPO advantages. Set scale_rewards=False (in recent TRL, scale_rewards="none") so that TRL
does not divide them by the group's standard deviation; TRL still subtracts the group mean, a
small deviation from the paper (BRPO advantages are zero-mean only in expectation).
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
    ids = []
    last, group = None, -1
    for p in prompt_texts:
        if p != last:
            group += 1
            last = p
        ids.append("g%d" % group)
    return rewards_for_batch(prompt_texts, responses, ids, url=kwargs.get("wz_url"))
