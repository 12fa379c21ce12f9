// Lighthouse measurement (issue 4), not a test: scores of the student's pages on the
// mobile preset (Lighthouse's default: a mid-range phone, simulated slow 4G and CPU
// slowed 4×), with Debian's Chromium. Targets: accessibility, best practices and
// performance ≥ 95 each. Each page is measured LIGHTHOUSE_RUNS times (default 3);
// prints per page and category the median score (lowest–highest), then, for the run of
// median performance, every audit of those categories that did not pass.
//
//   cargo build --release
//   node tests/browser/lighthouse.mjs          # LIVRET_BIN, CHROMIUM_PATH as for the tests
//
// It starts the release binary with --demo on a temporary directory, measures the
// sign-in confirmation page of Maël Ferrand's personal link (before it is used: opening
// it changes nothing), signs him in with playwright-core to get the session cookie,
// then measures his placement page and his logbook with that cookie (Lighthouse's
// `extraHeaders`). Exit code 1 when a median score is under its target.
//
// package.json pins (`overrides`) the two dependencies that Lighthouse's trace engine
// asks for as "latest": without that, `npm ci` refuses the lock file as soon as a newer
// version of either is published.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lighthouse from 'lighthouse';
import { chromium } from 'playwright-core';
import { PHONE, startServer } from './harness.mjs';

const STUDENT = 'Maël Ferrand';
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CATEGORIES = ['accessibility', 'best-practices', 'performance'];
const TARGET = 95;
/** Runs per page (`LIGHTHOUSE_RUNS`, default 3); the median is reported. */
const RUNS = Math.max(1, Number(process.env.LIGHTHOUSE_RUNS) || 3);

const links = new Map(); // full name -> personal link
const { origin } = await startServer({
  flags: ['--demo'],
  onLine: (line) => {
    const m = /^(élève|tuteur|référent|coordination) (.+?): (https?:\/\/\S+)$/u.exec(line);
    if (m) links.set(m[2], m[3]);
  },
  ready: () => links.has(STUDENT),
});
const link = links.get(STUDENT);

// Lighthouse drives a Chromium of its own through the DevTools port: a fresh one with
// an empty profile for each page, so that no cookie from a page measured before (the
// confirmation page sets one) takes the place of the session cookie Lighthouse sends.
const running = new Set(); // { chrome, profile }
process.on('exit', () => {
  for (const { chrome, profile } of running) {
    chrome.kill('SIGKILL');
    try {
      rmSync(profile, { recursive: true, force: true });
    } catch {
      /* Chromium still writing: left in the temporary directory */
    }
  }
});

/** Starts Chromium on a new profile; resolves with `{ port, close() }`. */
async function startChromium() {
  const profile = mkdtempSync(join(tmpdir(), 'livret-lighthouse-'));
  const chrome = spawn(
    CHROMIUM,
    [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const handle = { chrome, profile };
  running.add(handle);
  const exited = new Promise((resolve) => chrome.once('exit', resolve));
  const port = await new Promise((resolve, reject) => {
    let err = '';
    chrome.stderr.setEncoding('utf8');
    chrome.stderr.on('data', (chunk) => {
      err += chunk;
      const m = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(err);
      if (m) resolve(Number(m[1]));
    });
    exited.then((code) => reject(new Error(`chromium exited (${code}):\n${err}`)));
  });
  return {
    port,
    async close() {
      chrome.kill('SIGTERM');
      await exited;
      running.delete(handle);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Runs Lighthouse on `url` (sending `cookie` when given); resolves with its report. */
async function measure(url, cookie) {
  const chrome = await startChromium();
  try {
    const result = await lighthouse(url, {
      port: chrome.port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: CATEGORIES,
      extraHeaders: cookie ? { Cookie: cookie } : undefined,
    });
    if (!result) throw new Error(`lighthouse gave no result for ${url}`);
    if (result.lhr.runtimeError) throw new Error(`${url}: ${result.lhr.runtimeError.message}`);
    return result.lhr;
  } finally {
    await chrome.close();
  }
}

/** Percentage score of `category` in a report. */
const score = (lhr, category) => Math.round((lhr.categories[category]?.score ?? 0) * 100);

/**
 * Measures `url` `RUNS` times (Lighthouse's own advice: scores vary from run to run,
 * performance most, on a busy machine); resolves with `{ runs, median }` where
 * `median` is the run of median performance score.
 */
async function measureRuns(url, cookie) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await measure(url, cookie));
  const sorted = [...runs].sort((a, b) => score(a, 'performance') - score(b, 'performance'));
  return { runs, median: sorted[Math.floor(sorted.length / 2)] };
}

const reports = [];
reports.push(['connexion (lien personnel)', await measureRuns(link)]);

// The student signs in (the confirmation page's button), which gives the cookie.
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
const context = await browser.newContext(PHONE);
const page = await context.newPage();
await page.goto(link);
await Promise.all([
  page.waitForURL((u) => !u.pathname.startsWith('/acces/')),
  page.getByRole('button', { name: 'Ouvrir mon espace' }).click(),
]);
// The printed link is an invitation (issue 7): it proposes a passkey first; "Plus tard"
// goes on to the student's placement.
await Promise.all([
  page.waitForURL((u) => u.pathname !== '/cles-d-acces/nouvelle'),
  page.getByRole('link', { name: 'Plus tard' }).click(),
]);
const placement = new URL(page.url()).pathname;
const cookie = (await context.cookies(origin))
  .filter((c) => c.name === 'livret' || c.name === '__Host-livret')
  .map((c) => `${c.name}=${c.value}`)
  .join('; ');
await browser.close();

reports.push(['PFMP (page de la période)', await measureRuns(`${origin}${placement}`, cookie)]);
reports.push(['journal de bord', await measureRuns(`${origin}${placement}/journal`, cookie)]);

let below = 0;
const first = reports[0][1].median;
console.log(
  `\nLighthouse ${first.lighthouseVersion}, ${first.environment.hostUserAgent.match(/Chrome\/[\d.]+/)?.[0]}, ` +
    `mobile preset; median of ${RUNS} run(s) per page (lowest–highest)`,
);
console.log(`${'page'.padEnd(30)} ${CATEGORIES.map((c) => c.padStart(18)).join('')}`);
for (const [name, { runs }] of reports) {
  const cells = CATEGORIES.map((c) => {
    const all = runs.map((r) => score(r, c)).sort((a, b) => a - b);
    const median = all[Math.floor(all.length / 2)];
    if (median < TARGET) below += 1;
    return `${median} (${all[0]}–${all[all.length - 1]})`.padStart(18);
  });
  console.log(`${name.padEnd(30)} ${cells.join('')}`);
}
for (const [name, { median: lhr }] of reports) {
  for (const c of CATEGORIES) {
    for (const ref of lhr.categories[c].auditRefs) {
      const audit = lhr.audits[ref.id];
      if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
        console.log(`  ${name} / ${c}: ${audit.id} (${audit.score}) ${audit.title}${audit.displayValue ? ` — ${audit.displayValue}` : ''}`);
      }
    }
  }
  const m = (id) => lhr.audits[id]?.displayValue ?? '?';
  console.log(
    `  ${name}: FCP ${m('first-contentful-paint')}, LCP ${m('largest-contentful-paint')}, TBT ${m('total-blocking-time')}, CLS ${m('cumulative-layout-shift')}, ${m('total-byte-weight')}`,
  );
}
process.exit(below ? 1 : 0);
