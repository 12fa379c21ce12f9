// Real-browser test (issue 8): the tutor records the attendance on her phone, confirms
// it, and downloads the filled PFMP certificate.
//
// Hélène Caillé (demo tutor) opens her personal link on a phone-sized headless Chromium
// (harness.mjs), follows « Saisir la présence » from « Mes stagiaires » to Maël's running
// placement: the logbook's days are proposed as present. On a day with nothing chosen she
// picks « Absent une demi-journée » (the hours become 3h30 and the reason and « justifiée »
// appear), types a reason, ticks « justifiée », forgets the hours and types a wrong
// gratification: 422, the messages at the top and at the day, her input kept. Corrected,
// saved (303): the totals show. « Confirmer la présence »: « Confirmée par Hélène Caillé
// le … ». She downloads « Télécharger l'attestation (PDF) »: saved to
// artifacts/attestation.pdf, its first page rendered with pdftoppm, its text read with
// pdftotext (the student's name, « Présence confirmée »). Maël then reads the page
// without a form. axe-core finds no violation on the form (before and with errors), the
// confirmed page and the student's view; no page scrolls sideways.
//
//   node tests/browser/attendance.mjs      (LIVRET_BIN, CHROMIUM_PATH as usual)
//
// Artefacts: attendance-proposal.png, attendance-errors.png, attendance-confirmed.png,
// attendance-student.png, attestation.pdf, attestation-page1.png.

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

const TUTOR = 'Hélène Caillé';
const STUDENT = 'Maël Ferrand';
const SHOTS = [
  'attendance-proposal.png',
  'attendance-errors.png',
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
    ready: () => links.has(TUTOR) && links.has(STUDENT),
  });

  // ---- The tutor's home leads to the « Présence » page of Maël's running placement ----
  const { page, watch } = await phone(origin, 'tuteur');
  await signIn(page, links.get(TUTOR), TUTOR);
  const card = page.locator('li.card', { hasText: STUDENT }).filter({ hasText: 'en cours' });
  await Promise.all([page.waitForURL(/\/placements\/[0-9a-f-]{36}\/presence$/), card.getByRole('link', { name: 'Saisir la présence' }).tap()]);
  const url = page.url();
  const path = new URL(url).pathname;
  const placement = /\/placements\/([0-9a-f-]{36})\//.exec(path)[1];
  watch.allow(422, path);
  await expectVisible(page.getByRole('heading', { level: 1, name: `Présence de ${STUDENT}` }));
  await expectVisible(page.getByText(/^Dates reprises du journal de bord :/));
  const proposed = page.locator('fieldset.day select[name^="jour-"]');
  const values = await proposed.evaluateAll((ss) => ss.map((s) => [s.name.slice('jour-'.length), s.value]));
  assert.ok(values.some(([, v]) => v === 'present'), 'the logbook days are proposed as present');
  const empty = values.find(([, v]) => v === '');
  assert.ok(empty, 'a past day without a logbook entry');
  const day = empty[0];
  const present = values.find(([, v]) => v === 'present')[0];
  assert.ok((await page.locator('div.day.upcoming').count()) > 0, 'days after today are marked « à venir »');
  await expectVisible(page.locator('div.day.upcoming .badge', { hasText: 'à venir' }));
  // The absence fields show for absences only.
  const dayCard = page.locator(`#carte-${day}`);
  assert.equal(await dayCard.locator('.day-absence').isVisible(), false, 'no reason field for a day without PFMP');
  assert.equal(await page.locator(`#carte-${present} .day-absence`).isVisible(), false, 'no reason field for a present day');
  await assertNoHorizontalOverflow(page, 'attendance form');
  await assertAccessible(page, 'attendance form (proposal from the logbook)');
  await page.screenshot({ path: join(ARTIFACTS, 'attendance-proposal.png'), fullPage: true });

  // ---- A half-day absence, with mistakes: 422, the input kept ----
  await page.locator(`#jour-${day}`).selectOption('demi');
  assert.equal(await dayCard.locator(`input[name="heures-${day}"]`).inputValue(), '3h30', 'the hours follow the choice');
  await expectVisible(dayCard.getByLabel("Motif de l'absence"));
  await dayCard.getByLabel("Motif de l'absence").fill('Rendez-vous médical');
  await dayCard.getByLabel('Absence justifiée').check();
  await dayCard.locator(`input[name="heures-${day}"]`).fill('');
  await page.getByLabel('Gratification totale versée, le cas échéant (€)').fill('douze');
  await submitExpecting(page, () => page.getByRole('button', { name: 'Enregistrer la présence' }).tap(), 'saving with mistakes', 422);
  await expectVisible(page.locator('.errors[role="alert"]', { hasText: "La présence n'a pas été enregistrée" }));
  await expectVisible(page.locator(`#jour-${day}-error`, { hasText: "Indiquez le nombre d'heures." }));
  await expectVisible(page.locator('#gratification-error'));
  assert.equal(await page.locator(`#jour-${day}`).inputValue(), 'demi');
  assert.equal(await page.locator(`#carte-${day}`).getByLabel("Motif de l'absence").inputValue(), 'Rendez-vous médical');
  assert.equal(await page.locator(`#carte-${day}`).getByLabel('Absence justifiée').isChecked(), true);
  assert.equal(await page.getByLabel('Gratification totale versée, le cas échéant (€)').inputValue(), 'douze');
  await assertNoHorizontalOverflow(page, 'attendance form with errors');
  await assertAccessible(page, 'attendance form with errors');
  await page.screenshot({ path: join(ARTIFACTS, 'attendance-errors.png'), fullPage: true });

  // ---- Corrected and saved ----
  await page.locator(`#carte-${day} input[name="heures-${day}"]`).fill('3h30');
  await page.getByLabel('Gratification totale versée, le cas échéant (€)').fill('');
  await submitExpectingRedirect(page, () => page.getByRole('button', { name: 'Enregistrer la présence' }).tap(), 'saving the attendance');
  assert.equal(page.url(), url);
  await expectVisible(page.getByText('Présence enregistrée.'));
  const totals = page.locator('section.attendance-totals');
  await expectVisible(totals.getByText(/ de présence/));
  assert.match(await totals.innerText(), /Absences d'une demi-journée\s+1/);
  assert.match(await totals.innerText(), /Demi-journées d'absence non justifiées\s+0/);

  // ---- Confirmed ----
  await submitExpectingRedirect(page, () => page.getByRole('button', { name: 'Confirmer la présence' }).tap(), 'confirming');
  await expectVisible(page.getByText(/^Présence confirmée le .+ : l'attestation de PFMP le mentionne\.$/));
  await expectVisible(page.getByText(new RegExp(`Confirmée par ${TUTOR} \\(.+\\) le .+ à \\d{2}\\sh\\s\\d{2}\\.`)));
  assert.equal(await page.getByRole('button', { name: 'Confirmer la présence' }).count(), 0, 'nothing left to confirm');
  await assertNoHorizontalOverflow(page, 'confirmed attendance');
  await assertAccessible(page, 'confirmed attendance');
  await page.screenshot({ path: join(ARTIFACTS, 'attendance-confirmed.png'), fullPage: true });

  // ---- The certificate, downloaded from the page ----
  const pdfPath = join(ARTIFACTS, 'attestation.pdf');
  watch.allowAborted(`/stages/${placement}/attestation.pdf`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: "Télécharger l'attestation (PDF)" }).tap()]);
  assert.match(download.suggestedFilename(), /\.pdf$/);
  await download.saveAs(pdfPath);
  assert.equal(readFileSync(pdfPath).subarray(0, 5).toString('latin1'), '%PDF-', 'a PDF');
  poppler('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', pdfPath, join(ARTIFACTS, 'attestation-page1')]);
  const png = join(ARTIFACTS, 'attestation-page1.png');
  assert.ok(existsSync(png) && statSync(png).size > 1000, 'the first page rendered');
  const text = poppler('pdftotext', ['-layout', '-enc', 'UTF-8', pdfPath, '-']).replace(/\s+/g, ' ');
  for (const needle of ['Ferrand', 'Maël', 'Présence confirmée', TUTOR]) {
    assert.ok(text.includes(needle), `the certificate holds « ${needle} »:\n${text}`);
  }

  // ---- The student reads it, without a form ----
  const student = await phone(origin, 'élève');
  drive(student.page);
  await signInSkippingPasskey(student.page, links.get(STUDENT), STUDENT);
  await student.page.goto(url);
  await expectVisible(student.page.getByRole('heading', { level: 1, name: 'Ma présence en entreprise' }));
  await expectVisible(student.page.getByText('Jours enregistrés'));
  await expectVisible(student.page.getByText(new RegExp(`Confirmée par ${TUTOR}`)));
  await expectVisible(student.page.getByText('justifiée — Rendez-vous médical'));
  assert.equal(await student.page.locator('select, form.attendance-form').count(), 0, 'no form for the student');
  await assertNoHorizontalOverflow(student.page, "student's attendance page");
  await assertAccessible(student.page, "student's attendance page");
  await student.page.screenshot({ path: join(ARTIFACTS, 'attendance-student.png'), fullPage: true });

  assertNothingWentWrong();
}
