import { readFileSync } from "node:fs";
import { tinyCritique } from "./src/tasks/tiny-judge-data.ts";
const held = new Map(readFileSync("runs/tg2/held-out-pairs.jsonl", "utf8").trim().split("\n").map((l) => { const p = JSON.parse(l); return [p.id, p]; }));
const names = ["near", "about", "words", "fluent", "topic", "word", "length", "comment", "repeat", "box"];
const wrong = new Array(names.length).fill(0); let n = 0; const ex: string[] = [];
const split = (line: string) => { const [ev, ver] = line.replace(/^\d: |\.$/g, "").split(": "); return [...(ev ?? "").split("; "), ...(ver ?? "").split(", ")]; };
for (const l of readFileSync("/tmp/ge-tg2/verdicts-votes-1.jsonl", "utf8").trim().split("\n")) {
  const v = JSON.parse(l); const p = held.get(v.id);
  for (const c of v.conditions) {
    const [f, s] = c.order === "ab" ? [p.response_a, p.response_b] : [p.response_b, p.response_a];
    const gold = tinyCritique(p.prompt, f, s)!.split("\n");
    const got = (c.raw as string).split("\n");
    for (const k of [0, 1]) {
      const g = split(gold[k]); const h = split(got[k] ?? "");
      n++; g.forEach((x, i) => { if (h[i] !== x) { wrong[i]++; if (i === 1 && ex.length < 6) ex.push(`${[f, s][k]} || want ${x} got ${h[i]}`); } });
    }
    if (gold[2] !== got[2]) wrong[9]++;
  }
}
console.log(`${n} lines; error rate:`, names.map((x, i) => `${x} ${(100 * wrong[i] / n).toFixed(1)}%`).join(", "));
console.log(ex.join("\n"));
