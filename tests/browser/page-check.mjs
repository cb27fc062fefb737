// Opens a page of the service in Debian's Chromium (puppeteer-core) as a
// reader would, at 1280 and 390 px wide, and reports what a test checks:
// a screenshot per width, the page's language, heading and text, its Open
// Graph, Twitter and robots tags, the LinkedIn link, every request the page
// made (none may leave for another host), Content-Security-Policy reports,
// and Deque's axe-core violations (run through the DevTools protocol, which
// the page's policy does not govern).
// Usage: node page-check.mjs URL SCREENSHOT_PREFIX [ACCEPT_LANGUAGE]
// Prints one line of JSON.
import fs from 'node:fs';
import {createRequire} from 'node:module';
import puppeteer from 'puppeteer-core';

const [url, prefix, language = 'en'] = process.argv.slice(2);
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const report = {requests: [], foreign: [], csp: [], screenshots: []};
try {
  for(const width of [1280, 390]) {
    const page = await browser.newPage();
    await page.setViewport({width, height: 900});
    await page.setExtraHTTPHeaders({'Accept-Language': language});
    const origin = new URL(url).origin;
    page.on('request', request => {
      report.requests.push(request.url());
      if(!request.url().startsWith(origin) && !request.url().startsWith('data:')) {
        report.foreign.push(request.url());
      }
    });
    page.on('console', message => {
      if(/Content.Security.Policy|Refused to/i.test(message.text())) {
        report.csp.push(message.text());
      }
    });
    const answer = await page.goto(url, {waitUntil: 'networkidle0'});
    report.status = answer.status();
    const screenshot = `${prefix}-${width}.png`;
    await page.screenshot({path: screenshot, fullPage: true});
    report.screenshots.push(screenshot);
    report.overflows = (report.overflows ?? false) ||
      await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    if(width === 1280) {
      Object.assign(report, await page.evaluate(() => ({
        lang: document.documentElement.lang,
        title: document.title,
        h1: document.querySelector('h1')?.textContent,
        text: document.body.innerText,
        meta: Object.fromEntries([...document.querySelectorAll('meta[property], meta[name]')]
          .map(meta => [meta.getAttribute('property') ?? meta.getAttribute('name'), meta.content])),
        linkedin: [...document.querySelectorAll('a')].map(a => new URL(a.href))
          .filter(link => link.hostname.endsWith('linkedin.com'))
          .map(link => ({host: link.hostname, path: link.pathname, query: Object.fromEntries(link.searchParams)}))[0],
        styled: getComputedStyle(document.querySelector('main')).maxWidth !== 'none',
      })));
      await page.evaluate(axeSource);
      const axe = await page.evaluate(() => window.axe.run(document, {resultTypes: ['violations']}));
      report.violations = axe.violations.map(({id, impact, help}) => ({id, impact, help}));
    }
    await page.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
