/**
 * report.html as a person opens it: each fixture's rendered report is loaded from the file system in
 * headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core), with no network. Checks: no
 * console error, no request but the file itself, the charts are laid out with a real size and show the
 * run's numbers, the page fits a laptop's width; a full-page screenshot is saved next to the html.
 *
 * Without Chromium the tests are skipped with the reason, except under CI=true where that is a failure.
 * CHROMIUM overrides the executable's path. Run with `npx mocha --config .mocharc.browser.json` (about 10 s).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { renderHtml } from '../../reports/html.ts';
import type { RunReport } from '../../reports/render.ts';

const root = join(import.meta.dirname, '..', '..');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const missing = existsSync(executablePath)
  ? undefined
  : `${executablePath} not found (apt-get install -y chromium, or set CHROMIUM)`;

const FIXTURES: { file: string; charts: number; texts: Record<string, string[]> }[] = [
  {
    file: 'autoscaling-steps.run.json',
    charts: 5,
    texts: {
      '#outcome': ['PASSED'],
      '#scale-up': [
        '44.9 s (reaction 42.9 s',
        '30.3 s (reaction 28.1 s',
        '30.6 s (reaction 13.2 s',
        'floor 15.0 s',
      ],
      '#timeline-web': ['HPA desired', 'seconds from load start'],
      '#startup': ['created → ready', 'n=10'],
    },
  },
  {
    file: 'startup-probe.run.json',
    charts: 6,
    texts: {
      '#outcome': ['FAILED'],
      '#restarts': ['4 restarts (4 probable false kills)', '0 restarts'],
      '#probes': ['liveness 8, readiness 15', 'startup 6'],
      '#timeline-liveness-only': ['restarts by cause', 'liveness'],
      '#compare': ['liveness-only', 'with-startup'],
    },
  },
];

describe('report.html in headless Chromium', function () {
  this.timeout(60_000);
  if (missing && process.env.CI !== 'true') {
    it.skip(`skipped: ${missing}`, () => {});
    return;
  }

  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'probelab-report-browser-'));
  before(async () => {
    assert.equal(missing, undefined, `CI=true needs Chromium: ${missing}`);
    browser = await chromium.launch({ executablePath });
  });
  after(async () => {
    await browser?.close();
  });

  for (const f of FIXTURES) {
    it(`${f.file}: opens offline with no error, ${f.charts} charts with a size and the run's numbers`, async () => {
      const report = JSON.parse(
        readFileSync(join(root, 'test', 'fixtures', 'runs', f.file), 'utf8'),
      ) as RunReport;
      const html = join(dir, f.file.replace('.run.json', '.report.html'));
      writeFileSync(html, await renderHtml(report));
      const url = pathToFileURL(html).href;

      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(url, { waitUntil: 'load' });

      assert.deepEqual(errors, []);
      assert.deepEqual(requests, [url], 'the page loads nothing but itself');
      assert.equal(await page.locator('script').count(), 0);

      const svgs = page.locator('figure > svg');
      assert.equal(await svgs.count(), f.charts);
      for (let i = 0; i < f.charts; i++) {
        const box = await svgs.nth(i).boundingBox();
        assert.ok(box && box.width > 200 && box.height > 80, `chart ${i} has a size: ${JSON.stringify(box)}`);
        assert.ok(box.x >= 0 && box.x + box.width <= 1280, `chart ${i} fits the width`);
      }
      // vega's SVG shapes are painted, not empty: some line/path with a stroke inside every chart
      const painted = await page.$$eval('figure > svg', (els) =>
        els.map((svg) => svg.querySelectorAll('path, line, rect').length),
      );
      for (const n of painted) assert.ok(n > 10, `shapes: ${painted.join(',')}`);

      for (const [selector, texts] of Object.entries(f.texts)) {
        const text = (await page.locator(selector).textContent()) ?? '';
        for (const t of texts) assert.ok(text.includes(t), `${selector} shows "${t}"`);
      }
      const scrollWidth = Number(await page.evaluate('document.documentElement.scrollWidth'));
      assert.ok(scrollWidth <= 1280, `no horizontal scroll at 1280 px (${scrollWidth})`);

      const png = html.replace(/\.html$/, '.png');
      await page.screenshot({ path: png, fullPage: true });
      assert.ok(statSync(png).size > 50_000, 'a screenshot with content');
      await page.close();
    });
  }
});
