// Real-browser test (issue 7): passkeys in headless Chromium with a virtual
// authenticator (Chrome DevTools Protocol WebAuthn.addVirtualAuthenticator: ctap2,
// internal transport, resident key, user verification).
//
// The demo's student, Maël Ferrand, opens his invitation on his phone, creates a passkey
// (« Créez votre clé d'accès »), finds it in « Clés d'accès », signs out, signs in again
// from /connexion with the passkey alone, and writes a logbook entry. If the demo's
// printed link is not an invitation, the coordinator issues one from the class page.
// axe-core finds no violation on /connexion, /cles-d-acces/nouvelle and /cles-d-acces.
// Opened at 127.0.0.1 instead of its public address, /connexion names the right one and
// does not flood the server.
//
//   LIVRET_BIN=target/release/livret node tests/browser/passkeys.mjs
//
// Screenshots go to tests/browser/artifacts/: passkey-new.png, passkey-list.png,
// passkey-signin.png.

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

const STUDENT = 'Maël Ferrand';
const COORDINATOR = 'Béatrice Lhôte';
const SHOTS = ['passkey-new.png', 'passkey-list.png', 'passkey-signin.png'];
const TASKS = 'Pose de goulottes et tirage de câbles dans la salle de réunion.';

const require = createRequire(import.meta.url);
const AXE = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');

scenario('a student creates a passkey from his invitation, signs out, signs in with it and writes his logbook', { timeoutMs: 180_000, artifacts: SHOTS }, passkeys);

/** Runs axe-core on the page (injected through the DevTools protocol, so the page's
 * CSP is untouched) and fails with every violation listed. */
async function assertAccessible(page, what) {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  assert.deepEqual(violations, [], `${what}: axe-core violations`);
}

/** True when the personal link at `url` is a single-use invitation (its confirmation
 * page says so); the GET changes nothing. */
async function isInvitation(url) {
  const res = await fetch(url.replace('//localhost:', '//127.0.0.1:'));
  return /ne sert qu.une fois/.test(await res.text());
}

/** The coordinator issues a new invitation for `name` from the class page and returns
 * its URL (for a demo that still prints 30-day sign-in links). */
async function inviteThroughCoordinator(origin, coordinatorUrl, name) {
  const { context, page } = await phone(origin, 'coordination');
  await signIn(page, coordinatorUrl, COORDINATOR);
  if (new URL(page.url()).pathname === '/cles-d-acces/nouvelle') {
    await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.getByRole('link', { name: 'Plus tard' }).click()]);
  }
  const classLink = page.locator('a[href^="/coordination/classes/"]:not([href$="/nouvelle"])').first();
  await Promise.all([page.waitForURL(/\/coordination\/classes\/[^/]+$/), classLink.click()]);
  // The invitation is shown once, on the page the POST answers (200).
  await submitExpecting(page, () => page.getByRole('button', { name: `Inviter ${name}` }).click(), `inviting ${name}`, 200);
  await expectVisible(page.getByRole('heading', { level: 1, name: "Lien d'invitation" }));
  const url = (await page.locator('.link-box code').innerText()).trim();
  await context.close();
  return url;
}

async function passkeys() {
  const links = new Map();
  const { origin } = await startServer({
    flags: ['--demo'],
    onLine: (line) => {
      const m = /^(élève|tuteur|référent|coordination) (.+?): (https?:\/\/\S+)$/u.exec(line);
      if (m) links.set(m[2], m[3]);
    },
    ready: () => links.has(STUDENT) && links.has(COORDINATOR),
  });
  let invitation = links.get(STUDENT);
  if (!(await isInvitation(invitation))) invitation = await inviteThroughCoordinator(origin, links.get(COORDINATOR), STUDENT);

  // ---- Maël's phone, with a platform authenticator (fingerprint) -------------------
  const { page: sp, watch } = await phone(origin, 'élève');
  drive(sp);
  // A switch for this tab only: with it, the page is told the browser has no passkey
  // autofill (conditional mediation), like Firefox before 119.
  await sp.context().addInitScript(() => {
    try {
      if (sessionStorage.getItem('livret-test-no-conditional') && window.PublicKeyCredential) {
        PublicKeyCredential.isConditionalMediationAvailable = async () => false;
      }
    } catch {
      /* about:blank */
    }
  });
  const cdp = await sp.context().newCDPSession(sp);
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

  // The invitation leads to creating a passkey.
  await signIn(sp, invitation, STUDENT);
  assert.equal(new URL(sp.url()).pathname, '/cles-d-acces/nouvelle', 'the invitation leads to creating a passkey');
  await expectVisible(sp.getByRole('heading', { level: 1, name: "Créez votre clé d'accès" }));
  const name = sp.getByLabel("Nom de cette clé d'accès");
  await expectVisible(name);
  assert.equal(await name.inputValue(), 'Téléphone', 'named after the device kind (an Android phone)');
  assert.equal(await sp.locator('[data-passkey-unsupported]').isVisible(), false, 'WebAuthn is there: no "unsupported" text');
  await expectVisible(sp.getByRole('link', { name: 'Plus tard' }));
  await assertNoHorizontalOverflow(sp, 'passkey creation');
  await sp.screenshot({ path: join(ARTIFACTS, 'passkey-new.png'), fullPage: true });
  await assertAccessible(sp, '/cles-d-acces/nouvelle');

  await name.fill('Téléphone de Maël');
  await Promise.all([
    sp.waitForURL((u) => /^\/stages\/[^/]+$/.test(u.pathname)),
    sp.getByRole('button', { name: "Créer ma clé d'accès" }).tap(),
  ]);
  const placementPath = new URL(sp.url()).pathname;
  await expectVisible(sp.locator('p.flash', { hasText: "Clé d'accès créée" }));
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1, 'one passkey on the phone');
  assert.equal(credentials[0].isResidentCredential, true, 'a discoverable credential');

  // The list of his passkeys.
  await Promise.all([sp.waitForURL('**/cles-d-acces'), sp.locator('footer').getByRole('link', { name: "Clés d'accès" }).click()]);
  await expectVisible(sp.getByRole('heading', { level: 1, name: "Clés d'accès" }));
  const card = sp.locator('li.card.passkey');
  assert.equal(await card.count(), 1);
  assert.match(await card.innerText(), /Téléphone de Maël[\s\S]*Ajoutée le[\s\S]*Jamais utilisée/);
  await assertNoHorizontalOverflow(sp, 'passkey list');
  await sp.screenshot({ path: join(ARTIFACTS, 'passkey-list.png'), fullPage: true });
  await assertAccessible(sp, '/cles-d-acces');

  // Signed out: the session is gone.
  await submitExpectingRedirect(sp, () => sp.getByRole('button', { name: 'Se déconnecter' }).tap(), 'signing out');
  await expectVisible(sp.locator('p.flash', { hasText: 'Vous êtes déconnecté.' }));
  watch.allow(401, placementPath);
  const closed = await sp.goto(new URL(placementPath, origin).href);
  assert.equal(closed?.status(), 401, 'the placement needs a session again');

  // Back in with the passkey alone, from the welcome page, in the browser's own window
  // (a browser without autofill of passkeys: this tab is told it has none).
  await sp.evaluate(() => sessionStorage.setItem('livret-test-no-conditional', '1'));
  await sp.goto(origin + '/');
  await Promise.all([sp.waitForURL('**/connexion'), sp.getByRole('link', { name: 'Se connecter' }).click()]);
  await expectVisible(sp.getByRole('heading', { level: 1, name: 'Se connecter' }));
  const button = sp.getByRole('button', { name: "Se connecter avec une clé d'accès" });
  await expectVisible(button);
  assert.equal(await sp.locator('#email').getAttribute('autocomplete'), 'username webauthn');
  assert.equal(await sp.locator('[data-passkey-unsupported]').isVisible(), false);
  await assertNoHorizontalOverflow(sp, 'sign-in page');
  await sp.screenshot({ path: join(ARTIFACTS, 'passkey-signin.png'), fullPage: true });
  await assertAccessible(sp, '/connexion');
  await Promise.all([sp.waitForURL((u) => u.pathname === placementPath), button.tap()]);
  await expectVisible(sp.locator('header .who-name', { hasText: STUDENT }));

  // Once more through the e-mail field's suggestions (conditional UI): the virtual
  // authenticator picks the passkey as soon as the page offers it, without a tap.
  await submitExpectingRedirect(sp, () => sp.getByRole('button', { name: 'Se déconnecter' }).tap(), 'signing out again');
  await sp.evaluate(() => sessionStorage.removeItem('livret-test-no-conditional'));
  await Promise.all([sp.waitForURL((u) => u.pathname === placementPath), sp.goto(new URL('/connexion', origin).href)]);
  await expectVisible(sp.locator('header .who-name', { hasText: STUDENT }));

  // …and writes his logbook.
  await sp.goto(new URL(`${placementPath}/journal/nouvelle`, origin).href);
  await expectVisible(sp.getByRole('heading', { level: 1, name: 'Nouvelle entrée' }));
  await sp.locator('#hours').fill('7h');
  await sp.locator('#tasks').fill(TASKS);
  // With the script, the entry goes through the device's outbox (issue 4), then to
  // the server with this new session.
  await Promise.all([
    sp.waitForURL((u) => u.pathname === `${placementPath}/journal`),
    sp.getByRole('button', { name: "Enregistrer l'entrée" }).tap(),
  ]);
  await expectVisible(sp.locator('ol.entries > li', { hasText: TASKS }).locator('.sync-state.synced'));
  await sp.reload();
  assert.equal(await sp.locator('ol.entries:not(.outbox-list) > li', { hasText: TASKS }).count(), 1, 'the entry is stored once');

  // The passkey was used.
  await sp.goto(new URL('/cles-d-acces', origin).href);
  assert.match(await sp.locator('li.card.passkey').innerText(), /Dernière utilisation le/);
  const after = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.ok(after.credentials[0].signCount >= 1, 'the signature counter moved');

  // /connexion opened at another address than the public one (127.0.0.1 instead of
  // localhost): the browser would refuse every challenge, so the page asks the server
  // for none (never a loop of POST /api/connexion) and links to the right address.
  const elsewhere = origin.replace('//localhost:', '//127.0.0.1:');
  assert.notEqual(elsewhere, origin, 'the public address is localhost');
  const { context: other, page: op } = await phone(elsewhere, 'autre adresse');
  let starts = 0;
  op.on('request', (r) => {
    if (new URL(r.url()).pathname === '/api/connexion') starts++;
  });
  await op.goto(`${elsewhere}/connexion`);
  const wrong = op.locator('[data-passkey-error] a');
  await expectVisible(wrong);
  assert.equal(await wrong.getAttribute('href'), `${origin}/connexion`);
  await op.waitForTimeout(3000);
  assert.ok(starts <= 1, `at most one sign-in start at the wrong address, not ${starts}`);
  await other.close();

  assertNothingWentWrong();
}
