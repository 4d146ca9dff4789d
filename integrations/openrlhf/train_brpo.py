"""OpenRLHF's train_ppo_ray with the "brpo" advantage estimator (see wz_openrlhf.py).

    python integrations/openrlhf/train_brpo.py <train_ppo_ray arguments> \
        --algo.advantage.estimator brpo --algo.kl.use_loss

It adds "brpo" to the estimator choices, installs the estimator here and, through Ray's
worker_process_setup_hook, in every Ray worker (OpenRLHF's PPOTrainer, which computes the
advantages, is a Ray actor), then runs openrlhf.cli.train_ppo_ray as `python -m` would.
Checked against OpenRLHF 0.11.2.
"""

import os
import runpy
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import wz_openrlhf  # noqa: E402


def main():
    wz_openrlhf.extend_cli()
    wz_openrlhf.install()
    import ray

    if not ray.is_initialized():
        path = os.pathsep.join(p for p in [HERE, os.environ.get("PYTHONPATH", "")] if p)
        os.environ["PYTHONPATH"] = path
        # The same environment train_ppo_ray would set, plus this folder for the hook's import.
        ray.init(
            runtime_env={
                "worker_process_setup_hook": "wz_openrlhf.install",
                "env_vars": {
                    "PYTHONPATH": path,
                    "TOKENIZERS_PARALLELISM": os.environ.get("TOKENIZERS_PARALLELISM", "true"),
                    "NCCL_DEBUG": os.environ.get("NCCL_DEBUG", "WARN"),
                    "RAY_ENABLE_ZERO_COPY_TORCH_TENSORS": os.environ.get("RAY_ENABLE_ZERO_COPY_TORCH_TENSORS", "1"),
                },
            }
        )
    sys.argv[0] = "openrlhf.cli.train_ppo_ray"
    runpy.run_module("openrlhf.cli.train_ppo_ray", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
