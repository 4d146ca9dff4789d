"""The engine shims against a running `wz serve` (rule-based judge), with inputs shaped as each
engine documents them. Run: python3 -m unittest discover integrations/tests"""

import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "integrations"))
sys.path.insert(0, os.path.join(ROOT, "integrations", "verl"))
sys.path.insert(0, os.path.join(ROOT, "integrations", "trl"))

import wz_client  # noqa: E402
import wz_trl  # noqa: E402
import wz_verl  # noqa: E402

PROMPT = "Write a line about rain. Include the word umbrella. Use at most 8 words."
GOOD = "Rain drums on my umbrella."
BAD = "This response meets all the requirements."


class ShimTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = subprocess.Popen(
            ["node", os.path.join(ROOT, "bin", "wz.js"), "serve", "--judge", "rules", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = cls.server.stdout.readline()
        match = re.search(r"listening on (http://\S+)", line)
        if not match:
            cls.server.kill()
            raise RuntimeError("wz serve did not start: %r" % line)
        cls.url = match.group(1)
        os.environ["WZ_URL"] = cls.url
        wz_client.DEFAULT_URL = cls.url

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=30)

    def test_genrm_rewards_for_judge_training(self):
        # A GenRM's replies on pairs shown in both orders; the label names the preferred position.
        replies = ["1: good.\n2: bad.\n\\boxed{8, 2}", "1: bad.\n2: good.\n\\boxed{3, 7}", "no verdict"]
        rewards, parts = wz_client.genrm_rewards(
            replies, ["first", "first", "second"], url=self.url, first_position_rate=0.5
        )
        self.assertEqual([round(r, 3) for r in rewards], [1.5, -1.4, -1.0])
        self.assertEqual([p["correct"] for p in parts], [True, False, False])
        self.assertFalse(parts[2]["format"])
        with self.assertRaises(wz_client.RewardServiceError):
            wz_client.genrm_rewards(["x"], ["left"], url=self.url)

    def test_client_scores_groups(self):
        results = wz_client.score_groups([(PROMPT, [GOOD, BAD, "Rain.", GOOD], "g1")], url=self.url, seed=1)
        self.assertEqual(len(results), 1)
        r = results[0]
        self.assertEqual(len(r["advantages"]), 4)
        self.assertEqual(r["advantages"][r["reference_index"]], 0)

    def test_verl_batch_reward_manager_shape(self):
        # verl repeats each prompt n times, interleaved; extra_info carries the prompt.
        solution_strs = [GOOD, BAD, GOOD, BAD, "Umbrella rain.", "Rain falls.", "Grey sky.", BAD]
        extra_infos = [{"prompt": PROMPT, "index": 0}] * 4 + [{"prompt": PROMPT + " Be calm.", "index": 1}] * 4
        rewards = wz_verl.compute_score(["writing"] * 8, solution_strs, [None] * 8, extra_infos)
        self.assertEqual(len(rewards), 8)
        for group in (rewards[:4], rewards[4:]):
            self.assertTrue(all(x in (-1.0, 0.0, 1.0) for x in group))
            self.assertIn(0.0, group)  # the reference (or a dropped group)
        # A self-justifying response never beats a good one.
        self.assertTrue(rewards[1] <= 0 and rewards[3] <= 0)

    def test_verl_groups_by_uid_then_chunks(self):
        ids = wz_verl._group_ids(["a"] * 4, [{"uid": "u1"}, {"uid": "u1"}, None, None], group_size=2)
        self.assertEqual(ids, ["u1", "u1", "chunk:1", "chunk:1"])

    def test_trl_reward_function_shape(self):
        # GRPOTrainer: conversational prompts, num_generations consecutive completions each.
        prompts = [[{"role": "user", "content": PROMPT}]] * 4 + [[{"role": "user", "content": "Write about snow."}]] * 4
        completions = [[{"role": "assistant", "content": t}] for t in [GOOD, BAD, GOOD, "Rain.", "Snow.", "White snow.", BAD, "Snow falls softly."]]
        rewards = wz_trl.wz_brpo_reward(prompts=prompts, completions=completions)
        self.assertEqual(len(rewards), 8)
        self.assertTrue(all(isinstance(x, float) for x in rewards))
        self.assertEqual(sum(1 for x in rewards[:4] if x == 0.0) >= 1, True)

    def test_single_sample_groups_are_neutral_and_not_sent(self):
        # Engines validate with n=1: such a group has nothing to compare with, so it gets the
        # neutral reward without a request (the service would answer 400 for it).
        rewards = wz_client.rewards_for_batch([PROMPT, PROMPT, "other"], [GOOD, BAD, GOOD], ["a", "a", "b"], url=self.url)
        self.assertEqual(rewards[2], 0.0)
        self.assertIn(0.0, rewards[:2])
        self.assertEqual(wz_client.rewards_for_batch(["p"], ["r"], ["only"], url="http://127.0.0.1:9"), [0.0])

    def test_masked_samples_are_none_for_trl_and_zero_elsewhere(self):
        real = wz_client.score_groups
        # The masked member's advantage (-1) must not reach the engine: a failed judgement is no loss.
        wz_client.score_groups = lambda groups, **kw: [
            {"advantages": [0.0, 1.0, -1.0], "masked": [False, False, True]} for _ in groups
        ]
        try:
            self.assertEqual(wz_client.rewards_for_batch(["p"] * 3, ["a", "b", "c"], ["g"] * 3), [0.0, 1.0, 0.0])
            self.assertEqual(
                wz_client.rewards_for_batch(["p"] * 3, ["a", "b", "c"], ["g"] * 3, masked_reward=-1.0), [0.0, 1.0, -1.0]
            )
            trl = wz_trl.wz_brpo_reward(prompts=["p"] * 3, completions=["a", "b", "c"])
            self.assertEqual(trl, [0.0, 1.0, None])
            # Explicit group names keep two adjacent groups of one prompt apart.
            seen = []
            wz_client.score_groups = lambda groups, **kw: seen.extend(groups) or [
                {"advantages": [0.0, 1.0, 0.0], "masked": [False] * 3} for _ in groups
            ]
            wz_trl.wz_brpo_reward(prompts=["p"] * 6, completions=list("abcdef"), wz_group=["x"] * 3 + ["y"] * 3)
            self.assertEqual([g[2] for g in seen], ["x", "y"])
        finally:
            wz_client.score_groups = real

    def test_service_errors_surface(self):
        with self.assertRaises(wz_client.RewardServiceError) as ctx:
            wz_client.score_groups([(PROMPT, [GOOD], None)], url=self.url)
        self.assertIn("responses", str(ctx.exception))


if __name__ == "__main__":
    unittest.main()
