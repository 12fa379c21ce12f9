// Real-browser test (issue 2): on a phone-sized screen, the student writes a logbook
// entry through the form and the tutor then reads it in the student's file.
//
// Runs the real release binary (or $LIVRET_BIN) with --demo on a fresh temporary data
// directory and a free loopback port, and drives Debian's Chromium (/usr/bin/chromium,
// or $CHROMIUM_PATH) headless through playwright-core. No browser is downloaded: a
// missing Chromium is a failure, never a skip.
//
//   node tests/browser/student_logbook.mjs
//
// Screenshots go to tests/browser/artifacts/ (student-logbook.png, tutor-logbook.png).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');
const ARTIFACTS = join(HERE, 'artifacts');
const BIN = process.env.LIVRET_BIN
  ? resolve(process.env.LIVRET_BIN)
  : join(REPO, 'target', 'release', 'livret');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const OVERALL_TIMEOUT_MS = 120_000;
const STEP_TIMEOUT_MS = 15_000;

const STUDENT = 'Maël Ferrand';
const TUTOR = 'Hélène Caillé';
// Unique per run, with accents, typographic quotes, a dash and "n°", so that encoding
// problems anywhere between the form and the tutor's page show up.
const RUN_ID = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
const TASKS = `Contrôle de continuité des conducteurs — tableau n°2, « essai » réussi (réf. ${RUN_ID})`;
const NOTES = "J'ai vérifié l'équipotentialité de la salle d'eau avec Mme Caillé.";

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  locale: 'fr-FR',
  timezoneId: 'Europe/Paris',
  userAgent:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36',
};

// ---------------------------------------------------------------------------------
// Process bookkeeping: the server and the browser are always ended, whatever happens.

let server = null;
let serverLog = '';
let browser = null;
let dataDir = null;

function killServer() {
  if (server && server.exitCode === null && server.signalCode === null) {
    try {
      server.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

function cleanupSync() {
  killServer();
  if (dataDir) {
    try {
      rmSync(dataDir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
}

process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    cleanupSync();
    process.exit(1);
  });
}

// The whole file is bounded: past this, everything is killed and the run fails.
const watchdog = setTimeout(() => {
  console.error(`FAIL: the browser test exceeded ${OVERALL_TIMEOUT_MS / 1000} s; killing everything.`);
  if (serverLog) console.error(`--- server output ---\n${serverLog}`);
  try {
    browser?.process()?.kill('SIGKILL');
  } catch {
    /* ignore */
  }
  cleanupSync();
  process.exit(1);
}, OVERALL_TIMEOUT_MS + 15_000);
watchdog.unref();

after(async () => {
  if (browser) await browser.close().catch(() => {});
  killServer();
  if (server && server.exitCode === null && server.signalCode === null) {
    await new Promise((r) => {
      const t = setTimeout(r, 5_000);
      server.once('exit', () => {
        clearTimeout(t);
        r();
      });
    });
  }
  cleanupSync();
});

// ---------------------------------------------------------------------------------
// Helpers.

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Starts the binary with --demo; resolves with { base, links } once /healthz is 200. */
async function startServer() {
  dataDir = mkdtempSync(join(tmpdir(), 'livret-browser-'));
  const port = await freePort();
  const listen = `127.0.0.1:${port}`;
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('LIVRET_')),
  );
  env.RUST_LOG = env.RUST_LOG || 'info,sled=warn';
  server = spawn(BIN, ['serve', '--demo', '--data', dataDir, '--listen', listen], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const links = new Map(); // full name -> { role, url }
  let stdoutBuf = '';
  server.stdout.setEncoding('utf8');
  server.stderr.setEncoding('utf8');
  server.stdout.on('data', (chunk) => {
    serverLog += chunk;
    stdoutBuf += chunk;
    let nl;
    while ((nl = stdoutBuf.indexOf('\n')) >= 0) {
      const line = stdoutBuf.slice(0, nl).trim();
      stdoutBuf = stdoutBuf.slice(nl + 1);
      const m = /^(élève|tuteur|référent|coordination) (.+?): (https?:\/\/\S+)$/u.exec(line);
      if (m) links.set(m[2], { role: m[1], url: m[3] });
    }
  });
  server.stderr.on('data', (chunk) => {
    serverLog += chunk;
  });
  const exited = new Promise((res) => server.once('exit', (code, sig) => res({ code, sig })));

  const base = `http://${listen}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const gone = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 100))]);
    if (gone) {
      throw new Error(
        `livret exited early (code ${gone.code}, signal ${gone.sig}).\n--- server output ---\n${serverLog}`,
      );
    }
    if (links.has(STUDENT) && links.has(TUTOR)) {
      try {
        const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) });
        if (r.status === 200) break;
      } catch {
        /* not listening yet */
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `livret did not become ready within 30 s (links seen: ${[...links.keys()].join(', ') || 'none'}).\n--- server output ---\n${serverLog}`,
      );
    }
  }
  return { base, links };
}

/**
 * Watches a browser context: console errors, page errors, CSP violations, failed or
 * erroring requests, and any request leaving 127.0.0.1.
 */
const watched = []; // every context's { problems, offsite }, printed when a step fails

async function watch(context, origin, label) {
  const problems = [];
  const offsite = [];
  watched.push({ problems, offsite });
  await context.exposeBinding('__livretCspViolation', (_src, v) => {
    problems.push(`[${label}] CSP violation: ${v.directive} blocked ${v.blocked} on ${v.page}`);
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__livretCspViolation({
        directive: e.violatedDirective,
        blocked: e.blockedURI,
        page: e.documentURI,
      });
    });
  });
  // Nothing may leave the machine: any request to another host is recorded and aborted.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    let host = null;
    try {
      const u = new URL(url);
      host = u.protocol === 'data:' || u.protocol === 'blob:' ? '127.0.0.1' : u.hostname;
    } catch {
      /* unparsable */
    }
    if (host !== '127.0.0.1') return route.abort('blockedbyclient'); // recorded below
    return route.continue();
  });
  context.on('request', (req) => {
    let u;
    try {
      u = new URL(req.url());
    } catch {
      offsite.push(`[${label}] ${req.method()} ${req.url()} (unparsable URL)`);
      return;
    }
    if (!['data:', 'blob:'].includes(u.protocol) && u.hostname !== '127.0.0.1') {
      offsite.push(`[${label}] ${req.method()} ${req.url()}`);
    }
  });
  context.on('requestfailed', (req) => {
    if (new URL(req.url()).origin === origin) {
      problems.push(`[${label}] request failed: ${req.method()} ${req.url()} (${req.failure()?.errorText})`);
    }
  });
  context.on('response', (res) => {
    if (res.status() >= 400) problems.push(`[${label}] HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
  });
  context.on('page', (page) => attachPage(page));
  function attachPage(page) {
    page.on('console', (msg) => {
      if (msg.type() === 'error' || /Content Security Policy/i.test(msg.text())) {
        problems.push(`[${label}] console ${msg.type()}: ${msg.text()} (${msg.location()?.url ?? ''})`);
      }
    });
    page.on('pageerror', (err) => problems.push(`[${label}] page error: ${err.message}`));
    page.on('crash', () => problems.push(`[${label}] page crashed`));
  }
  return { problems, offsite };
}

/** Opens a personal link, checks the GET changes nothing, then presses the button. */
async function signIn(page, url, expectedName) {
  const res = await page.goto(url);
  assert.equal(res?.status(), 200, `the personal link of ${expectedName} should answer 200`);
  assert.equal(new URL(page.url()).pathname, new URL(url).pathname, 'the GET must not redirect');
  await expectVisible(page.getByRole('heading', { level: 1, name: 'Accéder à Livret' }));
  const firstName = expectedName.split(' ')[0];
  await expectVisible(page.getByText(`Bonjour ${firstName},`));
  await submitExpectingRedirect(
    page,
    () => page.getByRole('button', { name: 'Ouvrir mon espace' }).tap(),
    `signing in ${expectedName}`,
  );
  await page.waitForURL((u) => !u.pathname.startsWith('/acces/'));
  await expectVisible(page.locator('header .who-name', { hasText: expectedName }));
}

/**
 * Runs `action` (a click or tap on a submit button) and checks that the form's POST is
 * answered with a redirect (303), as every successful form of the app is; otherwise fails
 * at once with the status, the page title and the request's Origin header.
 */
async function submitExpectingRedirect(page, action, what) {
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()),
    action(),
  ]);
  if (resp.status() !== 303) {
    const req = resp.request();
    const origin = await req.headerValue('origin').catch(() => null);
    const body = await resp.text().catch(() => '');
    const title = /<title>([^<]*)<\/title>/.exec(body)?.[1] ?? '?';
    await page.waitForLoadState('load').catch(() => {});
    assert.fail(
      `${what}: POST ${resp.url()} answered ${resp.status()} ("${title}") instead of a 303 redirect; ` +
        `the browser sent Origin: ${origin ?? '(none)'}`,
    );
  }
}

async function expectVisible(locator) {
  await locator.first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
}

/** Fails if the page scrolls sideways at this width (a common mobile layout defect). */
async function assertNoHorizontalOverflow(page, what) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `${what}: the page is ${scroll}px wide in a ${client}px viewport (horizontal scroll)`);
}

// ---------------------------------------------------------------------------------

let activePage = null; // the page being driven, for a screenshot when a step fails

test(
  'a student writes a logbook entry on a phone and the tutor reads it',
  { timeout: OVERALL_TIMEOUT_MS },
  async () => {
    try {
      await scenario();
    } catch (err) {
      if (activePage && !activePage.isClosed()) {
        const shot = join(ARTIFACTS, 'failure.png');
        await activePage
          .screenshot({ path: shot, fullPage: true, timeout: 5_000 })
          .then(() => console.error(`# failure screenshot: ${shot} (at ${activePage.url()})`))
          .catch(() => {});
      }
      const seen = watched.flatMap((w) => [...w.problems, ...w.offsite]);
      if (seen.length) console.error(`--- browser problems seen so far ---\n${seen.join('\n')}`);
      const tail = serverLog.split('\n').slice(-40).join('\n');
      if (tail.trim()) console.error(`--- last lines of the server output ---\n${tail}`);
      throw err;
    }
  },
);

async function scenario() {
  // Preconditions: loud failures, never skips.
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium), or run tests/run.sh which does it`,
  );
  assert.ok(existsSync(BIN), `${BIN} is missing: run \`cargo build --release\` first (or set LIVRET_BIN)`);
  accessSync(BIN, constants.X_OK);
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of ['student-logbook.png', 'tutor-logbook.png', 'failure.png']) {
    rmSync(join(ARTIFACTS, f), { force: true }); // no stale picture passes for this run's
  }

  const { base, links } = await startServer();
  const origin = new URL(base).origin;
  const student = links.get(STUDENT);
  const tutor = links.get(TUTOR);
  assert.equal(student.role, 'élève', `${STUDENT} should be printed as élève`);
  assert.equal(tutor.role, 'tuteur', `${TUTOR} should be printed as tuteur`);
  for (const { url } of links.values()) {
    assert.equal(new URL(url).origin, origin, `printed link ${url} should point at ${origin}`);
  }

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });

  // ---- The student, on a phone -------------------------------------------------
  const sctx = await browser.newContext(PHONE);
  sctx.setDefaultTimeout(STEP_TIMEOUT_MS);
  sctx.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  const sw = await watch(sctx, origin, 'élève');
  const sp = await sctx.newPage();
  activePage = sp;

  await signIn(sp, student.url, STUDENT);
  assert.match(new URL(sp.url()).pathname, /^\/stages\/[^/]+$/, 'the student lands on his placement');
  const placementPath = new URL(sp.url()).pathname;
  await expectVisible(sp.getByRole('heading', { level: 1, name: 'Ma période en entreprise' }));
  await assertNoHorizontalOverflow(sp, 'student placement page');

  const entriesBefore = await (async () => {
    await Promise.all([
      sp.waitForURL(`**${placementPath}/journal`),
      sp.getByRole('link', { name: /^Journal de bord/ }).click(),
    ]);
    await expectVisible(sp.getByRole('heading', { level: 1, name: 'Journal de bord' }));
    return sp.locator('ol.entries > li').count();
  })();
  assert.ok(entriesBefore >= 1, 'the demo logbook should already hold a week of entries');

  await Promise.all([
    sp.waitForURL(`**${placementPath}/journal/nouvelle`),
    sp.getByRole('link', { name: 'Écrire une entrée' }).click(),
  ]);
  await expectVisible(sp.getByRole('heading', { level: 1, name: 'Nouvelle entrée' }));
  await assertNoHorizontalOverflow(sp, 'new entry form');
  const date = await sp.locator('#date').inputValue();
  assert.match(date, /^\d{4}-\d{2}-\d{2}$/, 'the date should be prefilled with today');
  // Typed like a person would, on the touch screen.
  await sp.locator('#hours').tap();
  await sp.locator('#hours').fill('7h30');
  await sp.locator('#tasks').tap();
  await sp.locator('#tasks').fill(TASKS);
  await sp.locator('#notes').fill(NOTES);
  await submitExpectingRedirect(
    sp,
    () => sp.getByRole('button', { name: "Enregistrer l'entrée" }).tap(),
    'saving the logbook entry',
  );
  await sp.waitForURL((u) => u.pathname === `${placementPath}/journal`);

  const flash = sp.locator('p.flash');
  await expectVisible(flash);
  assert.equal((await flash.innerText()).trim(), 'Entrée enregistrée dans le journal de bord.');
  const items = sp.locator('ol.entries > li');
  assert.equal(await items.count(), entriesBefore + 1, 'exactly one entry should have been added');
  const first = items.first();
  assert.ok((await first.innerText()).includes(TASKS), 'the new entry should be first in the list, text intact');
  assert.ok((await first.innerText()).includes(NOTES), 'the notes should be shown with the entry');
  assert.match(await first.locator('.hours').innerText(), /7\s*h\s*30/, 'hours shown as 7 h 30');
  await assertNoHorizontalOverflow(sp, 'student logbook');
  await sp.screenshot({ path: join(ARTIFACTS, 'student-logbook.png'), fullPage: true });

  // Reloading the list must not store the entry twice nor show the flash again.
  await sp.reload();
  assert.equal(await sp.locator('ol.entries > li').count(), entriesBefore + 1, 'reload must not duplicate');
  assert.equal(await sp.locator('p.flash').count(), 0, 'the flash is shown once');
  await sctx.close();

  // ---- The tutor, on her own phone ---------------------------------------------
  const tctx = await browser.newContext(PHONE);
  tctx.setDefaultTimeout(STEP_TIMEOUT_MS);
  tctx.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  const tw = await watch(tctx, origin, 'tuteur');
  const tp = await tctx.newPage();
  activePage = tp;

  await signIn(tp, tutor.url, TUTOR);
  await expectVisible(tp.getByRole('heading', { level: 1, name: 'Mes stagiaires' }));
  await assertNoHorizontalOverflow(tp, 'tutor home');
  await Promise.all([
    tp.waitForURL((u) => u.pathname === placementPath),
    tp.getByRole('link', { name: new RegExp(STUDENT) }).tap(),
  ]);
  await expectVisible(tp.getByRole('heading', { level: 1, name: `Dossier de ${STUDENT}` }));
  await assertNoHorizontalOverflow(tp, 'tutor: student file');
  await Promise.all([
    tp.waitForURL((u) => u.pathname === `${placementPath}/journal`),
    tp.getByRole('link', { name: /^Journal de bord/ }).tap(),
  ]);
  await expectVisible(tp.getByRole('heading', { level: 1, name: `Journal de bord de ${STUDENT}` }));
  const tItems = tp.locator('ol.entries > li');
  assert.equal(await tItems.count(), entriesBefore + 1, 'the tutor sees every entry');
  assert.ok((await tItems.first().innerText()).includes(TASKS), "the tutor sees the student's new entry, first");
  assert.equal(
    await tp.getByRole('link', { name: 'Écrire une entrée' }).count(),
    0,
    'the tutor cannot write in the student logbook',
  );
  await assertNoHorizontalOverflow(tp, 'tutor logbook');
  await tp.screenshot({ path: join(ARTIFACTS, 'tutor-logbook.png'), fullPage: true });
  await tctx.close();

  // ---- Nothing went wrong along the way ----------------------------------------
  const problems = [...sw.problems, ...tw.problems];
  assert.deepEqual(problems, [], `console errors, CSP violations or failed requests:\n${problems.join('\n')}`);
  const offsite = [...sw.offsite, ...tw.offsite];
  assert.deepEqual(offsite, [], `requests left 127.0.0.1:\n${offsite.join('\n')}`);

  console.log(`# screenshots: ${join(ARTIFACTS, 'student-logbook.png')}, ${join(ARTIFACTS, 'tutor-logbook.png')}`);
}
