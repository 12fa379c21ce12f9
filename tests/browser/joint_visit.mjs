// Real-browser test (issue 5): the company review's joint visit mode works offline.
//
// As the referent of Maël in the demo, on a phone-sized headless Chromium (harness.mjs):
//  1. online once: the visit page (/stages/:id/bilan-entreprise/visite) is opened, the
//     service worker controls it and keeps it on the device;
//  2. offline (network emulation): the page reloads from the device, every criterion
//     gets a result, the joint box is ticked, "Finaliser le bilan" keeps the review in
//     the IndexedDB outbox and shows it at once as "en attente d'envoi";
//  3. back online: the outbox replays it to /api/stages/:id/bilan-entreprise, leaves
//     empty, and the page shows the server's finalised review; reloaded online, the
//     page says "Bilan finalisé" with both names.
//
//   node tests/browser/joint_visit.mjs      (LIVRET_BIN, CHROMIUM_PATH as usual)
//
// Screenshots: artifacts/joint-visit-pending.png, joint-visit-finalised.png.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, assertNoHorizontalOverflow, assertNothingWentWrong, expectVisible, phone, scenario, signIn, startServer } from './harness.mjs';

const REFERENT = 'Sébastien Roussel';
const TUTOR = 'Hélène Caillé';
const SHOTS = ['joint-visit-pending.png', 'joint-visit-finalised.png'];

scenario('the company review is finalised offline at the visit and reaches the server once', { timeoutMs: 180_000, artifacts: SHOTS }, jointVisit);

async function jointVisit() {
  const links = new Map();
  const { origin } = await startServer({
    flags: ['--demo'],
    onLine: (line) => {
      const m = /^(élève|tuteur|référent|coordination) (.+?): (https?:\/\/\S+)$/u.exec(line);
      if (m) links.set(m[2], m[3]);
    },
    ready: () => links.has(REFERENT) && links.has(TUTOR),
  });

  // The tutor's home leads to Maël's current placement (the one with an open review).
  const { context: tctx, page: tp } = await phone(origin, 'tuteur');
  await signIn(tp, links.get(TUTOR), TUTOR);
  const stage = await tp.$$eval('a[href^="/stages/"]', (as) => as.map((a) => /^\/stages\/[0-9a-f-]{36}/.exec(a.getAttribute('href'))?.[0]).find(Boolean));
  assert.ok(stage, 'the tutor sees a placement');
  await tctx.close();
  const visitUrl = `${origin}${stage}/bilan-entreprise/visite`;

  // ---- 1. Online once ------------------------------------------------------------------
  const { context: ctx, page, watch } = await phone(origin, 'référent');
  watch.allowAborted(`/api${stage}/bilan-entreprise`);
  await signIn(page, links.get(REFERENT), REFERENT);
  await page.goto(visitUrl);
  await expectVisible(page.getByRole('button', { name: 'Finaliser le bilan' }));
  await expectVisible(page.getByText(`Tuteur : ${TUTOR} — Enseignant référent : ${REFERENT}`));
  await waitUntil(page, () => !!navigator.serviceWorker.controller);
  await waitUntil(page, async (url) => (await (await caches.open('livret-pages')).keys()).some((r) => r.url === url), visitUrl);

  // ---- 2. Offline: fill, finalise, pending at once ----------------------------------------
  watch.offline = true;
  await ctx.setOffline(true);
  await page.reload();
  await expectVisible(page.locator('[data-banner="offline"]'));
  const criteria = page.locator('fieldset.result-choice');
  const n = await criteria.count();
  assert.ok(n >= 2, 'the review has criteria');
  for (let i = 0; i < n; i++) await criteria.nth(i).locator('label.result-option').nth(i % 4).tap();
  await page.locator('#comment').fill('Bilan établi ensemble à la visite, sans réseau.');
  await page.getByLabel(new RegExp(`Nous avons établi ce bilan ensemble, ${TUTOR} et ${REFERENT}`)).check();
  await page.getByRole('button', { name: 'Finaliser le bilan' }).tap();
  const pending = page.locator('ul.outbox-list > li');
  await expectVisible(pending);
  assert.match(await pending.innerText(), /en attente d’envoi/i);
  assert.equal(await page.locator('form[data-outbox="review"]').isHidden(), true, 'the form gives way to the pending review');
  await expectVisible(page.locator('[data-banner="saved"]'));
  const queued = await outbox(page);
  assert.equal(queued.length, 1);
  assert.equal(queued[0].kind, 'review');
  assert.equal(queued[0].body.finalise, true);
  assert.equal(queued[0].body.together, true);
  assert.equal(Object.keys(queued[0].body.results).length, n);
  await assertNoHorizontalOverflow(page, 'visit page with a pending review');
  await page.screenshot({ path: join(ARTIFACTS, 'joint-visit-pending.png'), fullPage: true });

  // ---- 3. Back online: replayed once, finalised on the server -------------------------------
  await ctx.setOffline(false);
  watch.offline = false;
  await eventually(async () => (await outbox(page)).length === 0, 'the outbox is sent once online');
  await expectVisible(page.getByText(/^Bilan finalisé le .+ par .+\.$/));
  await page.reload();
  const done = page.getByText(new RegExp(`^Bilan finalisé le \\d{2}/\\d{2}/\\d{4} par ${TUTOR} et ${REFERENT}\\.$`));
  await expectVisible(done);
  await expectVisible(page.getByText('Bilan établi ensemble à la visite, sans réseau.'));
  assert.equal(await page.getByRole('button', { name: 'Finaliser le bilan' }).count(), 0, 'read-only once finalised');
  // The same record sent again (two tabs, a sync that ran twice): 200, nothing changes.
  const replay = await page.evaluate(async (rec) => {
    const r = await fetch(rec.url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Livret-Sync': '1' }, body: JSON.stringify(rec.body) });
    return { status: r.status, body: await r.json() };
  }, queued[0]);
  assert.equal(replay.status, 200);
  assert.equal(replay.body.review.status, 'finalised');
  await page.screenshot({ path: join(ARTIFACTS, 'joint-visit-finalised.png'), fullPage: true });

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
