// The look every HTML report shares: the page, headings and the chart boxes of svg-chart.ts.
export const BASE_CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#111;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}
.charts{display:flex;flex-wrap:wrap;gap:12px}
.chart{background:#fafafa;border:1px solid #e5e7eb;border-radius:6px}
.chart-title{font-weight:600;font-size:12px}.tick,.legend{font-size:10px;fill:#555}.grid{stroke:#e5e7eb}
`;
