// Real-browser test (issue 5): the competency record of the demo's Maël Ferrand, as
// the referent, the tutor and the student see it on their phones.
//
// - The dashboard (tableau de bord) shows one column per evaluation (≥ 8 school
//   evaluations and the finalised company review, E marked pink), cells in all six
//   results, rectangles and pills, the black line, a visually-hidden result in every
//   cell; the referent, the tutor and the student get the same table.
// - The interim reviews (bilans de compétences): a banner of two dates; the latest shows
//   two columns, the first one column; constats and conseils first.
// - axe-core finds no violation on either page; print media hides the menus and the
//   filters, and Chromium prints the dashboard to an A4 PDF.
//
//   LIVRET_BIN=target/release/livret node tests/browser/competency_record.mjs
//
// Screenshots go to tests/browser/artifacts/: dashboard-390.png, dashboard-1280.png,
// review-390.png, review-1280.png, and dashboard-print.pdf.

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
  signInSkippingPasskey,
  startServer,
} from './harness.mjs';

const STUDENT = 'Maël Ferrand';
const TUTOR = 'Hélène Caillé';
const REFERENT = 'Sébastien Roussel';
const SHOTS = ['dashboard-390.png', 'dashboard-1280.png', 'review-390.png', 'review-1280.png', 'dashboard-print.pdf', 'review-print.pdf'];
const RESULTS = ['na', 'pa', 'ah', 'aa', 'ne', 'ab'];

const require = createRequire(import.meta.url);
const AXE = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');

scenario('the competency record: same dashboard for all, interim reviews, accessible and printable', { timeoutMs: 240_000, artifacts: SHOTS }, competencyRecord);

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

/** The [width, height] (points) of each page of a PDF Chromium made (uncompressed
 * page dictionaries). */
function pageBoxes(pdf) {
  const text = pdf.toString('latin1');
  return [...text.matchAll(/\/Type\s*\/Page\b[^s][\s\S]*?\/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]/g)].map((m) => [
    Number(m[3]) - Number(m[1]),
    Number(m[4]) - Number(m[2]),
  ]);
}

/** The dashboard table's HTML, to compare what each person sees. */
const tableHtml = (page) => page.locator('table.dashboard').evaluate((t) => t.outerHTML);

async function openFromMenu(page, name, heading) {
  await Promise.all([page.waitForLoadState('load'), page.locator('nav.record-nav').getByRole('link', { name, exact: true }).click()]);
  await expectVisible(page.getByRole('heading', { level: 1, name: heading }));
}

async function competencyRecord() {
  const links = new Map();
  const { origin } = await startServer({
    flags: ['--demo'],
    onLine: (line) => {
      const m = /^(élève|tuteur|référent|coordination) (.+?): (https?:\/\/\S+)$/u.exec(line);
      if (m) links.set(m[2], m[3]);
    },
    ready: () => links.has(STUDENT) && links.has(TUTOR) && links.has(REFERENT),
  });

  // ---- The referent, on a phone ------------------------------------------------
  const { page: rp } = await phone(origin, 'référent');
  await signInSkippingPasskey(rp, links.get(REFERENT), REFERENT);
  const card = rp.locator('li.card', { hasText: STUDENT }).first();
  await Promise.all([rp.waitForLoadState('load'), card.getByRole('link', { name: 'Tableau de bord' }).click()]);
  await expectVisible(rp.getByRole('heading', { level: 1, name: /Tableau de bord/ }));
  const dashboardPath = new URL(rp.url()).pathname;

  const table = rp.locator('table.dashboard');
  const columns = await table.locator('thead th.eval').count();
  assert.ok(columns >= 10, `nine school evaluations and one company review are columns (found ${columns})`);
  assert.equal(await table.locator('thead abbr.level-E').count(), 1, 'one E column (the finalised company review)');
  for (const code of ['D', 'Int', 'Ba']) {
    assert.ok((await table.locator(`thead abbr.level-${code}`).count()) >= 1, `a ${code} column`);
  }
  for (const slug of RESULTS) {
    assert.ok((await table.locator(`.cell.res-${slug}`).count()) >= 1, `a cell with result ${slug}`);
  }
  assert.ok((await table.locator('.cell.company').count()) >= 1, 'company results are pills');
  assert.ok((await table.locator('.cell.school').count()) >= 1, 'school results are rectangles');
  const line = await table.locator('thead th.eval').evaluateAll((ths) => ths.findIndex((th) => /\bline\b/.test(th.className)));
  assert.ok(line > 0 && line < columns, `the black line stands between the columns (at ${line} of ${columns})`);
  const lineStyle = await table.locator('thead th.eval').nth(line).evaluate((th) => getComputedStyle(th).borderLeftStyle + ' ' + getComputedStyle(th).borderLeftColor);
  assert.match(lineStyle, /solid rgb\(0, 0, 0\)/, 'the line is a black vertical border');
  const silent = await table.locator('.cell').evaluateAll((cells) => cells.filter((c) => !c.querySelector('.visually-hidden')?.textContent.trim()).length);
  assert.equal(silent, 0, 'every cell carries its result as text for screen readers');
  await assertNoHorizontalOverflow(rp, 'dashboard (the table scrolls inside its frame)');
  await rp.screenshot({ path: join(ARTIFACTS, 'dashboard-390.png'), fullPage: true });
  await assertAccessible(rp, 'dashboard');
  const reference = await tableHtml(rp);

  // Print: menus and filters hidden, an A4 PDF.
  await rp.emulateMedia({ media: 'print' });
  assert.equal(await rp.locator('form.filters').isVisible(), false, 'the filters are not printed');
  assert.equal(await rp.locator('nav.record-nav').isVisible(), false, 'the menu is not printed');
  assert.equal(await table.isVisible(), true, 'the table is printed');
  const dashboardPdf = await rp.pdf({ path: join(ARTIFACTS, 'dashboard-print.pdf'), preferCSSPageSize: true, printBackground: true });
  const box = pageBoxes(dashboardPdf)[0];
  assert.ok(box && box[0] > box[1], `the dashboard prints on landscape A4 pages (MediaBox ${box})`);
  await rp.emulateMedia({ media: 'screen' });

  await rp.setViewportSize({ width: 1280, height: 800 });
  await rp.screenshot({ path: join(ARTIFACTS, 'dashboard-1280.png'), fullPage: true });
  await rp.setViewportSize({ width: 390, height: 844 });

  // ---- Interim reviews -------------------------------------------------------------
  await openFromMenu(rp, 'Bilan de compétences', /Bilan/);
  const dates = rp.locator('nav.review-dates a');
  assert.equal(await dates.count(), 2, 'two published reviews in the banner');
  const reviewTable = rp.locator('main table').first();
  const dateColumns = () => reviewTable.locator('thead th').count();
  assert.equal(await dateColumns(), 3, 'the latest review: competencies + two dates');
  await expectVisible(rp.getByText('Constats', { exact: false }));
  await expectVisible(rp.getByText('Conseils', { exact: false }));
  assert.ok(await rp.getByText('Note proposée').first().isVisible(), 'the proposed grade row');
  await rp.screenshot({ path: join(ARTIFACTS, 'review-390.png'), fullPage: true });
  await assertAccessible(rp, 'interim reviews');
  await rp.emulateMedia({ media: 'print' });
  const reviewPdf = await rp.pdf({ path: join(ARTIFACTS, 'review-print.pdf'), preferCSSPageSize: true, printBackground: true });
  assert.equal(pageBoxes(reviewPdf).length, 1, 'a review prints on one A4 page');
  await rp.emulateMedia({ media: 'screen' });
  await Promise.all([rp.waitForLoadState('load'), dates.first().click()]);
  await expectVisible(rp.locator('nav.review-dates a[aria-current="page"]'));
  assert.equal(await dateColumns(), 2, 'the first review: competencies + one date');
  await rp.setViewportSize({ width: 1280, height: 800 });
  await rp.screenshot({ path: join(ARTIFACTS, 'review-1280.png'), fullPage: true });

  // ---- The tutor and the student see the same dashboard -----------------------------
  const { page: tp } = await phone(origin, 'tuteur');
  await signIn(tp, links.get(TUTOR), TUTOR);
  drive(tp);
  const tcard = tp.locator('li.card', { hasText: STUDENT }).first();
  await Promise.all([tp.waitForLoadState('load'), tcard.locator('a.card-link').click()]);
  await expectVisible(tp.locator('nav.record-nav'));
  await openFromMenu(tp, 'Tableau de bord', /Tableau de bord/);
  assert.equal(new URL(tp.url()).pathname, dashboardPath, 'the tutor opens the same dashboard');
  assert.equal(await tableHtml(tp), reference, 'the tutor sees the same table as the referent');

  const { page: sp } = await phone(origin, 'élève');
  await signInSkippingPasskey(sp, links.get(STUDENT), STUDENT);
  drive(sp);
  await openFromMenu(sp, 'Tableau de bord', /tableau de bord/i);
  assert.equal(await tableHtml(sp), reference, 'the student sees the same table as the referent');

  assertNothingWentWrong();
}
