// A report opened in a real headless browser (Debian's chromium through playwright-core), with
// every console error and page error collected for the test to assert on.
import { resolve } from "node:path";
import { chromium, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export async function withReportPage(
  htmlPath: string,
  body: (page: Page, errors: string[]) => Promise<void>,
): Promise<void> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`file://${resolve(htmlPath)}`);
    await body(page, errors);
  } finally {
    await browser.close();
  }
}
