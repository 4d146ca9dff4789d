"""A tiny client for the writing-zero reward service (`wz serve`). Standard library only.

Copy this file (and the shim for your engine) next to your training script.
"""

import json
import os
import urllib.request

DEFAULT_URL = os.environ.get("WZ_URL", "http://127.0.0.1:8787")


class RewardServiceError(RuntimeError):
    pass


def _post(url, path, body, token=None, timeout=600.0):
    data = json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url.rstrip("/") + path, data=data, method="POST")
    request.add_header("content-type", "application/json")
    token = token if token is not None else os.environ.get("WZ_TOKEN")
    if token:
        request.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        detail = e.read().decode("utf-8", "replace")
        raise RewardServiceError("%s %s -> HTTP %d: %s" % (url, path, e.code, detail)) from None


def score_groups(groups, url=None, estimator="brpo", seed=None, step=None, token=None):
    """groups: list of (prompt, [responses], group_id). Returns one result dict per group,
    each with "advantages", "masked", "dropped", "reference_index" and "stats"."""
    body = {"groups": []}
    for prompt, responses, group_id in groups:
        g = {"prompt": prompt, "responses": list(responses), "estimator": estimator}
        if group_id is not None:
            g["group_id"] = str(group_id)
        if seed is not None:
            g["seed"] = int(seed)
        if step is not None:
            g["step"] = int(step)
        body["groups"].append(g)
    return _post(url or DEFAULT_URL, "/v1/score_groups", body, token)["results"]


def rewards_for_batch(prompts, responses, group_ids, url=None, masked_reward=0.0, single_reward=0.0, **kwargs):
    """Groups a flat batch by group id, scores every group, and returns one reward per sample
    in the batch's order.

    masked_reward: what a masked sample (its judgement failed) gets. Engines that can leave a
    sample out take None (TRL does: NaN rewards get advantage 0); the others get 0.0, no push
    either way (WZ_MASKED_REWARD overrides; -1 would train a failed judgement as a loss). The service
    counts masked samples in its metrics either way.
    single_reward: what the only sample of a group of one gets, without asking the service (BRPO
    needs a second response to compare with; engines validate with n=1). 0.0 is neutral."""
    env = os.environ.get("WZ_MASKED_REWARD")
    if env is not None:
        masked_reward = None if env.lower() == "none" else float(env)
    order = []
    members = {}
    for i, gid in enumerate(group_ids):
        if gid not in members:
            members[gid] = []
            order.append(gid)
        members[gid].append(i)
    rewards = [single_reward] * len(responses)
    scored = [g for g in order if len(members[g]) > 1]
    if not scored:
        return rewards
    groups = [(prompts[members[g][0]], [responses[i] for i in members[g]], g) for g in scored]
    results = score_groups(groups, url=url, **kwargs)
    for gid, result in zip(scored, results):
        for k, i in enumerate(members[gid]):
            rewards[i] = masked_reward if result["masked"][k] else float(result["advantages"][k])
    return rewards


def genrm_rewards(replies, preferred, url=None, template=None, first_position_rate=None, token=None):
    """Rewards for training a pairwise GenRM (docs/genrm-training.md): one per judge reply.

    replies: the GenRM's replies; preferred: for each, which shown position ("first" or "second")
    holds the labelled better response. Returns (rewards, parts), parts holding each reply's
    format check, picked side, correctness, margin and position-bias weight."""
    if len(replies) != len(preferred):
        raise ValueError("replies and preferred must have the same length")
    items = []
    for reply, side in zip(replies, preferred):
        item = {"reply": reply, "preferred": side}
        if template:
            item["template"] = template
        items.append(item)
    body = {"items": items}
    if first_position_rate is not None:
        body["first_position_rate"] = float(first_position_rate)
    result = _post(url or DEFAULT_URL, "/v1/genrm_reward", body, token)
    return result["rewards"], result["parts"]
