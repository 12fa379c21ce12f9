// Real-browser test (issue 5): the company review's joint visit mode works offline, and a
// finalisation the server refuses stays on the phone, "à corriger".
//
// As the referent of Maël in the demo, on a phone-sized headless Chromium (harness.mjs):
//  1. online once: the visit page (/stages/:id/bilan-entreprise/visite) and the
//     Évaluation page are opened, the service worker controls them and keeps them;
//  2. offline (network emulation): the page reloads from the device, every criterion
//     gets a result but the joint box is forgotten; "Finaliser le bilan" keeps the review
//     in the IndexedDB outbox and shows it at once as "en attente d'envoi";
//  3. back online: the server refuses it (422); the visit page and the Évaluation page
//     show it "à corriger" with the server's message and what was sent; "Corriger"
//     brings the form back filled with it;
//  4. the box ticked, finalised offline again, then the Évaluation page opened from the
//     device: back online, the outbox replays it, leaves empty, and the page shows the
//     server's finalised review without a reload;
//  5. Éloïse's placement: the referent prepares its review, finalises it offline while
//     her tutor finalises it online with other results; back online, the server refuses
//     the phone's (409): the page shows the finalised review and the refused one (no
//     "Corriger": it can no longer change), the home page a banner leading to it, and
//     "Abandonner cet envoi" (pressed twice) removes it.
//
//   node tests/browser/joint_visit.mjs      (LIVRET_BIN, CHROMIUM_PATH as usual)
//
// Screenshots: artifacts/joint-visit-pending.png, joint-visit-rejected.png,
// joint-visit-corriger.png, joint-visit-finalised.png, joint-visit-conflict.png.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, assertNoHorizontalOverflow, assertNothingWentWrong, drive, expectVisible, phone, scenario, signIn, startServer, submitExpectingRedirect } from './harness.mjs';

const REFERENT = 'Sébastien Roussel';
const TUTOR = 'Hélène Caillé';
const TUTOR2 = "Grégoire d'Arçais";
const SHOTS = ['joint-visit-pending.png', 'joint-visit-rejected.png', 'joint-visit-corriger.png', 'joint-visit-finalised.png', 'joint-visit-conflict.png'];

scenario('the company review is finalised offline at the visit and reaches the server once', { timeoutMs: 240_000, artifacts: SHOTS }, jointVisit);

async function jointVisit() {
  const links = new Map();
  const { origin } = await startServer({
    flags: ['--demo'],
    onLine: (line) => {
      const m = /^(élève|tuteur|référent|coordination) (.+?): (https?:\/\/\S+)$/u.exec(line);
      if (m) links.set(m[2], m[3]);
    },
    ready: () => links.has(REFERENT) && links.has(TUTOR) && links.has(TUTOR2),
  });

  // The tutor's home leads to Maël's current placement (the one with an open review).
  const { context: tctx, page: tp } = await phone(origin, 'tuteur');
  await signIn(tp, links.get(TUTOR), TUTOR);
  const stage = await tp.$$eval('a[href^="/stages/"]', (as) => as.map((a) => /^\/stages\/[0-9a-f-]{36}/.exec(a.getAttribute('href'))?.[0]).find(Boolean));
  assert.ok(stage, 'the tutor sees a placement');
  await tctx.close();
  const visitUrl = `${origin}${stage}/bilan-entreprise/visite`;
  const evalUrl = `${origin}${stage}/evaluation`;

  // ---- 1. Online once ------------------------------------------------------------------
  const { context: ctx, page, watch } = await phone(origin, 'référent');
  watch.allowAborted(`/api${stage}/bilan-entreprise`);
  watch.allow(422, `/api${stage}/bilan-entreprise`);
  await signIn(page, links.get(REFERENT), REFERENT);
  await page.goto(visitUrl);
  await expectVisible(page.getByRole('button', { name: 'Finaliser le bilan' }));
  await expectVisible(page.getByText(`Tuteur : ${TUTOR} — Enseignant référent : ${REFERENT}`));
  await waitUntil(page, () => !!navigator.serviceWorker.controller);
  await waitUntil(page, async (url) => (await (await caches.open('livret-pages')).keys()).some((r) => r.url === url), visitUrl);
  await page.goto(evalUrl);
  await expectVisible(page.getByRole('link', { name: 'Visite : finaliser ensemble' }));
  await waitUntil(page, async (url) => (await (await caches.open('livret-pages')).keys()).some((r) => r.url === url), evalUrl);
  await page.goto(visitUrl);

  // ---- 2. Offline: fill, forget the box, finalise: pending at once ------------------------
  watch.offline = true;
  await ctx.setOffline(true);
  await page.reload();
  await expectVisible(page.locator('[data-banner="offline"]'));
  const criteria = page.locator('fieldset.result-choice');
  const n = await criteria.count();
  assert.ok(n >= 2, 'the review has criteria');
  for (let i = 0; i < n; i++) await criteria.nth(i).locator('label.result-option').nth(i % 4).tap();
  await page.locator('#comment').fill('Bilan établi ensemble à la visite, sans réseau.');
  await page.getByRole('button', { name: 'Finaliser le bilan' }).tap();
  const card = page.locator('ul.outbox-list > li');
  await expectVisible(card);
  assert.match(await card.innerText(), /en attente d’envoi/i);
  assert.equal(await page.locator('form[data-outbox="review"]').isHidden(), true, 'the form gives way to the pending review');
  await expectVisible(page.locator('[data-banner="saved"]'));
  const queued = await outbox(page);
  assert.equal(queued.length, 1);
  assert.equal(queued[0].kind, 'review');
  assert.equal(queued[0].body.finalise, true);
  assert.equal(queued[0].body.together, false);
  assert.equal(Object.keys(queued[0].body.results).length, n);
  await assertNoHorizontalOverflow(page, 'visit page with a pending review');
  await page.screenshot({ path: join(ARTIFACTS, 'joint-visit-pending.png'), fullPage: true });

  // ---- 3. Back online: refused (422), shown "à corriger" -----------------------------------
  await ctx.setOffline(false);
  watch.offline = false;
  await eventually(async () => (await outbox(page))[0]?.status === 'rejected', 'the server refuses the review');
  await expectVisible(card.getByText('Refusé par le serveur, à corriger'));
  await expectVisible(card.getByText(/Cochez la case qui confirme/));
  await expectVisible(card.getByText('Ce qui avait été envoyé'));
  const firstCode = Object.keys(queued[0].body.results)[0];
  await expectVisible(card.locator('.sent-results li', { hasText: firstCode }));
  assert.match(await card.innerText(), /réussite totale en autonomie/, 'the results sent, in words');
  assert.match(await card.innerText(), /« Bilan établi ensemble à la visite, sans réseau. »/);
  assert.equal(await page.locator('[data-banner="saved"]').count(), 0, 'no more "en attente"');
  await expectVisible(card.getByRole('button', { name: 'Corriger' }));
  await expectVisible(card.getByRole('button', { name: 'Abandonner cet envoi' }));
  await assertNoHorizontalOverflow(page, 'visit page with a refused review');
  await page.screenshot({ path: join(ARTIFACTS, 'joint-visit-rejected.png'), fullPage: true });

  // The Évaluation page shows it too, and its "Corriger" opens the visit form filled.
  await page.goto(evalUrl);
  await expectVisible(card.getByText('Refusé par le serveur, à corriger'));
  await expectVisible(card.getByText(/Cochez la case qui confirme/));
  await card.getByRole('link', { name: 'Corriger' }).tap();
  await page.waitForURL((u) => u.pathname === new URL(visitUrl).pathname);
  const form = page.locator('form[data-outbox="review"]');
  await expectVisible(form);
  await expectVisible(page.locator('.errors[data-from-outbox]', { hasText: /Cochez la case/ }));
  for (const [code, slug] of Object.entries(queued[0].body.results)) {
    assert.equal(await page.locator(`input[name="result-${code}"][value="${slug}"]`).isChecked(), true, `${code} as sent`);
  }
  assert.equal(await page.locator('#comment').inputValue(), 'Bilan établi ensemble à la visite, sans réseau.');
  const box = page.getByLabel(new RegExp(`Nous avons établi ce bilan ensemble, ${TUTOR} et ${REFERENT}`));
  assert.equal(await box.isChecked(), false, 'as sent: not ticked');
  await page.screenshot({ path: join(ARTIFACTS, 'joint-visit-corriger.png'), fullPage: true });

  // ---- 4. Corrected offline; the Évaluation page refreshes when it is accepted -------------
  watch.offline = true;
  await ctx.setOffline(true);
  await box.check();
  await page.getByRole('button', { name: 'Finaliser le bilan' }).tap();
  await expectVisible(card.getByText(/en attente d’envoi/i));
  const corrected = await outbox(page);
  assert.equal(corrected.length, 1, 'the corrected review replaces the refused one');
  assert.equal(corrected[0].id, queued[0].id);
  assert.equal(corrected[0].status, 'pending');
  assert.equal(corrected[0].body.together, true);
  await page.goto(evalUrl);
  await expectVisible(page.locator('[data-banner="offline"]'));
  await expectVisible(card.getByText(/en attente d’envoi/i));
  assert.equal(await page.getByText(/^Bilan finalisé le /).count(), 0);
  await ctx.setOffline(false);
  watch.offline = false;
  await eventually(async () => (await outbox(page)).length === 0, 'the outbox is sent once online');
  await expectVisible(page.getByText(new RegExp(`^Bilan finalisé le \\d{2}/\\d{2}/\\d{4} par ${TUTOR} et ${REFERENT}\\.$`)));
  assert.equal(await page.locator('ul.outbox-list > li').count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Visite : finaliser ensemble' }).count(), 0, 'the Évaluation page is the fresh one');

  await page.goto(visitUrl);
  const done = page.getByText(new RegExp(`^Bilan finalisé le \\d{2}/\\d{2}/\\d{4} par ${TUTOR} et ${REFERENT}\\.$`));
  await expectVisible(done);
  await expectVisible(page.getByText('Bilan établi ensemble à la visite, sans réseau.'));
  assert.equal(await page.getByRole('button', { name: 'Finaliser le bilan' }).count(), 0, 'read-only once finalised');
  // The same record sent again (two tabs, a sync that ran twice): 200, nothing changes.
  const replay = await page.evaluate(async (rec) => {
    const r = await fetch(rec.url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Livret-Sync': '1' }, body: JSON.stringify(rec.body) });
    return { status: r.status, body: await r.json() };
  }, corrected[0]);
  assert.equal(replay.status, 200);
  assert.equal(replay.body.review.status, 'finalised');
  await page.screenshot({ path: join(ARTIFACTS, 'joint-visit-finalised.png'), fullPage: true });

  // ---- 5. Finalised meanwhile by the tutor: refused (409), then abandoned ------------------
  const { context: gctx, page: gp } = await phone(origin, 'tuteur 2');
  await signIn(gp, links.get(TUTOR2), TUTOR2);
  const stages = await gp.$$eval('a[href^="/stages/"]', (as) => [...new Set(as.map((a) => /^\/stages\/[0-9a-f-]{36}/.exec(a.getAttribute('href'))?.[0]).filter(Boolean))]);
  let other = null;
  for (const s of stages) {
    await gp.goto(`${origin}${s}/evaluation`);
    if ((await gp.getByText(/^Pas encore préparé/).count()) > 0) other = s;
  }
  assert.ok(other, 'Éloïse’s placement has no review yet');
  drive(page);
  watch.allowAborted(`/api${other}/bilan-entreprise`);
  watch.allow(409, `/api${other}/bilan-entreprise`);
  await page.goto(`${origin}${other}/bilan-entreprise/criteres`);
  await page.$$eval('fieldset.competencies details', (ds) => ds.forEach((d) => (d.open = true)));
  const boxes = page.locator('input[name="criteria"]');
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  await submitExpectingRedirect(page, () => page.getByRole('button', { name: 'Enregistrer les critères' }).tap(), 'choosing the criteria');
  const otherVisit = `${origin}${other}/bilan-entreprise/visite`;
  await page.goto(otherVisit);
  await expectVisible(page.getByRole('button', { name: 'Finaliser le bilan' }));
  await waitUntil(page, async (url) => (await (await caches.open('livret-pages')).keys()).some((r) => r.url === url), otherVisit);
  watch.offline = true;
  await ctx.setOffline(true);
  await page.reload();
  const mine = page.locator('fieldset.result-choice');
  for (let i = 0; i < (await mine.count()); i++) await mine.nth(i).locator('label.result-option').nth(0).tap();
  await page.getByLabel(/Nous avons établi ce bilan ensemble/).check();
  await page.getByRole('button', { name: 'Finaliser le bilan' }).tap();
  await expectVisible(card.getByText(/en attente d’envoi/i));

  // Meanwhile, on the tutor's phone, online, with other results.
  drive(gp);
  await gp.goto(otherVisit);
  const theirs = gp.locator('fieldset.result-choice');
  for (let i = 0; i < (await theirs.count()); i++) await theirs.nth(i).locator('label.result-option').nth(1).tap();
  await gp.getByLabel(/Nous avons établi ce bilan ensemble/).check();
  // (Online too, the visit form goes through the outbox: sent at once.)
  await gp.getByRole('button', { name: 'Finaliser le bilan' }).tap();
  await expectVisible(gp.getByText(new RegExp(`^Bilan finalisé le .+ par ${TUTOR2} et ${REFERENT}\\.$`)));
  await gctx.close();

  drive(page);
  await ctx.setOffline(false);
  watch.offline = false;
  await eventually(async () => (await outbox(page))[0]?.status === 'rejected', 'the server refuses the review (409)');
  await expectVisible(page.getByText(new RegExp(`^Bilan finalisé le .+ par ${TUTOR2} et ${REFERENT}\\.$`)));
  await expectVisible(card.getByText('Refusé par le serveur, à corriger'));
  await expectVisible(card.getByText(/déjà été finalisé avec d'autres résultats/));
  await expectVisible(card.getByText('Ce qui avait été envoyé'));
  assert.match(await card.innerText(), /réussite totale en autonomie/);
  assert.equal(await card.getByRole('button', { name: 'Corriger' }).count(), 0, 'a finalised review can no longer change');
  await assertNoHorizontalOverflow(page, 'visit page with a review refused (409)');
  await page.screenshot({ path: join(ARTIFACTS, 'joint-visit-conflict.png'), fullPage: true });

  // Elsewhere (the home page), a banner leads to it.
  await page.goto(origin);
  const notice = page.locator('[data-banner="review-rejected"]');
  await expectVisible(notice);
  assert.match(await notice.innerText(), /refusé par le serveur : à corriger/);
  await notice.getByRole('link', { name: 'Voir le bilan refusé' }).tap();
  await page.waitForURL((u) => u.pathname === new URL(otherVisit).pathname);
  const drop = card.getByRole('button', { name: 'Abandonner cet envoi' });
  await drop.tap();
  await expectVisible(card.getByRole('button', { name: 'Confirmer l’abandon' }));
  assert.equal((await outbox(page)).length, 1, 'one press is not enough');
  await card.getByRole('button', { name: 'Confirmer l’abandon' }).tap();
  await eventually(async () => (await outbox(page)).length === 0, 'abandoned: the outbox is empty');
  assert.equal(await page.locator('ul.outbox-list > li').count(), 0);
  await page.goto(origin);
  assert.equal(await page.locator('[data-banner="review-rejected"]').count(), 0, 'no more banner');

  assertNothingWentWrong();
  console.log(`# screenshots: ${SHOTS.map((s) => join(ARTIFACTS, s)).join(', ')}`);
}

/** Polls `fn(arg)` in the page until it is truthy (15 s). */
async function waitUntil(page, fn, arg) {
  await eventually(() => page.evaluate(fn, arg).catch(() => false), `in the page: ${fn.toString().slice(0, 120)}`);
}

/** Polls `check()` (in Node) until it resolves truthy, for 15 s. */
async function eventually(check, what) {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The outbox records of the signed-in person, as the page sees them. */
function outbox(page) {
  return page.evaluate(() => window.LivretOutbox.list(document.querySelector('meta[name="livret-user"]').content));
}
