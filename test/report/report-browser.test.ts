// The run report in a real headless browser (Debian's chromium through playwright-core): made
// from a real short run, it must render its charts and sample browser with no console errors.
// A screenshot is kept in test-artifacts/report.png.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { CHROMIUM, withReportPage } from "../helpers/browser.ts";
import { runWz } from "../helpers/cli.ts";
import { unlessCi } from "../helpers/requirement.ts";

test("wz report renders charts and the sample browser in headless chromium", {
  skip: unlessCi(!existsSync(CHROMIUM) && "chromium is not installed (apt-get install chromium)"),
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "wz-report-"));
  writeFileSync(
    join(dir, "cfg.yaml"),
    `seed: 3
model:
  cache: ${join(dir, "cache")}
  tiny: {corpus_size: 300, vocab_size: 330, hidden_size: 32, layers: 1, heads: 2, kv_heads: 1, head_dim: 16, intermediate_size: 64, pretrain_steps: 15, batch_size: 8}
data: {train_count: 8, eval_count: 3}
rollout: {group_size: 4, prompts_per_step: 2, max_tokens: 12}
train: {steps: 4}
eval: {samples_per_prompt: 1}
`,
  );
  const run = join(dir, "run");
  const trained = await runWz(["train", join(dir, "cfg.yaml"), "--output", run]);
  assert.equal(trained.code, 0, trained.stderr);
  const out = join(dir, "report.html");
  const r = await runWz(["report", run, "--output", out]);
  assert.equal(r.code, 0, r.stderr);
  const html = readFileSync(out, "utf8");
  assert.ok(!/(src|href)="https?:/.test(html), "the report must not load anything from the network");

  await withReportPage(out, async (page, errors) => {
    const charts = await page.locator("svg.chart").count();
    // the over-optimisation chart (training judge vs the gold, same rollouts) leads the ten others
    assert.equal(charts, 11);
    assert.match(
      (await page.locator("svg.chart").first().textContent()) ?? "",
      /over-optimisation.*independent: win rate vs reference/s,
    );
    assert.match(
      (await page.locator("table.summary").textContent()) ?? "",
      /independent judge gold:wz-tiny-gold-v2/,
    );
    // Every chart with data draws a path.
    assert.ok((await page.locator("svg.chart path").count()) >= 10);
    // The sample browser shows the last chosen step; switching shows another.
    const visible = async () => page.locator("section.step.active").getAttribute("data-step");
    assert.equal(await visible(), "4");
    await page.selectOption("#step-select", "1");
    assert.equal(await visible(), "1");
    const groups = page.locator("section.step.active .group");
    assert.equal(await groups.count(), 2);
    assert.equal(await page.locator("section.step.active .adv.ref").count(), 2); // one reference per group
    await page.locator("section.step.active details summary").first().click();
    assert.ok(await page.locator("section.step.active details[open] .cmp").first().isVisible());
    mkdirSync("test-artifacts", { recursive: true });
    await page.screenshot({ path: "test-artifacts/report.png", fullPage: false });
    assert.deepEqual(errors, []);
  });
});
