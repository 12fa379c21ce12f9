// What every real-browser test of Livret shares: it runs the real release binary (or
// $LIVRET_BIN) on a fresh temporary data directory and a free loopback port, drives
// Debian's Chromium (/usr/bin/chromium, or $CHROMIUM_PATH) headless through
// playwright-core on a phone-sized screen, watches each browser context for console
// errors, CSP violations, failed requests and requests leaving the machine, and always
// ends the server and the browser, whatever happens. No browser is downloaded: a
// missing Chromium is a failure, never a skip.
//
// One test file = one scenario = one server: call `scenario(...)` once at the top level.

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
/** Where screenshots go (git-ignored). */
export const ARTIFACTS = join(HERE, 'artifacts');
const BIN = process.env.LIVRET_BIN ? resolve(process.env.LIVRET_BIN) : join(REPO, 'target', 'release', 'livret');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** Longest wait for one element or one navigation, in milliseconds. */
export const STEP_TIMEOUT_MS = 15_000;

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  // Livret is served at http://localhost:<port> (passkeys need a host name, issue 7)
  // and listens on 127.0.0.1 only: never try ::1 first.
  '--host-resolver-rules=MAP localhost 127.0.0.1',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** A phone: 390×844 CSS pixels, touch, French, in the school's time zone. */
export const PHONE = {
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
let activePage = null; // the page being driven, for a screenshot when a step fails
const watched = []; // every context's { problems, offsite }, printed when a step fails

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

/**
 * Declares the file's one test. `run` gets nothing and drives the whole scenario; it is
 * bounded by `timeoutMs` (past it plus 15 s, a watchdog kills everything). Before it
 * runs: Chromium and the binary must exist (loud failures, never skips) and the
 * `artifacts` it will write are deleted, so that no stale picture passes for this run's.
 * On failure: a screenshot of the active page (artifacts/failure.png), the browser
 * problems seen so far and the end of the server output are printed.
 */
export function scenario(name, { timeoutMs, artifacts }, run) {
  const watchdog = setTimeout(() => {
    console.error(`FAIL: the browser test exceeded ${timeoutMs / 1000} s; killing everything.`);
    if (serverLog) console.error(`--- server output ---\n${serverLog}`);
    try {
      browser?.process()?.kill('SIGKILL');
    } catch {
      /* ignore */
    }
    cleanupSync();
    process.exit(1);
  }, timeoutMs + 15_000);
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

  test(name, { timeout: timeoutMs }, async () => {
    try {
      assert.ok(
        existsSync(CHROMIUM),
        `${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium), or run tests/run.sh which does it`,
      );
      assert.ok(existsSync(BIN), `${BIN} is missing: run \`cargo build --release\` first (or set LIVRET_BIN)`);
      accessSync(BIN, constants.X_OK);
      mkdirSync(ARTIFACTS, { recursive: true });
      for (const f of [...artifacts, 'failure.png']) rmSync(join(ARTIFACTS, f), { force: true });
      await run();
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
  });
}

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

let lastPort = null;

/**
 * Starts `livret serve <flags> --data <fresh temp dir> --listen 127.0.0.1:<free port>`
 * with no LIVRET_* variable from the environment (so no SMTP server either) but those
 * of `env`. Every trimmed stdout line is given to `onLine`; resolves with
 * `{ base, origin }` once `ready()` is true and /healthz answers 200, fails after 30 s
 * or if the server exits. With `restart: true` (after `stopServer()`), the same data
 * directory and port are used again: a new version of the service at the same origin.
 */
export async function startServer({ flags = [], onLine = () => {}, ready = () => true, env: extraEnv = {}, restart = false } = {}) {
  assert.ok(!restart || (dataDir && lastPort), 'restart: true needs a server started before');
  if (!restart) dataDir = mkdtempSync(join(tmpdir(), 'livret-browser-'));
  const port = restart ? lastPort : await freePort();
  lastPort = port;
  const listen = `127.0.0.1:${port}`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LIVRET_')));
  Object.assign(env, extraEnv);
  env.RUST_LOG = env.RUST_LOG || 'info,sled=warn';
  server = spawn(BIN, ['serve', ...flags, '--data', dataDir, '--listen', listen], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
      onLine(line);
    }
  });
  server.stderr.on('data', (chunk) => {
    serverLog += chunk;
  });
  const exited = new Promise((res) => server.once('exit', (code, sig) => res({ code, sig })));

  // The public address is localhost (the default for a loopback listen address);
  // Node's own requests go straight to 127.0.0.1.
  const base = `http://localhost:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const gone = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 100))]);
    if (gone) {
      throw new Error(`livret exited early (code ${gone.code}, signal ${gone.sig}).\n--- server output ---\n${serverLog}`);
    }
    if (ready()) {
      try {
        const r = await fetch(`http://${listen}/healthz`, { signal: AbortSignal.timeout(2_000) });
        if (r.status === 200) break;
      } catch {
        /* not listening yet */
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`livret did not become ready within 30 s.\n--- server output ---\n${serverLog}`);
    }
  }
  return { base, origin: new URL(base).origin };
}

/** Stops the server (SIGTERM, then SIGKILL after 10 s) and waits until it has exited. */
export async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const gone = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  const t = setTimeout(() => killServer(), 10_000);
  await gone;
  clearTimeout(t);
}

/**
 * Opens a new phone (a browser context with its own cookies, like another person's
 * device) on the page `origin`, watched under `label`, and makes its page the active
 * one; `options` are more browser-context options (`{ javaScriptEnabled: false }`).
 * Resolves with `{ context, page, watch }` (see `watch`).
 */
export async function phone(origin, label, options = {}) {
  browser ??= await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
  // Off-site requests go to a closed port of this machine and fail; 127.0.0.1 is
  // reached directly.
  const context = await browser.newContext({ ...PHONE, proxy: { server: 'http://127.0.0.1:9', bypass: '127.0.0.1,localhost' }, ...options });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  const w = await watch(context, origin, label);
  const page = await context.newPage();
  activePage = page;
  return { context, page, watch: w };
}

/** Makes `page` the one photographed if a step fails. */
export function drive(page) {
  activePage = page;
}

/**
 * Watches a browser context: console errors, page errors, CSP violations, failed or
 * erroring (≥ 400) requests, and any request leaving 127.0.0.1 (aborted). Returns
 * `{ problems, offsite, allow(status, pathname) }`: `allow` declares one error answer the
 * scenario expects (a locked link's 410), which is then neither a problem nor is the
 * console line Chromium prints for it.
 */
async function watch(context, origin, label) {
  const problems = [];
  const offsite = [];
  const allowed = [];
  const isAllowed = (status, url) => {
    try {
      const u = new URL(url);
      return u.origin === origin && allowed.some((a) => a.status === status && a.pathname === u.pathname);
    } catch {
      return false;
    }
  };
  // `w.offline = true` while the scenario has cut the network: requests that fail for
  // that reason are expected then (the service worker falls back to the device).
  // `w.allowAborted(pathname)`: requests to that path may be cut short by the page going
  // away (an offline outbox's sync request: it is sent again, the server stores it once).
  const abortable = [];
  const w = {
    problems,
    offsite,
    offline: false,
    allow: (status, pathname) => allowed.push({ status, pathname }),
    allowAborted: (pathname) => abortable.push(pathname),
  };
  const offlineFailure = (text) => w.offline && /ERR_INTERNET_DISCONNECTED/.test(text || '');
  watched.push(w);
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
  // Nothing may leave the machine: any request to another host is recorded below and
  // fails at the dead proxy every phone is given (see `phone`). Not `context.route`:
  // request interception hides the redirects of pages a service worker controls.
  context.on('request', (req) => {
    let u;
    try {
      u = new URL(req.url());
    } catch {
      offsite.push(`[${label}] ${req.method()} ${req.url()} (unparsable URL)`);
      return;
    }
    if (!['data:', 'blob:'].includes(u.protocol) && !['127.0.0.1', 'localhost'].includes(u.hostname)) {
      offsite.push(`[${label}] ${req.method()} ${req.url()}`);
    }
  });
  context.on('requestfailed', (req) => {
    const error = req.failure()?.errorText;
    // A service worker's fetch of a page that redirects (redirect: "manual") shows as an
    // aborted request for the redirect's target; the page's own navigation then loads it.
    const swRedirect = !!req.serviceWorker() && error === 'net::ERR_ABORTED';
    // The tab's icon is fetched after the page has loaded: a page that follows at once
    // (offline, from the device) makes the browser drop that request.
    const droppedIcon = error === 'net::ERR_ABORTED' && /^\/assets\/livret\.[0-9a-f]+\.svg$/.test(new URL(req.url()).pathname);
    const cutShort = error === 'net::ERR_ABORTED' && abortable.includes(new URL(req.url()).pathname);
    if (new URL(req.url()).origin === origin && !offlineFailure(error) && !swRedirect && !droppedIcon && !cutShort) {
      problems.push(`[${label}] request failed: ${req.method()} ${req.url()} (${req.failure()?.errorText})`);
    }
  });
  context.on('response', (res) => {
    if (res.status() >= 400 && !isAllowed(res.status(), res.url())) {
      problems.push(`[${label}] HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
    }
  });
  context.on('page', (page) => {
    page.on('console', (msg) => {
      const status = Number(/status of (\d{3})/.exec(msg.text())?.[1]);
      if (msg.type() === 'error' && isAllowed(status, msg.location()?.url ?? '')) return;
      if (msg.type() === 'error' && offlineFailure(msg.text())) return;
      if (msg.type() === 'error' || /Content Security Policy/i.test(msg.text())) {
        problems.push(`[${label}] console ${msg.type()}: ${msg.text()} (${msg.location()?.url ?? ''})`);
      }
    });
    page.on('pageerror', (err) => problems.push(`[${label}] page error: ${err.message}`));
    page.on('crash', () => problems.push(`[${label}] page crashed`));
  });
  return w;
}

/** Fails unless every watched context stayed free of problems and off-site requests. */
export function assertNothingWentWrong() {
  const problems = watched.flatMap((w) => w.problems);
  assert.deepEqual(problems, [], `console errors, CSP violations or failed requests:\n${problems.join('\n')}`);
  const offsite = watched.flatMap((w) => w.offsite);
  assert.deepEqual(offsite, [], `requests left 127.0.0.1:\n${offsite.join('\n')}`);
}

/**
 * Opens a personal link, checks the GET answers 200 without redirecting (it changes
 * nothing), then presses "Ouvrir mon espace" and waits for the signed-in page showing
 * `expectedName`. Resolves with `{ page: the GET's response, post: the POST request }`.
 */
export async function signIn(page, url, expectedName) {
  const res = await page.goto(url);
  assert.equal(res?.status(), 200, `the personal link of ${expectedName} should answer 200`);
  assert.equal(new URL(page.url()).pathname, new URL(url).pathname, 'the GET must not redirect');
  await expectVisible(page.getByRole('heading', { level: 1, name: 'Accéder à Livret' }));
  const firstName = expectedName.split(' ')[0];
  await expectVisible(page.getByText(`Bonjour ${firstName},`));
  const post = await submitExpectingRedirect(
    page,
    () => page.getByRole('button', { name: 'Ouvrir mon espace' }).tap(),
    `signing in ${expectedName}`,
  );
  await page.waitForURL((u) => !u.pathname.startsWith('/acces/'));
  await expectVisible(page.locator('header .who-name', { hasText: expectedName }));
  return { page: res, post };
}

/**
 * Runs `action` (a click or tap on a submit button) and checks that the form's POST is
 * answered with a redirect (303), as every successful form of the app is; otherwise fails
 * at once with the status, the page title and the request's Origin header. Resolves with
 * the POST request.
 */
export async function submitExpectingRedirect(page, action, what) {
  return submitExpecting(page, action, what, 303);
}

/**
 * As `submitExpectingRedirect`, for a form answered with `status` (303, or the status of
 * the page it answers with). Returns once the page that follows has loaded, so that what
 * is checked next is never the form's page (a redirect to the same path included).
 */
export async function submitExpecting(page, action, what, status) {
  const loaded = page.waitForEvent('load');
  loaded.catch(() => {}); // awaited only on success; a failure reports the status instead
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()),
    action(),
  ]);
  const req = resp.request();
  if (resp.status() !== status) {
    const origin = await req.headerValue('origin').catch(() => null);
    const body = await resp.text().catch(() => '');
    const title = /<title>([^<]*)<\/title>/.exec(body)?.[1] ?? '?';
    await page.waitForLoadState('load').catch(() => {});
    assert.fail(
      `${what}: POST ${resp.url()} answered ${resp.status()} ("${title}") instead of ${status}; ` +
        `the browser sent Origin: ${origin ?? '(none)'}`,
    );
  }
  await loaded;
  return req;
}

/** Waits until the first element of `locator` is visible. */
export async function expectVisible(locator) {
  await locator.first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
}

/** Fails if the page scrolls sideways at this width (a common mobile layout defect). */
export async function assertNoHorizontalOverflow(page, what) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `${what}: the page is ${scroll}px wide in a ${client}px viewport (horizontal scroll)`);
}

/**
 * Opens an invitation — the demo prints invitations for students, teachers and
 * coordinators (issue 7) — with {@link signIn}, checks that it leads to creating a
 * passkey, and goes on without one ("Plus tard"), landing on the person's home (or the
 * page it redirects to). Resolves like {@link signIn}.
 */
export async function signInSkippingPasskey(page, url, expectedName) {
  const result = await signIn(page, url, expectedName);
  assert.equal(new URL(page.url()).pathname, '/cles-d-acces/nouvelle', `the invitation of ${expectedName} leads to creating a passkey`);
  await Promise.all([
    page.waitForURL((u) => u.pathname !== '/cles-d-acces/nouvelle'),
    page.getByRole('link', { name: 'Plus tard' }).click(),
  ]);
  await expectVisible(page.locator('header .who-name', { hasText: expectedName }));
  return result;
}
