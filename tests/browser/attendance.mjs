// Real-browser test (issue 8): the tutor records the attendance on a phone, confirms
// it at the end of the period, and downloads the filled PFMP certificate.
//
// On a phone-sized headless Chromium (harness.mjs), on the demo:
// 1. Hélène Caillé (tutor) follows « Saisir la présence » from « Mes stagiaires » to
//    Maël's running placement: the logbook's days are proposed as present, the past
//    weekdays without an entry are blank, marked « à renseigner » and counted at the top,
//    the weekends proposed « Pas de PFMP ce jour » on one line each. « Marquer présents
//    (7 h) les jours à renseigner » shows the form again (200), filled, not saved
//    (« Vérifiez puis enregistrez »). Saved (303): the period runs, so the confirmation
//    card says why it cannot be confirmed yet, without a button.
// 2. Grégoire d'Arçais (tutor) opens Maël's finished first placement (confirmed by the
//    demo) from its page's « Présence » tile, turns a present day into a justified
//    half-day absence with a reason, saves: « à confirmer de nouveau », 133 h. He
//    confirms (« Confirmée par Grégoire d'Arçais … à 10 h 30 »), downloads the
//    certificate: its first page rendered with pdftoppm, its text read with pdftotext
//    (the student's name, the new duration, « Présence confirmée dans Livret par
//    Grégoire d'Arçais »).
// 3. Maël reads the first placement's page without a form.
// axe-core finds no violation on any of these pages; none scrolls sideways.
//
//   node tests/browser/attendance.mjs      (LIVRET_BIN, CHROMIUM_PATH as usual)
//
// Artefacts: attendance-proposal.png, attendance-filled.png, attendance-refusal.png,
// attendance-reconfirm.png, attendance-confirmed.png, attendance-student.png,
// attestation.pdf, attestation-page1.png.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
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
  signInSkippingPasskey,
  startServer,
  submitExpecting,
  submitExpectingRedirect,
} from './harness.mjs';

const HELENE = 'Hélène Caillé';
const GREGOIRE = "Grégoire d'Arçais";
const STUDENT = 'Maël Ferrand';
const SHOTS = [
  'attendance-proposal.png',
  'attendance-filled.png',
  'attendance-refusal.png',
  'attendance-reconfirm.png',
  'attendance-confirmed.png',
  'attendance-student.png',
  'attestation.pdf',
  'attestation-page1.png',
];
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

scenario('the tutor records the attendance, confirms it and downloads the certificate', { timeoutMs: 180_000, artifacts: SHOTS }, attendance);

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

/** Runs a poppler tool; a missing one is a loud failure, never a skip. */
function poppler(tool, args) {
  try {
    return execFileSync(tool, args, { encoding: 'utf8' });
  } catch (err) {
    if (err.code === 'ENOENT') assert.fail(`${tool} is missing: install Debian's poppler-utils (tests/run.sh does it)`);
    throw err;
  }
}

async function attendance() {
  const links = new Map();
  const { origin } = await startServer({
    flags: ['--demo'],
    onLine: (line) => {
      const m = /^(élève|tuteur|référent|coordination) (.+?): (https?:\/\/\S+)$/u.exec(line);
      if (m) links.set(m[2], m[3]);
    },
    ready: () => links.has(HELENE) && links.has(GREGOIRE) && links.has(STUDENT),
  });
  const save = () => page.getByRole('button', { name: 'Enregistrer la présence', exact: true }).tap();

  // ---- 1. Hélène: the proposal, blank days, weekends, the fill button ----
  const { page, watch } = await phone(origin, 'Hélène');
  await signIn(page, links.get(HELENE), HELENE);
  const card = page.locator('li.card', { hasText: STUDENT }).filter({ hasText: 'en cours' });
  await Promise.all([page.waitForURL(/\/stages\/[0-9a-f-]{36}\/presence$/), card.getByRole('link', { name: 'Saisir la présence' }).tap()]);
  const running = page.url();
  await expectVisible(page.getByRole('heading', { level: 1, name: `Présence de ${STUDENT}` }));
  await expectVisible(page.getByText(/^Dates reprises du journal de bord :/));
  const kinds = async () =>
    page.locator('fieldset.day select[name^="jour-"]').evaluateAll((ss) => ss.map((s) => [s.name.slice('jour-'.length), s.value]));
  const before = await kinds();
  assert.ok(before.some(([, v]) => v === 'present'), 'the logbook days are proposed as present');
  const blank = before.filter(([d, v]) => v === '' && ![0, 6].includes(new Date(`${d}T12:00:00Z`).getUTCDay()));
  assert.ok(blank.length > 0, 'a past weekday without a logbook entry is blank');
  const day = blank[0][0];
  // Blank is said in words, and counted at the top.
  await expectVisible(page.locator(`#carte-${day} legend`, { hasText: 'à renseigner' }));
  assert.equal(await page.locator(`#jour-${day} option:checked`).innerText(), '— à renseigner —');
  await expectVisible(page.locator('p.missing-count', { hasText: new RegExp(`^${blank.length}\\s+jours? à renseigner`) }));
  // Weekends: offered, « Pas de PFMP ce jour », one short line each.
  const weekends = before.filter(([d]) => [0, 6].includes(new Date(`${d}T12:00:00Z`).getUTCDay()));
  assert.ok(weekends.length >= 6 && weekends.every(([, v]) => v === 'off'), `weekends proposed « pas de PFMP »: ${weekends}`);
  const weekend = page.locator(`#carte-${weekends[0][0]}`);
  const { height } = await weekend.boundingBox();
  assert.ok(height < 64, `a weekend day takes one line (${height}px)`);
  assert.equal(await weekend.locator('.day-hours').isVisible(), false, 'no hours for a day without PFMP');
  assert.ok((await page.locator('div.day.upcoming').count()) > 0, 'weekdays after today are marked « à venir »');
  assert.equal(await page.locator(`#carte-${day} .day-absence`).isVisible(), false, 'no reason field for a blank day');
  await assertNoHorizontalOverflow(page, 'attendance form');
  await assertAccessible(page, 'attendance form (proposal)');
  await page.screenshot({ path: join(ARTIFACTS, 'attendance-proposal.png'), fullPage: true });

  // A Saturday worked can be set to « Présent »: its hours appear.
  await page.locator(`#jour-${weekends[0][0]}`).selectOption('present');
  await expectVisible(weekend.locator('.day-hours input'));
  await page.locator(`#jour-${weekends[0][0]}`).selectOption('off');

  await submitExpecting(page, () => page.getByRole('button', { name: 'Marquer présents (7 h) les jours à renseigner' }).tap(), 'the fill button', 200);
  await expectVisible(page.locator('.notice[role="status"]', { hasText: 'Vérifiez puis enregistrez' }));
  assert.equal(await page.locator(`#jour-${day}`).inputValue(), 'present');
  assert.equal(await page.locator(`input[name="heures-${day}"]`).inputValue(), '7');
  assert.equal(await page.locator('p.missing-count').count(), 0, 'nothing left to fill');
  await assertNoHorizontalOverflow(page, 'filled attendance form');
  await assertAccessible(page, 'filled attendance form');
  await page.screenshot({ path: join(ARTIFACTS, 'attendance-filled.png'), fullPage: true });
  await submitExpectingRedirect(page, save, 'saving the running placement');
  assert.equal(page.url(), running);
  await expectVisible(page.getByText('Présence enregistrée.'));
  const refusal = page.locator('section.attendance-confirmation p.refusal');
  await expectVisible(refusal.getByText(/La présence se confirme à la fin de la période, à partir du /));
  assert.equal(await page.getByRole('button', { name: 'Confirmer la présence' }).count(), 0, 'no confirmation before the end');
  await assertAccessible(page, 'attendance saved, not confirmable yet');
  await page.locator('section.attendance-confirmation').screenshot({ path: join(ARTIFACTS, 'attendance-refusal.png') });

  // ---- 2. Grégoire: a change on the finished placement, confirmed again ----
  const g = await phone(origin, 'Grégoire');
  drive(g.page);
  const gp = g.page;
  const gsave = () => gp.getByRole('button', { name: 'Enregistrer la présence', exact: true }).tap();
  await signIn(gp, links.get(GREGOIRE), GREGOIRE);
  const finished = gp.locator('li.card', { hasText: STUDENT }).filter({ hasText: 'terminée' });
  assert.equal(await finished.getByRole('link', { name: /présence/i }).count(), 0, 'nothing asked for a confirmed attendance');
  await Promise.all([gp.waitForURL(/\/stages\/[0-9a-f-]{36}$/), finished.locator('a.card-link').tap()]);
  await expectVisible(gp.locator('a.tile', { hasText: 'confirmée par le tuteur · 136 h 30' }));
  await Promise.all([gp.waitForURL(/\/presence$/), gp.locator('a.tile', { hasText: 'Présence' }).tap()]);
  const url = gp.url();
  const placement = /\/stages\/([0-9a-f-]{36})\//.exec(new URL(url).pathname)[1];
  await expectVisible(gp.getByText(new RegExp(`Confirmée par ${GREGOIRE}`)));
  const gdays = await gp.locator('fieldset.day select[name^="jour-"]').evaluateAll((ss) => ss.map((s) => [s.name.slice('jour-'.length), s.value]));
  // The second present Monday.
  const changed = gdays.filter(([d, v]) => v === 'present' && new Date(`${d}T12:00:00Z`).getUTCDay() === 1)[1][0];
  const changedCard = gp.locator(`#carte-${changed}`);
  await gp.locator(`#jour-${changed}`).selectOption('demi');
  assert.equal(await changedCard.locator(`input[name="heures-${changed}"]`).inputValue(), '3h30', 'the hours follow the choice');
  await changedCard.getByLabel("Motif de l'absence").fill('Convocation à la mission locale');
  await changedCard.getByLabel('Absence justifiée').check();
  await submitExpectingRedirect(gp, gsave, 'saving the change');
  assert.equal(gp.url(), url);
  await expectVisible(gp.locator('p.reconfirm', { hasText: /à confirmer de nouveau/ }));
  const totals = gp.locator('section.attendance-totals');
  await expectVisible(totals.getByText('133 h de présence, soit 19 jours'));
  assert.match(await totals.innerText(), /Absences d'une demi-journée\s+2/);
  await assertNoHorizontalOverflow(gp, 'attendance to confirm again');
  await assertAccessible(gp, 'attendance to confirm again');
  await gp.screenshot({ path: join(ARTIFACTS, 'attendance-reconfirm.png'), fullPage: true });

  await submitExpectingRedirect(gp, () => gp.getByRole('button', { name: 'Confirmer la présence' }).tap(), 'confirming');
  await expectVisible(gp.getByText(/^Présence confirmée le .+ : l'attestation de PFMP le mentionne\.$/));
  await expectVisible(gp.getByText(new RegExp(`Confirmée par ${GREGOIRE} \\(.+\\) le .+ à \\d{2}\\sh\\s\\d{2}\\.`)));
  assert.equal(await gp.getByRole('button', { name: 'Confirmer la présence' }).count(), 0, 'nothing left to confirm');
  await assertNoHorizontalOverflow(gp, 'confirmed attendance');
  await assertAccessible(gp, 'confirmed attendance');
  await gp.screenshot({ path: join(ARTIFACTS, 'attendance-confirmed.png'), fullPage: true });

  // The certificate, downloaded from the page.
  const pdfPath = join(ARTIFACTS, 'attestation.pdf');
  g.watch.allowAborted(`/stages/${placement}/attestation.pdf`);
  const [download] = await Promise.all([gp.waitForEvent('download'), gp.getByRole('link', { name: "Télécharger l'attestation (PDF)" }).tap()]);
  assert.match(download.suggestedFilename(), /\.pdf$/);
  await download.saveAs(pdfPath);
  assert.equal(readFileSync(pdfPath).subarray(0, 5).toString('latin1'), '%PDF-', 'a PDF');
  poppler('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', pdfPath, join(ARTIFACTS, 'attestation-page1')]);
  const png = join(ARTIFACTS, 'attestation-page1.png');
  assert.ok(existsSync(png) && statSync(png).size > 1000, 'the first page rendered');
  const text = poppler('pdftotext', ['-layout', '-enc', 'UTF-8', pdfPath, '-']).replace(/\s+/g, ' ');
  for (const needle of ['Ferrand', 'Maël', '133 h', `Présence confirmée dans Livret par ${GREGOIRE}`]) {
    assert.ok(text.includes(needle), `the certificate holds « ${needle} »:\n${text}`);
  }

  // ---- 3. The student reads it, without a form ----
  const student = await phone(origin, 'élève');
  drive(student.page);
  await signInSkippingPasskey(student.page, links.get(STUDENT), STUDENT);
  await student.page.goto(url);
  await expectVisible(student.page.getByRole('heading', { level: 1, name: 'Ma présence en entreprise' }));
  await expectVisible(student.page.getByText('Jours enregistrés'));
  await expectVisible(student.page.getByText(new RegExp(`Confirmée par ${GREGOIRE}`)));
  await expectVisible(student.page.getByText('justifiée — Convocation à la mission locale'));
  assert.equal(await student.page.locator('select, form.attendance-form').count(), 0, 'no form for the student');
  await assertNoHorizontalOverflow(student.page, "student's attendance page");
  await assertAccessible(student.page, "student's attendance page");
  await student.page.screenshot({ path: join(ARTIFACTS, 'attendance-student.png'), fullPage: true });

  void watch;
  assertNothingWentWrong();
}
