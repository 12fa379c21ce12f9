// Real-browser test (issue 4): Livret is an installable app. On the demo, the student
// signs in on a phone, his placement page registers the service worker, and Chromium
// (CDP `Page.getInstallabilityErrors`) reports no reason not to install the app; the
// manifest carries what the issue asks (French names, lang, standalone display, start
// URL, theme and background colours, icons 192, 512 and maskable) and every icon URL,
// the apple-touch icon included, answers 200 with a PNG of the announced size.
//
// Chromium answers "in-incognito" to that question in a fresh (incognito) browser
// context, so this test runs in a persistent one (`launchPersistentContext` on a
// temporary profile), the way a real phone's browser does.
//
//   LIVRET_BIN=target/release/livret node tests/browser/install.mjs
//
// Screenshot (390×844): tests/browser/artifacts/offline-page.png (the offline page).

import assert from 'node:assert/strict';
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ARTIFACTS, PHONE, STEP_TIMEOUT_MS, drive, expectVisible, scenario, startServer } from './harness.mjs';

const STUDENT = 'Maël Ferrand';
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  // The server listens on 127.0.0.1 and is reached as localhost (see harness.mjs).
  '--host-resolver-rules=MAP localhost 127.0.0.1',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
/** Longest wait for the service worker to be active, in milliseconds. */
const SW_TIMEOUT_MS = 15_000;

let context = null;
let profile = null;
after(async () => {
  if (context) await context.close().catch(() => {});
  if (profile) rmSync(profile, { recursive: true, force: true });
});

scenario(
  'Chromium reports no installability error on the student page; manifest and icons are right',
  { timeoutMs: 90_000, artifacts: ['offline-page.png'] },
  installable,
);

/** Width and height of a PNG, read from its IHDR chunk. */
function pngSize(what, bytes) {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  assert.ok(
    bytes.length > 24 && signature.every((b, i) => bytes[i] === b) && bytes.toString('latin1', 12, 16) === 'IHDR',
    `${what} is not a PNG`,
  );
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

/** Fetches `url` and checks it is a PNG of `size` × `size` pixels. */
async function expectPng(url, size) {
  const res = await fetch(url);
  assert.equal(res.status, 200, `${url} should answer 200`);
  assert.equal(res.headers.get('content-type'), 'image/png', `${url}: content type`);
  const [w, h] = pngSize(url, Buffer.from(await res.arrayBuffer()));
  assert.deepEqual([w, h], [size, size], `${url}: ${w}×${h} instead of ${size}×${size}`);
}

async function installable() {
  const links = new Map(); // full name -> personal link
  const { base, origin } = await startServer({
    flags: ['--demo'],
    onLine: (line) => {
      const m = /^(élève|tuteur|référent|coordination) (.+?): (https?:\/\/\S+)$/u.exec(line);
      if (m) links.set(m[2], m[3]);
    },
    ready: () => links.has(STUDENT),
  });

  // ---- The manifest and its icons, as any client gets them -----------------------
  const res = await fetch(`${base}/manifest.webmanifest`);
  assert.equal(res.status, 200, 'GET /manifest.webmanifest');
  assert.equal(res.headers.get('content-type'), 'application/manifest+json');
  const manifest = await res.json();
  const expected = {
    id: '/',
    name: 'Livret — suivi des PFMP',
    short_name: 'Livret',
    lang: 'fr',
    dir: 'ltr',
    display: 'standalone',
    start_url: '/',
    scope: '/',
    theme_color: '#1d4e89',
    background_color: '#f5f7fa',
  };
  for (const [field, value] of Object.entries(expected)) {
    assert.equal(manifest[field], value, `manifest field ${field}`);
  }
  assert.match(manifest.description, /journal de bord/, 'a French description');
  const wanted = ['192x192 any', '512x512 any', '512x512 maskable'];
  assert.deepEqual(manifest.icons.map((i) => `${i.sizes} ${i.purpose ?? 'any'}`).sort(), wanted, 'manifest icons');
  for (const icon of manifest.icons) {
    assert.equal(icon.type, 'image/png', `${icon.src}: type`);
    await expectPng(new URL(icon.src, base).href, Number(icon.sizes.split('x')[0]));
  }

  // ---- The student's phone: a persistent profile, as on a real device -------------
  profile = mkdtempSync(join(tmpdir(), 'livret-install-'));
  context = await chromium.launchPersistentContext(profile, {
    ...PHONE,
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    timeout: 30_000,
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const problems = [];
  await context.route('**/*', (route) =>
    ['127.0.0.1', 'localhost'].includes(new URL(route.request().url()).hostname) ? route.continue() : route.abort('blockedbyclient'),
  );
  context.on('request', (req) => {
    if (!['127.0.0.1', 'localhost'].includes(new URL(req.url()).hostname)) problems.push(`request left this machine: ${req.url()}`);
  });
  context.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.request().method()} ${r.url()}`);
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (msg) => {
    if (msg.type() === 'error' || /Content Security Policy/i.test(msg.text())) {
      problems.push(`console ${msg.type()}: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  drive(page);

  // Signed in by hand rather than with the harness's signIn: the confirmation page
  // already registers the service worker, which then controls the page, and Chromium
  // reports the sign-in POST's answer after its redirect (checked by the other tests).
  await page.goto(links.get(STUDENT));
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/acces/')),
    page.getByRole('button', { name: 'Ouvrir mon espace' }).tap(),
  ]);
  await expectVisible(page.locator('header .who-name', { hasText: STUDENT }));
  // The printed link is an invitation (issue 7): it proposes a passkey first; "Plus
  // tard" goes on to the student's placement.
  assert.equal(new URL(page.url()).pathname, '/cles-d-acces/nouvelle', 'the invitation leads to creating a passkey');
  await Promise.all([
    page.waitForURL((u) => u.pathname !== '/cles-d-acces/nouvelle'),
    page.getByRole('link', { name: 'Plus tard' }).tap(),
  ]);
  assert.match(new URL(page.url()).pathname, /^\/stages\/[^/]+$/, 'the student lands on his placement');

  // The head of the page points at the manifest and a 180 px home-screen icon.
  const head = await page.evaluate(() => ({
    manifest: document.querySelector('link[rel="manifest"]')?.href,
    apple: document.querySelector('link[rel="apple-touch-icon"]')?.href,
    theme: document.querySelector('meta[name="theme-color"]')?.content,
  }));
  assert.equal(head.manifest, `${origin}/manifest.webmanifest`, '<link rel="manifest">');
  assert.equal(head.theme, manifest.theme_color, '<meta name="theme-color"> matches the manifest');
  assert.ok(head.apple, '<link rel="apple-touch-icon">');
  await expectPng(head.apple, 180);

  // Installability needs a service worker controlling the page (pwa/sw.js).
  const active = await page.evaluate(
    (ms) =>
      'serviceWorker' in navigator &&
      Promise.race([
        navigator.serviceWorker.ready.then((r) => Boolean(r.active)),
        new Promise((r) => setTimeout(() => r(false), ms)),
      ]),
    SW_TIMEOUT_MS,
  );
  assert.ok(active, `no active service worker ${SW_TIMEOUT_MS / 1000} s after the student page loaded`);
  await page.reload();
  assert.ok(await page.evaluate(() => Boolean(navigator.serviceWorker.controller)), 'the worker controls the page');

  const cdp = await context.newCDPSession(page);
  const { errors: manifestErrors, url: manifestUrl } = await cdp.send('Page.getAppManifest');
  assert.equal(manifestUrl, `${origin}/manifest.webmanifest`, 'the manifest Chromium read');
  assert.deepEqual(manifestErrors, [], 'Chromium found errors in the manifest');
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(
    installabilityErrors.map((e) => [e.errorId, ...e.errorArguments.map((a) => `${a.name}=${a.value}`)].join(' ')),
    [],
    'Chromium reports installability errors',
  );

  // The offline page, as the service worker shows it when a page cannot be reached.
  await page.goto(`${origin}/hors-ligne`);
  await expectVisible(page.getByRole('heading', { level: 1, name: 'Vous êtes hors ligne' }));
  await page.screenshot({ path: join(ARTIFACTS, 'offline-page.png'), fullPage: true });

  assert.deepEqual(problems, [], `console errors, failed requests or off-site requests:\n${problems.join('\n')}`);
}
