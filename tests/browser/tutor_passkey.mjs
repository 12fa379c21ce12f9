// Real-browser test (issue 7, item 6): a tutor protects her personal link with a passkey,
// in headless Chromium with a virtual authenticator (CDP WebAuthn.addVirtualAuthenticator:
// ctap2, internal transport, resident key, user verification).
//
// Hélène Caillé (demo tutor) opens her link, follows « Protéger mon accès » from her
// home, binds a passkey on /mon-acces, signs out; her link alone then opens the page
// « Confirmez avec votre clé d'accès » (no session), whose button (pwa/tutor_link.js)
// asks the passkey and opens her space. Without JavaScript the page explains what to do.
// axe-core finds no violation on /mon-acces and the confirmation page.
//
//   LIVRET_BIN=target/release/livret node tests/browser/tutor_passkey.mjs
//
// Screenshots go to tests/browser/artifacts/: tutor-passkey-page.png,
// tutor-passkey-confirm.png.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  ARTIFACTS,
  assertNoHorizontalOverflow,
  assertNothingWentWrong,
  drive,
  expectVisible,
  phone,
  scenario,
  signIn,
  startServer,
  submitExpecting,
  submitExpectingRedirect,
} from './harness.mjs';

const TUTOR = 'Hélène Caillé';
const SHOTS = ['tutor-passkey-page.png', 'tutor-passkey-confirm.png'];

const require = createRequire(import.meta.url);
const AXE = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');

scenario('a tutor binds a passkey to her link, which then asks for it', { timeoutMs: 180_000, artifacts: SHOTS }, tutorPasskey);

/** Runs axe-core on the page (injected through the DevTools protocol, so the page's CSP
 * is untouched) and fails with every violation listed. */
async function assertAccessible(page, what) {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  assert.deepEqual(violations, [], `${what}: axe-core violations`);
}

/** Presses « Ouvrir mon espace » on the link's page: the POST answers 200 with the
 * passkey question, not a redirect. */
async function openProtected(page, link) {
  const res = await page.goto(link);
  assert.equal(res?.status(), 200);
  await submitExpecting(page, () => page.getByRole('button', { name: 'Ouvrir mon espace' }).tap(), 'opening the protected link', 200);
  await expectVisible(page.getByRole('heading', { level: 1, name: "Confirmez avec votre clé d'accès" }));
  assert.equal(new URL(page.url()).pathname, new URL(link).pathname, 'still on the link: no session, no redirect');
}

async function tutorPasskey() {
  const links = new Map();
  const { origin } = await startServer({
    flags: ['--demo'],
    onLine: (line) => {
      const m = /^(élève|tuteur|référent|coordination) (.+?): (https?:\/\/\S+)$/u.exec(line);
      if (m) links.set(m[2], m[3]);
    },
    ready: () => links.has(TUTOR),
  });
  const link = links.get(TUTOR);

  // ---- Hélène's phone, with a platform authenticator ------------------------------
  const { context, page: tp } = await phone(origin, 'tuteur');
  drive(tp);
  const cdp = await context.newCDPSession(tp);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });

  // Her link opens her space; the discreet card leads to « Protéger mon accès ».
  await signIn(tp, link, TUTOR);
  await expectVisible(tp.getByRole('heading', { level: 1, name: 'Mes stagiaires' }));
  const card = tp.locator('section.protect-access');
  await expectVisible(card.getByRole('heading', { name: 'Protéger mon accès' }));
  await Promise.all([tp.waitForURL('**/mon-acces'), card.getByRole('link', { name: "Associer une clé d'accès" }).tap()]);
  await expectVisible(tp.getByText("Aucune clé d'accès n'est associée à votre lien."));
  const name = tp.getByLabel("Nom de cette clé d'accès");
  assert.equal(await name.inputValue(), 'Téléphone', 'named after the device kind');
  await name.fill("Téléphone d'Hélène");
  await Promise.all([
    tp.waitForURL('**/mon-acces'),
    tp.getByRole('button', { name: "Associer une clé d'accès" }).tap(),
  ]);
  await expectVisible(tp.locator('p.flash', { hasText: "Clé d'accès associée à votre lien" }));
  const listed = tp.locator('ul.cards > li.card');
  assert.equal(await listed.count(), 1);
  assert.match(await listed.innerText(), /Téléphone d'Hélène[\s\S]*Ajoutée le[\s\S]*Jamais utilisée/);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1, 'one passkey on the phone');
  await assertNoHorizontalOverflow(tp, '/mon-acces');
  await tp.screenshot({ path: join(ARTIFACTS, 'tutor-passkey-page.png'), fullPage: true });
  await assertAccessible(tp, '/mon-acces');

  // Signed out, the link alone no longer opens her space: it asks for the passkey.
  await submitExpectingRedirect(tp, () => tp.getByRole('button', { name: 'Se déconnecter' }).tap(), 'signing out');
  await openProtected(tp, link);
  const sessions = (await context.cookies(origin)).filter((c) => c.name === 'livret' || c.name === '__Host-livret');
  assert.deepEqual(sessions, [], 'no session cookie from the link alone');
  const use = tp.getByRole('button', { name: "Utiliser ma clé d'accès" });
  await expectVisible(use);
  assert.equal(await tp.locator('#tutor-passkey-unsupported').isVisible(), false, 'WebAuthn is there: no "unsupported" text');
  await assertNoHorizontalOverflow(tp, 'passkey confirmation');
  await tp.screenshot({ path: join(ARTIFACTS, 'tutor-passkey-confirm.png'), fullPage: true });
  await assertAccessible(tp, 'passkey confirmation');

  // With the passkey: her space opens.
  await Promise.all([tp.waitForURL((u) => u.pathname === '/'), use.tap()]);
  await expectVisible(tp.getByRole('heading', { level: 1, name: 'Mes stagiaires' }));
  await expectVisible(tp.locator('header .who-name', { hasText: TUTOR }));
  await Promise.all([tp.waitForURL('**/mon-acces'), tp.locator('section.protect-access').getByRole('link').tap()]);
  assert.match(await tp.locator('ul.cards > li.card').innerText(), /Dernière utilisation le/);

  // Without JavaScript, the confirmation page says what to do, and opens nothing.
  const { context: plain, page: np } = await phone(origin, 'tuteur sans JavaScript', { javaScriptEnabled: false });
  drive(np);
  await openProtected(np, link);
  await expectVisible(np.locator('#tutor-passkey-unsupported'));
  assert.equal(await np.getByRole('button', { name: "Utiliser ma clé d'accès" }).isVisible(), false);
  await expectVisible(np.getByText(/Demandez un nouveau lien à votre enseignant référent/));
  await plain.close();

  assertNothingWentWrong();
}
