// `wz serve`: the reward service for engines that own the training loop.
import { existsSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { judgeSpecFromConfig, parseJudgeConfig } from "../recipes/judges/config.ts";
import { createJudge } from "../recipes/judges/index.ts";
import type { BuiltJudge } from "../recipes/judges/spec.ts";
import { createRewardService } from "../serve/app.ts";
import { UsageError } from "./errors.ts";
import { numberFlag } from "./flags.ts";
import { buildJudge, JUDGE_FLAGS, JUDGE_FLAGS_HELP } from "./judge-options.ts";
import { listen, untilSignal } from "./listen.ts";

export const SERVE_HELP = `wz serve [--port 8787] [--host 127.0.0.1] [judge options]

Routes:
  POST /v1/compare       {prompt, response_a, response_b, votes?} -> the verdict
  POST /v1/score_group   {prompt, responses, estimator?, seed?, step?, group_id?}
                         -> {advantages, masked, dropped, reference_index, comparisons, stats}
  POST /v1/score_groups  {groups: [...]} -> {results: [...]}, groups scored concurrently
  POST /get_reward       OpenRLHF's remote reward: {query, prompts, labels} -> {rewards, scores,
                         extra_logs}; samples wait at a group barrier until --group-size arrive
                         (with --mode genrm: each sample is a GenRM reply, labels[i] the
                         preferred side, "first" or "second", and no barrier)
  POST /v1/genrm_reward  {items: [{reply, preferred: "first"|"second", template?}],
                         first_position_rate?} -> {rewards, parts, reward_version}: the GenRM
                         reward of docs/genrm-training.md, for engines training a GenRM
  GET  /healthz, GET /metrics (Prometheus text)

  --port N                 listen port (default 8787; 0 picks a free one)
  --host H                 listen address (default 127.0.0.1)
  --token-env VAR          require "Authorization: Bearer $VAR" on every route but /healthz
  --group-size N           /get_reward samples per group (default 8)
  --group-deadline S       seconds a group may take to fill before it is rejected (default 150:
                           under OpenRLHF's 180 s request timeout, so a late group is retried whole)
  --group-key prompt|label group /get_reward samples by prompt (default) or by labels[i]
                           ("GROUP" or "GROUP#SAMPLE")
  --masked-reward R        reward for a masked sample (its judgement failed) on /get_reward
                           (default 0: no push either way, as a mask; flagged in extra_logs.masked)
  --max-pending N          samples waiting at the barrier before 429 (default 10000)
  --max-pending-bytes B    bytes of samples waiting at the barrier before 429 (default 268435456)
  --max-group-size N       responses per group (/v1/score_group(s), /get_reward's group_size or
                           "@N" label) before 413 (default 256)
  --max-judge-calls N      judge calls one request may cause (/v1/score_groups sums its groups)
                           before 413 (default 8192)
  --max-response-chars N   longest response judged, in characters, before 413 (default 32768)
  --retry-memory S         seconds a /get_reward answer is served again to a retry of the same
                           request (default 900); anything else is judged afresh
  --state FILE             keep /get_reward answers in this SQLite file, so a restarted service
                           answers retries exactly as before (default: memory only)
  --max-groups N           groups scored at once (default 64)
  --body-limit BYTES       request body limit (default 8388608)
  --skew-threshold X       BRPO skew filter (default 0.6)
  --tie -1|0               BRPO score of a tie (default -1)
  --inconsistent -1|0      BRPO score of an order-inconsistent verdict (default -1)
  --references K           BRPO references per group, each member's advantage averaged over
                           them (default 1, the paper's)
  --subgroup-size M        BRPO sub-groups of M consecutive samples, each with its own
                           reference (default: the whole group); the same options as wz train's
                           estimator block
  --service-seed S         seed for reference draws when a request gives none (default 0)
  --mode judge|genrm       what /get_reward scores: policy samples by the judge (default) or
                           GenRM replies against their labels
  --genrm-template T       compact (default) or full: the template GenRM replies follow
  --judge-config FILE      take the judge from a YAML file (its "judge:" block, as in a wz train
                           config) instead of the judge flags below

${JUDGE_FLAGS_HELP}`;

const SERVE_OPTIONS = {
  ...JUDGE_FLAGS,
  port: { type: "string", default: "8787" },
  host: { type: "string", default: "127.0.0.1" },
  "token-env": { type: "string" },
  "group-size": { type: "string", default: "8" },
  "group-deadline": { type: "string", default: "150" },
  "group-key": { type: "string", default: "prompt" },
  "masked-reward": { type: "string", default: "0" },
  "max-pending": { type: "string", default: "10000" },
  "max-groups": { type: "string", default: "64" },
  "max-pending-bytes": { type: "string", default: String(256 << 20) },
  "max-group-size": { type: "string", default: "256" },
  "max-judge-calls": { type: "string", default: "8192" },
  "max-response-chars": { type: "string", default: "32768" },
  "retry-memory": { type: "string", default: "900" },
  state: { type: "string" },
  "body-limit": { type: "string", default: String(8 << 20) },
  "skew-threshold": { type: "string", default: "0.6" },
  tie: { type: "string", default: "-1" },
  inconsistent: { type: "string", default: "-1" },
  references: { type: "string", default: "1" },
  "subgroup-size": { type: "string" },
  "service-seed": { type: "string", default: "0" },
  "judge-config": { type: "string" },
  mode: { type: "string", default: "judge" },
  "genrm-template": { type: "string", default: "compact" },
  help: { type: "boolean", short: "h" },
} as const;

type ServeValues = ReturnType<typeof parseArgs<{ options: typeof SERVE_OPTIONS }>>["values"];

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: SERVE_OPTIONS });
  if (values.help) {
    console.log(SERVE_HELP);
    return 0;
  }
  const options = serviceOptions(values); // flags first: a bad flag fails before the judge is built
  const built = judgeFor(values);
  const service = createRewardService({ ...options, ...judgeParts(built) });
  const port = numberFlag(values, "port", { int: true, min: 0, max: 65535 })!;
  const server = await listen(service.app.fetch, port, values.host);
  const address = server.address() as AddressInfo;
  // One parseable line on stdout, so scripts and tests can find the port.
  console.log(`listening on http://${address.address}:${address.port}`);
  process.stderr.write(
    `wz serve: ${built.describe()}; group size ${numberFlag(values, "group-size", { int: true })}\n`,
  );
  await untilSignal(async () => {
    process.stderr.write("wz serve: shutting down, finishing groups in flight\n");
    server.close();
    await service.close();
    built.close();
  });
  return 0;
}

/** The judge: from --judge-config's judge block, else from the judge flags. */
function judgeFor(values: ServeValues): BuiltJudge {
  const path = values["judge-config"];
  if (!path) return buildJudge(values);
  if (!existsSync(path)) throw new UsageError(`--judge-config: ${path} does not exist`);
  try {
    return createJudge(judgeSpecFromConfig(parseJudgeConfig(readFileSync(path, "utf8"), path)));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function judgeParts(built: BuiltJudge) {
  return { judge: built.judge, judgeWithVotes: built.withVotes, scorer: built.scorer };
}

/** The service's options from the flags, each checked and named in its error. */
function serviceOptions(values: ServeValues) {
  const v = values as Record<string, unknown>;
  const groupKey = values["group-key"];
  if (groupKey !== "prompt" && groupKey !== "label")
    throw new UsageError(`--group-key: expected prompt or label, got "${groupKey}"`);
  const mode = values.mode;
  if (mode !== "judge" && mode !== "genrm")
    throw new UsageError(`--mode: expected judge or genrm, got "${mode}"`);
  const genrmTemplate = values["genrm-template"];
  if (genrmTemplate !== "compact" && genrmTemplate !== "full")
    throw new UsageError(`--genrm-template: expected compact or full, got "${genrmTemplate}"`);
  const tie = numberFlag(v, "tie", { int: true });
  if (tie !== -1 && tie !== 0) throw new UsageError("--tie: expected -1 or 0");
  const inconsistent = numberFlag(v, "inconsistent", { int: true });
  if (inconsistent !== -1 && inconsistent !== 0) throw new UsageError("--inconsistent: expected -1 or 0");
  return {
    seed: numberFlag(v, "service-seed", { int: true }),
    skewThreshold: numberFlag(v, "skew-threshold", { min: 0 }),
    tie,
    inconsistent,
    references: numberFlag(v, "references", { int: true, min: 1 }),
    subgroupSize: numberFlag(v, "subgroup-size", { int: true, min: 2 }),
    groupSize: numberFlag(v, "group-size", { int: true, min: 2 })!,
    groupDeadlineMs: numberFlag(v, "group-deadline", { min: 0.001 })! * 1000,
    groupKey,
    maskedReward: numberFlag(v, "masked-reward"),
    maxPendingSamples: numberFlag(v, "max-pending", { int: true, min: 1 }),
    maxConcurrentGroups: numberFlag(v, "max-groups", { int: true, min: 1 }),
    maxPendingBytes: numberFlag(v, "max-pending-bytes", { int: true, min: 1 }),
    maxGroupSize: numberFlag(v, "max-group-size", { int: true, min: 2 }),
    maxJudgeCallsPerRequest: numberFlag(v, "max-judge-calls", { int: true, min: 1 }),
    maxResponseChars: numberFlag(v, "max-response-chars", { int: true, min: 1 }),
    retryWindowMs: numberFlag(v, "retry-memory", { min: 0 })! * 1000,
    stateFile: values.state,
    bodyLimitBytes: numberFlag(v, "body-limit", { int: true, min: 1 }),
    token: tokenFrom(values["token-env"]),
    mode,
    genrmTemplate,
  } as const;
}

function tokenFrom(envName: string | undefined): string | undefined {
  if (!envName) return undefined;
  const token = process.env[envName];
  if (!token) throw new UsageError(`--token-env: environment variable ${envName} is empty`);
  return token;
}
