// The NestJS service's PDF path, as its source does it, for make bench's
// ratio: one browser kept for the process, a new page per request, viewport
// 1200x1600, setContent with waitUntil networkidle0, A4, printBackground,
// margins 10 mm top and bottom, 30 s timeouts. Launch options as the NestJS
// service's (--single-process among them). Usage:
//   node pdf.mjs <page.html> <clients> <seconds>
// prints one JSON line: {"pdfs", "failures", "errors", "p50_ms", "p99_ms", "seconds"}.
import { readFileSync } from "node:fs";
import puppeteer from "puppeteer-core";

const [file, clientsArg, secondsArg] = process.argv.slice(2);
const html = readFileSync(file, "utf8");
const clients = Number(clientsArg);
const seconds = Number(secondsArg);

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-setuid-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
         "--single-process", "--no-zygote", "--disable-background-networking"],
});

async function pdf() {
  const page = await browser.newPage();
  try {
    await page.setViewport({ width: 1200, height: 1600 });
    await page.setContent(html, { waitUntil: "networkidle0", timeout: 30000 });
    return await page.pdf({ format: "A4", printBackground: true, margin: { top: "10mm", bottom: "10mm" }, timeout: 30000 });
  } finally {
    await page.close().catch(() => {});
  }
}

const latencies = [];
const errors = {};
let failures = 0;
const started = Date.now();
const deadline = started + seconds * 1000;
async function client() {
  while (Date.now() < deadline) {
    const t0 = Date.now();
    try {
      await pdf();
      latencies.push(Date.now() - t0);
    } catch (error) {
      failures += 1;
      errors[error.name] = (errors[error.name] || 0) + 1;
    }
  }
}
await Promise.all(Array.from({ length: clients }, client));
const elapsed = (Date.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const quantile = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : NaN);
console.log(JSON.stringify({ pdfs: latencies.length, failures, errors, p50_ms: quantile(0.5), p99_ms: quantile(0.99), seconds: elapsed }));
await browser.close().catch(() => {});
