"""writing-zero BRPO rewards for verl's batch reward manager, before verl's reward loop (verl
0.9.1 scores through the reward loop: use wz_verl_manager.py there). Standard library only (plus
verl itself for the optional advantage estimator below).

Use with verl's batch reward manager, which hands the whole batch to one function:

    reward_model.reward_manager=batch
    custom_reward_function.path=wz_verl.py
    custom_reward_function.name=compute_score

Grouping: each sample's group is extra_info["uid"] or extra_info["group_id"] if your data puts
one there; otherwise extra_info["prompt"] (verl's examples store the question in extra_info);
otherwise consecutive runs of WZ_GROUP_SIZE samples (verl repeats each prompt
actor_rollout_ref.rollout.n times, interleaved, so a group's samples are consecutive).

The rewards ARE BRPO advantages (+1 beat the reference, -1 lost to it, 0 for the reference and
ties). They are zero-mean only in expectation, not within a group. Do not let the estimator
re-centre them: register the "brpo"
estimator below and set algorithm.adv_estimator=brpo. Stock verl's closest setting is
algorithm.adv_estimator=grpo with algorithm.norm_adv_by_std_in_grpo=False (mean-centring only),
which subtracts the group mean: a deviation from the paper.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from wz_client import rewards_for_batch  # noqa: E402


def _group_ids(solution_strs, extra_infos, group_size):
    ids = []
    for i, info in enumerate(extra_infos if extra_infos is not None else [None] * len(solution_strs)):
        info = info or {}
        gid = info.get("uid") or info.get("group_id")
        if gid is None and info.get("prompt") is not None:
            gid = "prompt:" + str(info["prompt"])
        if gid is None:
            gid = "chunk:%d" % (i // group_size)
        ids.append(str(gid))
    return ids


def _prompt_of(info, fallback):
    info = info or {}
    for key in ("prompt", "question", "query"):
        if info.get(key):
            return str(info[key])
    return fallback


def compute_score(data_sources, solution_strs, ground_truths, extra_infos=None, **kwargs):
    group_size = int(kwargs.get("group_size") or os.environ.get("WZ_GROUP_SIZE", "8"))
    ids = _group_ids(solution_strs, extra_infos, group_size)
    infos = list(extra_infos) if extra_infos is not None else [None] * len(solution_strs)
    prompts = [_prompt_of(info, str(gt)) for info, gt in zip(infos, ground_truths)]
    return rewards_for_batch(prompts, list(solution_strs), ids, url=kwargs.get("url"))


def register_brpo_estimator():
    """Registers algorithm.adv_estimator=brpo (once): see wz_verl_manager.py."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from wz_verl_manager import register_brpo_estimator as register  # imports verl

    return register()
