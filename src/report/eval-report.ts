// The HTML report for `wz eval` results: ratings, pairwise win rates and criteria scores.
import { escapeXml, lineChart } from "./svg-chart.ts";

export interface EvalReportData {
  models: string[];
  ratings?: { model: string; rating: number; lo: number; hi: number }[];
  pairwise?: {
    a: string;
    b: string;
    winRate: number | null;
    ci: [number, number] | null;
    lengthControlled: number | null;
    n: number;
    failed: number;
  }[];
  criteria?: {
    model: string;
    mean: number | null;
    perCriterion: Record<string, number | null>;
    failed: number;
  }[];
  /** Judge accuracy (wz genrm-eval): one table per vote count. */
  accuracy?: {
    votes: number;
    rows: { name: string; value: number | null; ci: [number, number] | null; n: number }[];
  }[];
}

function bars(ratings: NonNullable<EvalReportData["ratings"]>): string {
  const W = 520;
  const rowH = 26;
  const H = rowH * ratings.length + 20;
  const lo = Math.min(...ratings.map((r) => r.lo), -50);
  const hi = Math.max(...ratings.map((r) => r.hi), 50);
  const sx = (x: number) => 130 + ((x - lo) / (hi - lo)) * (W - 150);
  const rows = ratings.map((r, i) => {
    const y = 10 + i * rowH;
    return `<text x="4" y="${y + 14}" class="tick">${escapeXml(r.model)}</text><line x1="${sx(r.lo).toFixed(1)}" x2="${sx(r.hi).toFixed(1)}" y1="${y + 10}" y2="${y + 10}" stroke="#999"/><circle cx="${sx(r.rating).toFixed(1)}" cy="${y + 10}" r="5" fill="#2563eb"/><text x="${(sx(r.hi) + 6).toFixed(1)}" y="${y + 14}" class="tick">${r.rating.toFixed(0)}</text>`;
  });
  return `<svg class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg"><title>Bradley-Terry ratings</title><line x1="${sx(0)}" x2="${sx(0)}" y1="0" y2="${H}" stroke="#e5e7eb"/>${rows.join("")}</svg>`;
}

export function renderEvalReport(data: EvalReportData): string {
  const f = (x: number | null | undefined, d = 3) => (x === null || x === undefined ? "n/a" : x.toFixed(d));
  const parts = [
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>writing-zero eval</title><style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px}table{border-collapse:collapse}td,th{border:1px solid #e5e7eb;padding:4px 8px;text-align:right}
th{background:#f9fafb}.chart{background:#fafafa;border:1px solid #e5e7eb}.tick{font-size:11px;fill:#333}</style></head><body>`,
  ];
  parts.push(`<h1>writing-zero evaluation: ${data.models.map(escapeXml).join(", ")}</h1>`);
  if (data.ratings) {
    parts.push("<h2>Bradley-Terry ratings (95% bootstrap interval)</h2>", bars(data.ratings));
  }
  if (data.pairwise) {
    parts.push(
      "<h2>Pairwise win rates (both orders; ties and inconsistent verdicts count half)</h2><table><tr><th>model</th><th>vs</th><th>win rate</th><th>95% CI</th><th>length-controlled</th><th>pairs</th><th>failed</th></tr>",
    );
    for (const p of data.pairwise) {
      parts.push(
        `<tr><td>${escapeXml(p.a)}</td><td>${escapeXml(p.b)}</td><td>${f(p.winRate)}</td><td>${p.ci ? `${f(p.ci[0])}-${f(p.ci[1])}` : "n/a"}</td><td>${f(p.lengthControlled)}</td><td>${p.n}</td><td>${p.failed}</td></tr>`,
      );
    }
    parts.push("</table>");
  }
  if (data.criteria) {
    const names = [...new Set(data.criteria.flatMap((c) => Object.keys(c.perCriterion)))];
    parts.push(
      `<h2>Criteria scores (1-10)</h2><table><tr><th>model</th><th>mean</th>${names.map((n) => `<th>${escapeXml(n)}</th>`).join("")}<th>failed</th></tr>`,
    );
    for (const c of data.criteria) {
      parts.push(
        `<tr><td>${escapeXml(c.model)}</td><td>${f(c.mean, 2)}</td>${names.map((n) => `<td>${f(c.perCriterion[n], 2)}</td>`).join("")}<td>${c.failed}</td></tr>`,
      );
    }
    parts.push("</table>");
  }
  if (data.accuracy) {
    if (data.accuracy.length > 1) {
      const acc = data.accuracy.map((a) => [a.votes, a.rows[0].value] as [number, number | null]);
      parts.push(
        lineChart("accuracy (both orders) as votes grow", [{ name: "accuracy", points: acc }]).replace(
          ">step<",
          ">votes<",
        ),
      );
    }
    for (const a of data.accuracy) {
      parts.push(
        `<h2>Judge accuracy, votes ${a.votes}</h2><table><tr><th>measure</th><th>value</th><th>95% CI</th><th>n</th></tr>`,
      );
      for (const r of a.rows) {
        parts.push(
          `<tr><td>${escapeXml(r.name)}</td><td>${f(r.value)}</td><td>${r.ci ? `${f(r.ci[0])}-${f(r.ci[1])}` : "n/a"}</td><td>${r.n}</td></tr>`,
        );
      }
      parts.push("</table>");
    }
  }
  parts.push("</body></html>");
  return parts.join("\n");
}
