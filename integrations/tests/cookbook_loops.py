"""tinker-cookbook's own training loops, unchanged, against `wz tinker` on a tiny model folder.

supervised: tinker_cookbook.supervised.train.main on a conversations file (the cookbook's
FromConversationFileBuilder, the role_colon renderer), with its NLL evaluator and checkpoints.
rl: tinker_cookbook.rl.train.main with integrations/tinker/wz_cookbook_env.py, whose group
rewards are BRPO verdicts from `wz serve`. Both need no hub: the tokenizer is the model folder.

Usage: cookbook_loops.py sl|rl TINKER_URL MODEL_FOLDER DATA_FILE LOG_DIR [WZ_SERVE_URL]
Prints one JSON line of figures read back from the cookbook's own metrics.jsonl.
"""

import asyncio
import json
import os
import sys

os.environ.setdefault("TINKER_TELEMETRY", "0")
os.environ.setdefault("TINKER_API_KEY", "tml-wz-test")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tinker"))

from tinker_cookbook.renderers import TrainOnWhat  # noqa: E402

mode, url, model, data, log = sys.argv[1:6]


# What both loops share: the run folder, the served model (named by its folder), the renderer.
SHARED = dict(log_path=log, model_name=model, recipe_name="wz_tinker_check", renderer_name="role_colon", base_url=url, lora_rank=4)


def read_jsonl(name):
    with open(os.path.join(log, name), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


if mode == "sl":
    from tinker_cookbook.supervised import train
    from tinker_cookbook.supervised.data import FromConversationFileBuilder
    from tinker_cookbook.supervised.types import ChatDatasetBuilderCommonConfig

    common = ChatDatasetBuilderCommonConfig(
        model_name_for_tokenizer=model,
        renderer_name="role_colon",
        max_length=128,
        batch_size=8,
        train_on_what=TrainOnWhat.ALL_ASSISTANT_MESSAGES,
    )
    config = train.Config(
        **SHARED,
        dataset_builder=FromConversationFileBuilder(common_config=common, file_path=data, test_size=8),
        learning_rate=5e-3,
        lr_schedule="linear",
        num_epochs=3,
        eval_every=3,
        save_every=5,
    )
    asyncio.run(train.main(config))
    rows = read_jsonl("metrics.jsonl")
    nll = [r["test/nll"] for r in rows if "test/nll" in r]
    checkpoints = read_jsonl("checkpoints.jsonl")
    print(json.dumps({"steps": len(rows), "test_nll": nll, "checkpoints": [c["state_path"] for c in checkpoints]}))
else:
    from tinker_cookbook.rl import train
    from wz_cookbook_env import BRPODatasetBuilder

    rewards_log = os.path.join(log, "brpo_rewards.jsonl")
    dataset = BRPODatasetBuilder(
        prompts_path=data,
        model_name_for_tokenizer=model,
        renderer_name="role_colon",
        group_size=6,
        batch_size=4,
        service_url=sys.argv[6],
        seed=3,
        rewards_log_path=rewards_log,
    )
    config = train.Config(
        **SHARED,
        dataset_builder=dataset,
        learning_rate=1e-3,
        max_tokens=40,
        eval_every=0,
        save_every=2,
        max_steps=3,
    )
    asyncio.run(train.main(config))
    rows = read_jsonl("metrics.jsonl")
    print(json.dumps({"steps": len(rows), "rewards_log": rewards_log, "keys": sorted(rows[-1].keys())}))
