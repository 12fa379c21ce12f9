// Real-browser test (issue 2): on a phone-sized screen, the student writes a logbook
// entry through the form and the tutor then reads it in the student's file.
//
// Runs the real release binary (or $LIVRET_BIN) with --demo on a fresh temporary data
// directory and a free loopback port, and drives Debian's Chromium (/usr/bin/chromium,
// or $CHROMIUM_PATH) headless through playwright-core (bookkeeping: harness.mjs). No
// browser is downloaded: a missing Chromium is a failure, never a skip.
//
//   node tests/browser/student_logbook.mjs
//
// Screenshots go to tests/browser/artifacts/ (student-logbook.png, tutor-logbook.png).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  ARTIFACTS,
  assertNoHorizontalOverflow,
  assertNothingWentWrong,
  expectVisible,
  phone,
  scenario,
  signIn,
  signInSkippingPasskey,
  startServer,
  submitExpectingRedirect,
} from './harness.mjs';

const STUDENT = 'Maël Ferrand';
const TUTOR = 'Hélène Caillé';
// Unique per run, with accents, typographic quotes, a dash and "n°", so that encoding
// problems anywhere between the form and the tutor's page show up.
const RUN_ID = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
const TASKS = `Contrôle de continuité des conducteurs — tableau n°2, « essai » réussi (réf. ${RUN_ID})`;
const NOTES = "J'ai vérifié l'équipotentialité de la salle d'eau avec Mme Caillé.";

scenario(
  'a student writes a logbook entry on a phone and the tutor reads it',
  { timeoutMs: 120_000, artifacts: ['student-logbook.png', 'tutor-logbook.png'] },
  studentWritesTutorReads,
);

async function studentWritesTutorReads() {
  const links = new Map(); // full name -> { role, url }
  const { origin } = await startServer({
    flags: ['--demo'],
    onLine: (line) => {
      const m = /^(élève|tuteur|référent|coordination) (.+?): (https?:\/\/\S+)$/u.exec(line);
      if (m) links.set(m[2], { role: m[1], url: m[3] });
    },
    ready: () => links.has(STUDENT) && links.has(TUTOR),
  });
  const student = links.get(STUDENT);
  const tutor = links.get(TUTOR);
  assert.equal(student.role, 'élève', `${STUDENT} should be printed as élève`);
  assert.equal(tutor.role, 'tuteur', `${TUTOR} should be printed as tuteur`);
  for (const { url } of links.values()) {
    assert.equal(new URL(url).origin, origin, `printed link ${url} should point at ${origin}`);
  }

  // ---- The student, on a phone -------------------------------------------------
  // Without JavaScript: the plain HTML form must keep working (issue 4, progressive
  // enhancement; with JavaScript the entry goes through the offline outbox, which
  // offline_logbook.mjs tests).
  const { context: sctx, page: sp } = await phone(origin, 'élève', { javaScriptEnabled: false });

  // The printed link is an invitation (issue 7): it proposes a passkey first; this
  // scenario goes on without one.
  await signInSkippingPasskey(sp, student.url, STUDENT);
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
  const { context: tctx, page: tp } = await phone(origin, 'tuteur');

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
  assertNothingWentWrong();

  console.log(`# screenshots: ${join(ARTIFACTS, 'student-logbook.png')}, ${join(ARTIFACTS, 'tutor-logbook.png')}`);
}
