"""Exact BRPO in OpenRLHF: --algo.advantage.estimator brpo. Checked against OpenRLHF 0.11.2.

The rewards `wz serve` returns on /get_reward are BRPO advantages. Every stock estimator changes
them (read from openrlhf/trainer/ppo_utils/experience_maker.py, compute_advantages_and_returns):
  - reinforce_baseline, dr_grpo: subtract the group mean; rloo: the leave-one-out mean;
    group_norm: the group mean, then divide by the group's standard deviation;
  - flash_reinforce: subtract the rollout batch's mean;
  - reinforce: no baseline, but then, like gae and reinforce_baseline, the advantages are
    whitened over the batch (minus the token-weighted mean, divided by the standard deviation;
    --algo.advantage.no_std_norm keeps the mean subtraction).
The closest stock setting is reinforce with --algo.advantage.no_std_norm: one shift by the
batch's token-weighted mean. "brpo" here does what reinforce does without any of it: each
response's reward is the return of every one of its tokens (gamma 1), no baseline, no whitening.

The KL penalty: without --algo.kl.use_loss, OpenRLHF folds a KL term into the reward before the
return. brpo refuses that combination when the KL coefficient is not 0: pass --algo.kl.use_loss
(KL as a loss, the GRPO way), or --algo.kl.init_coef 0.

Use it through the launcher, which installs it in the driver and in every Ray worker:

    python integrations/openrlhf/train_brpo.py <your train_ppo_ray arguments> \\
        --algo.advantage.estimator brpo --algo.kl.use_loss
"""

import argparse

ESTIMATOR_FLAG = "--algo.advantage.estimator"


def brpo_advantages_and_returns(self, experiences):
    """RemoteExperienceMaker.compute_advantages_and_returns for estimator "brpo"."""
    import torch
    from openrlhf.models.utils import compute_reward
    from openrlhf.trainer.ppo_utils.length_penalty import apply_length_penalties

    args = self.strategy.args
    if not args.algo.kl.use_loss and self.kl_ctl.value != 0:
        raise ValueError(
            "brpo: the KL penalty would be folded into BRPO's rewards (KL coefficient %g): pass "
            "--algo.kl.use_loss, or --algo.kl.init_coef 0" % self.kl_ctl.value
        )
    for experience in experiences:
        experience.rewards = experience.rewards.to(torch.promote_types(experience.rewards.dtype, torch.float32))
    # Opt-in length penalties (DAPO overlong, ProRL) still apply, as for every estimator.
    apply_length_penalties(experiences, args)
    for experience in experiences:
        reward = compute_reward(
            experience.rewards,
            self.kl_ctl.value,
            experience.kl,
            action_mask=experience.action_mask,
            reward_clip_range=args.reward.clip_range,
        )
        experience.returns = self.get_cumulative_returns(reward, experience.action_mask, 1.0)
        experience.advantages = experience.returns.clone()
        experience.info["return"] = reward.sum(dim=-1)
        experience.kl = None
    return experiences


def install():
    """Teaches RemoteExperienceMaker the "brpo" estimator. Idempotent; other estimators unchanged."""
    from openrlhf.trainer.ppo_utils import experience_maker

    cls = experience_maker.RemoteExperienceMaker
    if getattr(cls, "_wz_brpo", False):
        return
    stock = cls.compute_advantages_and_returns

    def compute_advantages_and_returns(self, experiences):
        if self.strategy.args.algo.advantage.estimator == "brpo":
            return brpo_advantages_and_returns(self, experiences)
        return stock(self, experiences)

    cls.compute_advantages_and_returns = compute_advantages_and_returns
    cls._wz_brpo = True


def extend_cli():
    """Adds "brpo" to the choices of --algo.advantage.estimator (OpenRLHF rejects unknown values)."""
    if getattr(argparse.ArgumentParser.add_argument, "_wz_brpo", False):
        return
    stock = argparse.ArgumentParser.add_argument

    def add_argument(self, *names, **kwargs):
        if ESTIMATOR_FLAG in names and kwargs.get("choices") and "brpo" not in kwargs["choices"]:
            kwargs["choices"] = list(kwargs["choices"]) + ["brpo"]
        return stock(self, *names, **kwargs)

    add_argument._wz_brpo = True
    argparse.ArgumentParser.add_argument = add_argument
