"""BRPO in tinker-cookbook: an RL environment whose group rewards are writing-zero's BRPO verdicts.

Each group is G single-turn writing environments on one prompt. When the group's rollouts are
done, compute_group_rewards sends the G responses to `wz serve` (/v1/score_groups, through
integrations/wz_client.py), which judges each against one member of the group drawn at random as
the reference; the reward of each response is its BRPO advantage (+1 better than the reference,
-1 worse, 0 for the reference itself and for a tie when the service is set so). The cookbook then
centers rewards within the group (rl/data_processing.compute_advantages): its advantage is the
BRPO score minus the group's mean score. A response whose judgement failed is masked: reward 0 and
counted in the metric brpo/masked, never a silent verdict.

Use it with the cookbook's RL loop, unchanged:

    from tinker_cookbook.rl import train
    dataset = BRPODatasetBuilder(prompts_path="prompts.jsonl", model_name_for_tokenizer=MODEL,
                                 renderer_name="role_colon", group_size=8, batch_size=4,
                                 service_url="http://127.0.0.1:8787")
    asyncio.run(train.main(train.Config(dataset_builder=dataset, model_name=MODEL, ...)))

prompts.jsonl holds one {"prompt": "..."} per line. See docs/tinker.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Sequence

import chz
import tinker
from tinker_cookbook import renderers
from tinker_cookbook.rl.types import (
    Action,
    Env,
    EnvGroupBuilder,
    Metrics,
    Observation,
    RLDataset,
    RLDatasetBuilder,
    StepResult,
    StopCondition,
    Trajectory,
)
from tinker_cookbook.tokenizer_utils import get_tokenizer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import wz_client  # noqa: E402


class WritingEnv(Env):
    """One response to one prompt: the episode ends after the first generation, reward 0 (the
    group's BRPO verdict comes in compute_group_rewards)."""

    def __init__(self, prompt: str, renderer: renderers.Renderer):
        self.prompt = prompt
        self.renderer = renderer
        self.response: str | None = None

    async def initial_observation(self) -> tuple[Observation, StopCondition]:
        convo = [{"role": "user", "content": self.prompt}]
        return self.renderer.build_generation_prompt(convo), self.renderer.get_stop_sequences()

    async def step(self, action: Action, *, extra=None) -> StepResult:
        message, _ = self.renderer.parse_response(action)
        self.response = renderers.get_text_content(message)
        return StepResult(
            reward=0.0,
            episode_done=True,
            next_observation=tinker.ModelInput.empty(),
            next_stop_condition=self.renderer.get_stop_sequences(),
        )


class BRPOGroupBuilder(EnvGroupBuilder):
    """G environments on one prompt, rewarded together by BRPO through `wz serve`."""

    def __init__(
        self,
        prompt: str,
        group_size: int,
        renderer_name: str,
        model_name_for_tokenizer: str,
        service_url: str,
        group_id: str,
        seed: int,
        step: int,
        log_path: str | None = None,
    ):
        self.prompt = prompt
        self.group_size = group_size
        self.renderer_name = renderer_name
        self.model_name_for_tokenizer = model_name_for_tokenizer
        self.service_url = service_url
        self.group_id = group_id
        self.seed = seed
        self.step = step
        self.log_path = log_path

    async def make_envs(self) -> Sequence[Env]:
        renderer = renderers.get_renderer(self.renderer_name, get_tokenizer(self.model_name_for_tokenizer))
        return [WritingEnv(self.prompt, renderer) for _ in range(self.group_size)]

    async def compute_group_rewards(
        self, trajectory_group: list[Trajectory], env_group: Sequence[Env]
    ) -> list[tuple[float, Metrics]]:
        responses = [env.response or "" for env in env_group]  # type: ignore[attr-defined]
        result = (
            await asyncio.to_thread(
                wz_client.score_groups,
                [(self.prompt, responses, self.group_id)],
                url=self.service_url,
                seed=self.seed,
                step=self.step,
            )
        )[0]
        masked = result["masked"]
        rewards = [0.0 if masked[i] else float(a) for i, a in enumerate(result["advantages"])]
        if self.log_path:
            record = {
                "group_id": self.group_id,
                "step": self.step,
                "seed": self.seed,
                "prompt": self.prompt,
                "responses": responses,
                "rewards": rewards,
                "reference_index": result["reference_index"],
                "masked": masked,
            }
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
        share = sum(1 for m in masked if m) / len(masked)
        return [(r, {"brpo/masked": share, "brpo/reference": float(i == result["reference_index"])}) for i, r in enumerate(rewards)]

    def logging_tags(self) -> list[str]:
        return ["brpo"]


class BRPODataset(RLDataset):
    def __init__(self, prompts: list[str], batch_size: int, make):
        self.prompts = prompts
        self.batch_size = batch_size
        self.make = make

    def get_batch(self, index: int) -> Sequence[EnvGroupBuilder]:
        start = index * self.batch_size
        return [self.make(self.prompts[(start + k) % len(self.prompts)], index, k) for k in range(self.batch_size)]

    def __len__(self) -> int:
        return max(1, len(self.prompts) // self.batch_size)


@chz.chz
class BRPODatasetBuilder(RLDatasetBuilder):
    """Prompts from a JSONL file ({"prompt": ...} a line), groups rewarded by BRPO via `wz serve`."""

    prompts_path: str
    model_name_for_tokenizer: str
    renderer_name: str
    group_size: int = 8
    batch_size: int = 4
    service_url: str = wz_client.DEFAULT_URL
    seed: int = 0
    rewards_log_path: str | None = None

    async def __call__(self) -> tuple[RLDataset, RLDataset | None]:
        with open(self.prompts_path, encoding="utf-8") as f:
            prompts = [json.loads(line)["prompt"] for line in f if line.strip()]
        if not prompts:
            raise ValueError(f"{self.prompts_path} holds no prompts")

        def make(prompt: str, step: int, k: int) -> BRPOGroupBuilder:
            return BRPOGroupBuilder(
                prompt=prompt,
                group_size=self.group_size,
                renderer_name=self.renderer_name,
                model_name_for_tokenizer=self.model_name_for_tokenizer,
                service_url=self.service_url,
                group_id=f"{step}-{k}",
                seed=self.seed,
                step=step,
                log_path=self.rewards_log_path,
            )

        return BRPODataset(prompts, self.batch_size, make), None
