// Real-browser test (issue 6): a tutor turns notifications on from the "Notifications"
// page, receives a test notification, the service worker shows a pushed message and
// opens its page when tapped, the device follows a VAPID key rotation, and signing out
// unsubscribes it.
//
// Headless Chromium cannot reach a real push service offline, so the page's
// PushManager is stubbed (an init script): `subscribe` returns a subscription whose
// endpoint is a push service this test runs on loopback, with a real P-256 key pair and
// auth secret made here with node's crypto. Everything else is real: the page script
// (pwa/push.js), the subscription API, the server's sender (VAPID JWT signed with the
// stored key, aes128gcm encryption — decrypted and verified here), the service worker's
// `push` handler (fed through DevTools' ServiceWorker.deliverPushMessage, the browser's
// own push event), its `notificationclick` handler (a script-made event: no protocol
// clicks a notification) and its sign-out path.
//
//  1. Hélène (tutor) opens /notifications: "Activer les notifications sur cet appareil";
//     pressing it subscribes, the page lists the device (never its endpoint); axe-core
//     finds no violation in either state;
//  2. "Envoyer une notification d'essai": the loopback push service receives a POST
//     (201) with Content-Encoding aes128gcm and a VAPID Authorization whose JWT
//     verifies against the served key; the body decrypts to the test message;
//  3. a push delivered to the service worker shows its title, body and tag (a second
//     one with the same tag replaces it; one without data shows the generic French
//     notification); a click on it takes the open window to its page;
//  4. key rotation: server stopped, `livret admin rotate-vapid`, restarted: the next
//     page load re-subscribes with the new key (a new endpoint), the old one is dropped
//     and the next test notification goes to the new endpoint, signed with the new key;
//  5. the push service renews the subscription (`pushsubscriptionchange`, made by
//     script): the worker subscribes again with the current key and drops the old one;
//  6. "Se déconnecter": the service worker tells the server and unsubscribes: signed in
//     again, the page lists no device.
//
//   node tests/browser/push.mjs      (LIVRET_BIN, CHROMIUM_PATH as usual)
//
// Screenshots: artifacts/push-settings-off.png, push-settings-on.png.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ARTIFACTS,
  assertNoHorizontalOverflow,
  assertNothingWentWrong,
  expectVisible,
  phone,
  scenario,
  signIn,
  startServer,
  stopServer,
  submitExpectingRedirect,
} from './harness.mjs';

const TUTOR = 'Hélène Caillé';
const SHOTS = ['push-settings-off.png', 'push-settings-on.png'];
const HERE = dirname(fileURLToPath(import.meta.url));
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const BIN = process.env.LIVRET_BIN ? resolve(process.env.LIVRET_BIN) : join(HERE, '..', '..', 'target', 'release', 'livret');

// The harness makes the server's data directory under os.tmpdir(): point that at a
// folder of this test's own, so that `livret admin rotate-vapid --data DIR` can find it.
const OWN_TMP = mkdtempSync(join(tmpdir(), 'livret-push-test-'));
process.env.TMPDIR = OWN_TMP;
process.on('exit', () => rmSync(OWN_TMP, { recursive: true, force: true }));

scenario('a tutor turns notifications on, receives them, and follows a key rotation', { timeoutMs: 240_000, artifacts: SHOTS }, pushScenario);

// ---- The device's keys and the loopback push service ----------------------------------
const b64url = (buf) => Buffer.from(buf).toString('base64url');
const deviceKeys = crypto.createECDH('prime256v1');
deviceKeys.generateKeys();
const DEVICE = { p256dh: b64url(deviceKeys.getPublicKey()), auth: b64url(crypto.randomBytes(16)) };

/** A push service (RFC 8030) on loopback: keeps every POST, answers 201 Created. */
async function pushService() {
  const received = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method, path: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(201, { Location: `/message/${received.length}` });
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  server.unref();
  return { base: `http://127.0.0.1:${server.address().port}`, received, close: () => server.close() };
}

/** Decrypts an RFC 8291 `aes128gcm` body (one record) with the device's keys. */
function decrypt(body) {
  const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();
  const salt = body.subarray(0, 16);
  const idlen = body[20];
  const asPublic = body.subarray(21, 21 + idlen);
  const sealed = body.subarray(21 + idlen);
  const auth = Buffer.from(DEVICE.auth, 'base64url');
  const prkKey = hmac(auth, deviceKeys.computeSecret(asPublic));
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), deviceKeys.getPublicKey(), asPublic, Buffer.from([1])]);
  const prk = hmac(salt, hmac(prkKey, keyInfo));
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01')).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01')).subarray(0, 12);
  const decipher = crypto.createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  const plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
  let end = plain.length - 1;
  while (end >= 0 && plain[end] === 0) end--;
  assert.equal(plain[end], 2, 'the last record ends with the 0x02 delimiter');
  return JSON.parse(plain.subarray(0, end).toString('utf8'));
}

/**
 * Checks a VAPID `Authorization: vapid t=<JWT>, k=<key>` header (RFC 8292): `k` is
 * `publicKey`, the JWT is ES256 for the push service's origin, not expired, with a
 * contact, and its signature verifies against `k`.
 */
function checkVapid(header, publicKey) {
  const m = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(header || '');
  assert.ok(m, `VAPID Authorization header: ${header}`);
  const [, jwt, k] = m;
  assert.equal(k, publicKey, 'signed with the key the page was served');
  const [h, p, s] = jwt.split('.');
  assert.equal(JSON.parse(Buffer.from(h, 'base64url')).alg, 'ES256');
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  assert.equal(claims.aud, 'http://127.0.0.1');
  assert.ok(claims.exp > Date.now() / 1000 && claims.exp <= Date.now() / 1000 + 24 * 3600, `exp ${claims.exp}`);
  assert.ok(claims.sub, 'a contact');
  const raw = Buffer.from(k, 'base64url');
  const key = crypto.createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64url(raw.subarray(1, 33)), y: b64url(raw.subarray(33, 65)) },
    format: 'jwk',
  });
  assert.ok(crypto.verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url')), 'the JWT signature verifies');
}

// ---- The page's PushManager, stubbed ------------------------------------------------------
// Runs in every page before its scripts: a subscription lives in localStorage (so it
// outlives the page, as a real one does), gets a new endpoint on the loopback service
// at each subscribe, keeps the applicationServerKey it was made with, and, like a
// browser, refuses a second key while subscribed.
function stubPushManager({ base, p256dh, auth }) {
  if (!('PushManager' in self)) return;
  const KEY = '__livretFakePush';
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const bytes = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const read = () => JSON.parse(localStorage.getItem(KEY) || 'null');
  const make = (state) =>
    state && {
      endpoint: state.endpoint,
      expirationTime: null,
      options: { userVisibleOnly: true, applicationServerKey: bytes(state.key).buffer },
      getKey: (name) => bytes(name === 'p256dh' ? p256dh : auth).buffer,
      toJSON: () => ({ endpoint: state.endpoint, expirationTime: null, keys: { p256dh, auth } }),
      unsubscribe: async () => {
        if (read()?.endpoint === state.endpoint) localStorage.removeItem(KEY);
        return true;
      },
    };
  PushManager.prototype.getSubscription = async function getSubscription() {
    return make(read());
  };
  PushManager.prototype.subscribe = async function subscribe(options) {
    if (Notification.permission !== 'granted') throw new DOMException('Registration failed - permission denied', 'NotAllowedError');
    const key = b64(options.applicationServerKey);
    const current = read();
    if (current && current.key !== key) throw new DOMException('A subscription with a different applicationServerKey already exists.', 'InvalidStateError');
    if (current) return make(current);
    const n = Number(localStorage.getItem(`${KEY}-n`) || '0') + 1;
    localStorage.setItem(`${KEY}-n`, String(n));
    const state = { endpoint: `${base}/push/device-${n}`, key };
    localStorage.setItem(KEY, JSON.stringify(state));
    return make(state);
  };
}

/** Runs axe-core on the page (as competency_record.mjs does) and fails on any violation. */
async function assertAccessible(page, what) {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  assert.deepEqual(violations, [], `${what}: axe-core violations`);
}

async function eventually(check, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- The scenario --------------------------------------------------------------------------
async function pushScenario() {
  const links = new Map();
  const serverOptions = {
    flags: ['--demo'],
    onLine: (line) => {
      const m = /^(élève|tuteur|référent|coordination) (.+?): (https?:\/\/\S+)$/u.exec(line);
      if (m) links.set(m[2], m[3]);
    },
    ready: () => links.has(TUTOR),
  };
  const { origin } = await startServer(serverOptions);
  const service = await pushService();

  const { context, page, watch } = await phone(origin, 'tuteur');
  // After sign-out, the page asks the server to drop a subscription it no longer has.
  watch.allow(404, '/api/notifications/desabonnement');
  await context.grantPermissions(['notifications'], { origin });
  await context.addInitScript(stubPushManager, { base: service.base, ...DEVICE });

  // ---- 1. Turn notifications on -----------------------------------------------------------
  await signIn(page, links.get(TUTOR), TUTOR);
  const stage = await page.$$eval('a[href^="/stages/"]', (as) => as.map((a) => /^\/stages\/[0-9a-f-]{36}/.exec(a.getAttribute('href'))?.[0]).find(Boolean));
  assert.ok(stage, 'the tutor sees a placement');
  await page.getByRole('link', { name: 'Notifications' }).tap();
  await page.waitForURL((u) => u.pathname === '/notifications');
  await page.waitForFunction(() => !!navigator.serviceWorker.controller);
  const enable = page.getByRole('button', { name: 'Activer les notifications sur cet appareil' });
  await expectVisible(enable);
  assert.equal(await page.getByText('Ce navigateur ne peut pas recevoir').isVisible(), false, 'the script replaced the no-push text');
  await expectVisible(page.getByText("Aucun appareil n'est abonné pour l'instant."));
  await assertNoHorizontalOverflow(page, 'notifications page, device not subscribed');
  await assertAccessible(page, 'notifications page, device not subscribed');
  await page.screenshot({ path: join(ARTIFACTS, 'push-settings-off.png'), fullPage: true });

  const served = await page.evaluate(async () => (await fetch('/api/notifications/cle', { headers: { 'X-Livret-Sync': '1' } })).json());
  assert.match(served.key, /^[\w-]{87}$/);
  const subscribed = page.waitForResponse((r) => r.url().endsWith('/api/notifications/abonnement'));
  await Promise.all([page.waitForEvent('load'), enable.tap()]);
  assert.equal((await subscribed).status(), 201);
  await expectVisible(page.getByText('✓ Notifications activées sur cet appareil.'));
  await expectVisible(page.getByRole('button', { name: 'Désactiver sur cet appareil' }));
  const devices = page.locator('ul.devices > li');
  assert.equal(await devices.count(), 1, 'the page lists the device');
  assert.match(await devices.innerText(), /127\.0\.0\.1/);
  await expectVisible(devices.getByText('(cet appareil)'));
  assert.ok(!(await page.content()).includes(`${service.base}/push/`), 'the endpoint is never shown');
  await assertNoHorizontalOverflow(page, 'notifications page, device subscribed');
  await assertAccessible(page, 'notifications page, device subscribed');
  await page.screenshot({ path: join(ARTIFACTS, 'push-settings-on.png'), fullPage: true });

  // ---- 2. The test notification reaches the push service, encrypted and signed --------------
  await submitExpectingRedirect(page, () => page.getByRole('button', { name: "Envoyer une notification d'essai" }).tap(), 'test notification');
  await expectVisible(page.getByText("Notification d'essai envoyée à vos appareils"));
  const first = await eventually(() => service.received[0], 'the push service receives the test notification');
  assert.equal(first.method, 'POST');
  assert.equal(first.path, '/push/device-1');
  assert.equal(first.headers['content-encoding'], 'aes128gcm');
  assert.equal(first.headers.ttl, '600');
  checkVapid(first.headers.authorization, served.key);
  assert.deepEqual(decrypt(first.body), {
    title: "Notification d'essai",
    body: 'Les notifications de Livret arrivent bien sur cet appareil.',
    url: '/notifications',
    tag: 'essai',
  });

  // ---- 3. The service worker shows a push, and opens its page when tapped -------------------
  const cdp = await context.newCDPSession(page);
  const registrations = new Map();
  cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: rs }) => {
    for (const r of rs) if (!r.isDeleted) registrations.set(r.scopeURL, r.registrationId);
  });
  await cdp.send('ServiceWorker.enable');
  const registrationId = await eventually(() => registrations.get(`${origin}/`), 'the service worker registration');
  const deliver = (data) => cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId, data });
  const shown = (tag) =>
    page.evaluate(async (t) => {
      const reg = await navigator.serviceWorker.ready;
      return (await reg.getNotifications(t ? { tag: t } : {})).map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url, renotify: n.renotify }));
    }, tag);
  const review = { title: 'Activités à relire', body: '2 activités de Maël à relire', url: `${stage}/fiches`, tag: 'review-test' };
  await deliver(JSON.stringify(review));
  await eventually(async () => (await shown('review-test')).length === 1, 'the pushed notification is shown');
  assert.deepEqual(await shown('review-test'), [{ ...review, renotify: false }]);
  // The same tag again: the later message replaces the earlier one.
  review.body = '3 activités de Maël à relire';
  await deliver(JSON.stringify(review));
  await eventually(async () => (await shown('review-test'))[0]?.body === review.body, 'the same tag replaces the notification');
  // …and rings again (renotify).
  assert.deepEqual(await shown('review-test'), [{ ...review, renotify: true }]);
  // A push without a readable payload still shows something, in French.
  await deliver('pas du JSON');
  await eventually(async () => (await shown()).some((n) => n.title === 'Livret : du nouveau vous attend'), 'the generic notification');

  // A tap: the service worker takes the open window to the notification's page.
  const [worker] = context.serviceWorkers();
  assert.ok(worker, 'the service worker is running');
  const navigated = page.waitForURL((u) => u.pathname === review.url);
  await worker.evaluate(async (tag) => {
    const [n] = await self.registration.getNotifications({ tag });
    self.dispatchEvent(new NotificationEvent('notificationclick', { notification: n }));
  }, review.tag);
  await navigated;
  await expectVisible(page.getByRole('heading', { level: 1 }));
  await eventually(async () => (await shown('review-test')).length === 0, 'the tapped notification is closed');

  // ---- 4. Key rotation: the next page load re-subscribes with the new key --------------------
  await stopServer();
  const dirs = readdirSync(OWN_TMP).filter((d) => d.startsWith('livret-browser-'));
  assert.equal(dirs.length, 1, `one data directory under ${OWN_TMP}: ${dirs}`);
  const rotated = execFileSync(BIN, ['admin', 'rotate-vapid', '--data', join(OWN_TMP, dirs[0])], {
    encoding: 'utf8',
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LIVRET_'))),
  });
  const newKey = /^[\w-]{87}$/m.exec(rotated)?.[0];
  assert.ok(newKey && newKey !== served.key, `rotate-vapid prints a new public key:\n${rotated}`);
  // Restarted without --demo, which would issue new personal links and so end the
  // sessions opened with the old ones.
  await startServer({ restart: true });

  const resubscribed = page.waitForResponse((r) => r.url().endsWith('/api/notifications/abonnement'));
  const dropped = page.waitForResponse((r) => r.url().endsWith('/api/notifications/desabonnement'));
  await page.goto(`${origin}/`);
  assert.equal((await dropped).status(), 200, 'the old subscription is dropped on the server');
  assert.equal((await resubscribed).status(), 201, 'the device subscribes again with the new key');
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem('__livretFakePush')).endpoint.endsWith('/push/device-2')), true);
  await page.goto(`${origin}/notifications`);
  await expectVisible(page.getByText('✓ Notifications activées sur cet appareil.'));
  assert.equal(await devices.count(), 1, 'one device: the new subscription replaced the old');
  await expectVisible(devices.getByText('(cet appareil)'));
  assert.equal(await page.getByText('À réabonner').count(), 0, 'the device is on the current key');
  await submitExpectingRedirect(page, () => page.getByRole('button', { name: "Envoyer une notification d'essai" }).tap(), 'test notification after rotation');
  const second = await eventually(() => service.received[1], 'the test notification after the rotation');
  assert.equal(second.path, '/push/device-2');
  checkVapid(second.headers.authorization, newKey);
  assert.equal(decrypt(second.body).tag, 'essai');

  // ---- 5. The push service renews the subscription: the worker subscribes again -------------
  // The worker's PushManager is the browser's own (the init script reaches pages only):
  // it is stubbed the same way here, and the event is made by script (Chromium gives no
  // way to have a push service renew a subscription).
  const [sw] = context.serviceWorkers();
  const renewedAt = `${service.base}/push/device-3`;
  const renewed = context.waitForEvent('response', (r) => r.url().endsWith('/api/notifications/abonnement') && !!r.request().serviceWorker());
  const oldDropped = context.waitForEvent('response', (r) => r.url().endsWith('/api/notifications/desabonnement') && !!r.request().serviceWorker());
  await sw.evaluate(
    ({ oldEndpoint, newEndpoint, p256dh, auth }) => {
      PushManager.prototype.subscribe = async (options) => ({
        endpoint: newEndpoint,
        options,
        toJSON: () => ({ endpoint: newEndpoint, expirationTime: null, keys: { p256dh, auth } }),
      });
      const event = new Event('pushsubscriptionchange');
      Object.defineProperty(event, 'oldSubscription', { value: { endpoint: oldEndpoint, options: {} } });
      Object.defineProperty(event, 'newSubscription', { value: null });
      self.dispatchEvent(event);
    },
    { oldEndpoint: `${service.base}/push/device-2`, newEndpoint: renewedAt, ...DEVICE },
  );
  assert.equal((await renewed).status(), 201, 'the renewed subscription is sent, with the current key id');
  assert.equal((await oldDropped).status(), 200, 'the old endpoint is dropped');
  // The page sees what the browser now holds (one store for page and worker).
  await page.evaluate((ep) => {
    const state = JSON.parse(localStorage.getItem('__livretFakePush'));
    localStorage.setItem('__livretFakePush', JSON.stringify({ ...state, endpoint: ep }));
  }, renewedAt);
  await page.goto(`${origin}/notifications`);
  await expectVisible(page.getByText('✓ Notifications activées sur cet appareil.'));
  assert.equal(await devices.count(), 1, 'the renewed subscription replaced the old one');
  await submitExpectingRedirect(page, () => page.getByRole('button', { name: "Envoyer une notification d'essai" }).tap(), 'test notification after renewal');
  const third = await eventually(() => service.received[2], 'the test notification after the renewal');
  assert.equal(third.path, '/push/device-3');
  checkVapid(third.headers.authorization, newKey);

  // ---- 6. Signing out unsubscribes this device ----------------------------------------------
  const endpoint = renewedAt;
  await sw.evaluate((ep) => {
    let live = true;
    PushManager.prototype.getSubscription = async () => (live ? { endpoint: ep, unsubscribe: async () => !(live = false) } : null);
  }, endpoint);
  const signedOut = context.waitForEvent('response', (r) => r.url().endsWith('/api/notifications/desabonnement') && !!r.request().serviceWorker());
  await submitExpectingRedirect(page, () => page.getByRole('button', { name: 'Se déconnecter' }).tap(), 'sign-out');
  assert.equal((await signedOut).status(), 200, 'the worker told the server before signing out');
  assert.equal(await sw.evaluate(async () => (await self.registration.pushManager.getSubscription()) === null), true, 'unsubscribed here');
  await signIn(page, links.get(TUTOR), TUTOR);
  await page.goto(`${origin}/notifications`);
  await expectVisible(page.getByText("Aucun appareil n'est abonné pour l'instant."));
  assert.equal(service.received.length, 3, 'nothing else was pushed');

  service.close();
  assertNothingWentWrong();
}
