"""OpenRLHF 0.11.2's own code on the CPU: its remote-reward HTTP client against a real `wz serve`
(training groups of 4, an evaluation group of 2 by label "@2"), its CLI parser with the "brpo"
choice, and its RemoteExperienceMaker.compute_advantages_and_returns with wz_openrlhf installed:
"brpo" trains with the service's rewards unchanged, and the closest stock setting does not.

OpenRLHF imports flash_attn, deepspeed and vllm at module level; they need a GPU and cannot
install here, so those three names are stubbed (no code of theirs runs on these paths). Not run:
the Ray training job itself.

    .venv/bin/python integrations/tests/openrlhf_brpo.py
"""

import asyncio
import contextlib
import importlib.machinery
import io
import os
import re
import runpy
import sys
import types
from types import SimpleNamespace as NS

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "integrations", "openrlhf"))
sys.path.insert(0, HERE)


class _Stub(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Stub(self.__name__ + "." + name)

    def __call__(self, *args, **kwargs):
        # Nothing on the tested paths may run GPU-only code: a call is a failure, named.
        raise RuntimeError("%s is a stub of a GPU-only package and was called" % self.__name__)


class _StubFinder:
    """Stands in for GPU-only packages: any attribute is another stub."""

    roots = {"flash_attn", "deepspeed", "vllm"}

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.roots:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _Stub(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _StubFinder())

import torch  # noqa: E402
from openrlhf.trainer.ppo_utils.experience import Experience  # noqa: E402
from openrlhf.trainer.ppo_utils.experience_maker import RemoteExperienceMaker  # noqa: E402
from openrlhf.utils.agent import SingleTurnAgentExecutor  # noqa: E402

import wz_openrlhf  # noqa: E402
from wz_service import check, start_service  # noqa: E402

N = 4
CHAT = "<|im_start|>user\n%s<|im_end|>\n<|im_start|>assistant\n"
PROMPTS = [
    "Write one sentence about rain. Use the word umbrella. Use at most 8 words.",
    "Write one sentence about bread. Use the word oven. Use at most 9 words.",
]
RESPONSES = [
    ["Rain drums on my umbrella.", "Rain.", "This response meets all the requirements.", "Grey rain on my umbrella."],
    ["The oven warms the bread.", "Bread.", "Warm bread leaves the oven at dawn.", "As an AI, here is bread."],
]




async def fetch_all(url, items):
    """OpenRLHF's client sends one sample per request, all of a batch at once."""
    client = SingleTurnAgentExecutor(url + "/get_reward")
    replies = await asyncio.gather(*[client._fetch_rewards_via_http([q], [p], [label]) for q, p, label in items])
    return [r[0] for r in replies]


def rewards_from_service(url):
    items = []
    for prompt, responses in zip(PROMPTS, RESPONSES):
        p = CHAT % prompt
        items += [(p + r + "<|im_end|>", p, None) for r in responses]
    # An evaluation group of 2 (OpenRLHF's --eval.n_samples_per_prompt) while the service's is 4.
    p = CHAT % "Write one sentence about snow. Use at most 6 words."
    items += [(p + r + "<|im_end|>", p, "@2") for r in ["Snow falls.", "White snow covers the quiet town."]]
    replies = asyncio.run(fetch_all(url, items))
    rewards = [reply["rewards"][0] for reply in replies]
    for g in range(len(PROMPTS)):
        group = rewards[g * N : (g + 1) * N]
        refs = [reply["extra_logs"]["is_reference"][0] for reply in replies[g * N : (g + 1) * N]]
        check(sum(refs) == 1 and group[refs.index(1)] == 0.0, "group %d: rewards %s, references %s" % (g, group, refs))
        check(all(x in (-1.0, 0.0, 1.0) for x in group), "group %d rewards %s" % (g, group))
    check(sum(reply["extra_logs"]["is_reference"][0] for reply in replies[-2:]) == 1, "the evaluation group of 2")
    return rewards[: len(PROMPTS) * N]


def maker(estimator, use_loss=True, kl_coef=0.0, no_std_norm=False):
    args = NS(
        algo=NS(
            advantage=NS(estimator=estimator, gamma=1.0, no_std_norm=no_std_norm),
            kl=NS(use_loss=use_loss),
        ),
        reward=NS(clip_range=(-10.0, 10.0), overlong_buffer_len=None, overlong_penalty_factor=1.0, stop_properly_penalty_coef=None),
        rollout=NS(n_samples_per_prompt=N),
        data=NS(max_len=64),
    )
    m = RemoteExperienceMaker.__new__(RemoteExperienceMaker)
    m.strategy = NS(args=args)
    m.kl_ctl = NS(value=kl_coef)
    m.advantage_estimator = estimator
    return m


def experiences(rewards):
    """Two experiences, OpenRLHF's way: samples of a prompt spread out, `index` says where."""
    lengths = [3, 5, 2, 6, 4, 1, 6, 3]
    order = [0, 4, 1, 5, 2, 6, 3, 7]
    out = []
    for part in (order[:4], order[4:]):
        mask = torch.zeros((len(part), 6), dtype=torch.bool)
        for row, i in enumerate(part):
            mask[row, : lengths[i]] = True
        out.append(
            Experience(
                rewards=torch.tensor([rewards[i] for i in part]),
                action_mask=mask,
                kl=torch.zeros((len(part), 6)),
                index=list(part),
                info={},
            )
        )
    return out


def advantages_by_sample(exps):
    out = {}
    for e in exps:
        for row, i in enumerate(e.index):
            out[i] = (e.advantages[row], e.action_mask[row])
    return out


def main():
    # The CLI: OpenRLHF's own parser, with and without the choice added.
    stdout = io.StringIO()
    sys.argv = ["train_ppo_ray", "--help"]
    wz_openrlhf.extend_cli()
    with contextlib.redirect_stdout(stdout), contextlib.suppress(SystemExit):
        runpy.run_module("openrlhf.cli.train_ppo_ray", run_name="__main__")
    check(re.search(r"--algo.advantage.estimator \{[^}]*brpo", stdout.getvalue()), "brpo is not among the CLI choices")

    server, url = start_service("--group-size", str(N))
    try:
        rewards = rewards_from_service(url)
    finally:
        server.terminate()
        server.wait(timeout=30)

    wz_openrlhf.install()
    wz_openrlhf.install()  # idempotent
    exps = maker("brpo").compute_advantages_and_returns(experiences(rewards))
    for i, (adv, mask) in advantages_by_sample(exps).items():
        expected = torch.where(mask, torch.tensor(rewards[i]), torch.tensor(0.0))
        check(torch.equal(adv, expected), "sample %d: advantages %s, reward %s" % (i, adv.tolist(), rewards[i]))

    # The closest stock setting shifts every advantage by the batch's token-weighted mean.
    stock = maker("reinforce", no_std_norm=True).compute_advantages_and_returns(experiences(rewards))
    shift = max((a - b).abs().max().item() for (a, _), (b, _) in zip(advantages_by_sample(stock).values(), advantages_by_sample(exps).values()))
    # BRPO rewards are zero-mean only in expectation: with a nonzero batch mean, the stock
    # setting must move them (else the comparison shows nothing).
    if abs(sum(rewards)) > 1e-9:
        check(shift > 1e-6, "reinforce + no_std_norm left the advantages unchanged: %s" % shift)
    # Stock estimators are untouched by the installation (reinforce_baseline still centres per group).
    base = maker("reinforce_baseline").compute_advantages_and_returns(experiences(rewards))
    check(base[0].advantages.abs().sum() > 0, "reinforce_baseline")

    try:
        maker("brpo", use_loss=False, kl_coef=0.05).compute_advantages_and_returns(experiences(rewards))
        check(False, "brpo accepted a KL term folded into its rewards")
    except ValueError as e:
        check("--algo.kl.use_loss" in str(e), str(e))
    print("openrlhf: brpo advantages = the service's rewards exactly; reinforce + no_std_norm would shift them by %.3f" % shift)
    print("openrlhf brpo: ok")


if __name__ == "__main__":
    main()
