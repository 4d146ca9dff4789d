// /metrics cannot be forged or multiplied through the URL path, and its exposition is valid
// Prometheus text (checked by a parser of the format written here from its specification).
import assert from "node:assert/strict";
import { test } from "node:test";
import { RuleJudge } from "../../src/judge/rule-judge.ts";
import { createRewardService } from "../../src/serve/app.ts";

/** Parses the text exposition format; throws on any malformed line or duplicate series. */
function parseExposition(text: string): Map<string, number> {
  const series = new Map<string, number>();
  const types = new Map<string, string>();
  const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
  const SAMPLE = new RegExp(
    `^(${NAME})(\\{(?:${LABEL}(?:,${LABEL})*)?\\})? (-?(?:\\d+(?:\\.\\d+)?(?:e[+-]?\\d+)?|NaN|\\+Inf|-Inf))$`,
  );
  for (const [i, line] of text.split("\n").entries()) {
    if (line === "") continue;
    if (line.startsWith("# HELP ")) continue;
    const t = line.match(new RegExp(`^# TYPE (${NAME}) (counter|gauge|summary|histogram|untyped)$`));
    if (t) {
      if (types.has(t[1])) throw new Error(`line ${i + 1}: second TYPE for ${t[1]}`);
      types.set(t[1], t[2]);
      continue;
    }
    if (line.startsWith("#")) throw new Error(`line ${i + 1}: unknown comment ${JSON.stringify(line)}`);
    const m = line.match(SAMPLE);
    if (!m) throw new Error(`line ${i + 1}: not a sample: ${JSON.stringify(line)}`);
    const key = `${m[1]}${m[2] ?? ""}`;
    if (series.has(key)) throw new Error(`line ${i + 1}: duplicate series ${key}`);
    series.set(key, Number(m[3]));
  }
  return series;
}

test("forged paths neither add lines nor break the exposition; unauthorised requests record no route", async () => {
  const service = createRewardService({ judge: new RuleJudge(), groupSize: 2, token: "secret" });
  const auth = { authorization: "Bearer secret" };
  // the attacks from the issue, without the token
  for (const path of ["/x%0Awz_groups_scored_total%20999999%0A%23", "/x%22y", "/a", "/b", "/c"])
    assert.equal((await service.app.request(path)).status, 401);
  // with the token, unknown paths share one label
  for (const path of ["/x%0Ay", '/x"y', "/d", "/e"]) await service.app.request(path, { headers: auth });
  await service.app.request("/v1/compare", {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ prompt: "Write.", response_a: "A.", response_b: "B." }),
  });
  const res = await service.app.request("/metrics", { headers: auth });
  const text = await res.text();
  const series = parseExposition(text);
  assert.equal(series.get("wz_groups_scored_total"), 0, "the forged counter line is not there");
  assert.equal(series.get("wz_unauthorized_total"), 5);
  assert.equal(series.get('wz_requests_total{route="other"}'), 4);
  assert.equal(series.get('wz_requests_total{route="/v1/compare"}'), 1);
  const routes = [...series.keys()].filter((k) => k.startsWith("wz_requests_total"));
  // fixed labels only: the two routes used, no series per path
  assert.deepEqual(routes.sort(), [
    'wz_requests_total{route="/v1/compare"}',
    'wz_requests_total{route="other"}',
  ]);
  assert.ok(!/^wz_groups_scored_total 999999/m.test(text));
  await service.close();
});

test("the parser itself rejects what a forged path used to produce (so the test above can fail)", () => {
  assert.throws(() => parseExposition('wz_requests_total{route="/x"y"} 1\n'));
  assert.throws(() => parseExposition("wz_groups_scored_total 1\nwz_groups_scored_total 999999\n"));
  assert.equal(parseExposition('a{b="c\\"d\\\\e\\nf"} 2\n').size, 1);
});
