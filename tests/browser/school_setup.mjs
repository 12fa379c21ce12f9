// Real-browser test (issue 3): a school sets itself up without the demo, all through the
// pages, on a phone-sized screen. The coordinator opens the printed installation link,
// creates the school, adds a teacher, creates a class, imports its class list (a
// Windows-1252 CSV as Excel saves it), declares a placement with a new company and tutor,
// and issues the tutor's access; with no SMTP server the message waits in "Messages à
// remettre", where the link and the printable letter (QR code) are. The tutor, on her own
// phone, opens that link and sees the student; the coordinator sees the link was used,
// locks it; the tutor is signed out at once and asks for a new link, which the
// coordinator sees.
//
// The tutor's link page is sent with `Referrer-Policy: no-referrer`, so Chromium posts
// its "Ouvrir mon espace" form with `Origin: null`: this test proves the server's
// same-origin guard lets that real browser POST through (on Sec-Fetch-Site:
// same-origin).
//
//   LIVRET_BIN=target/release/livret node tests/browser/school_setup.mjs
//
// Screenshots (390×844) go to tests/browser/artifacts/: setup-form.png,
// import-preview.png, placement-form.png, placement-access.png, outbox-message.png,
// outbox-letter.png, tutor-home.png, tutor-link-locked.png.

import assert from 'node:assert/strict';
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

const SHOTS = [
  'setup-form.png',
  'import-preview.png',
  'placement-form.png',
  'placement-access.png',
  'outbox-message.png',
  'outbox-letter.png',
  'tutor-home.png',
  'tutor-link-locked.png',
];

const SCHOOL = {
  name: 'Lycée professionnel Émile-Zola',
  uai: '0350001A',
  address: '2 avenue Janvier',
  city: '35000 Rennes',
};
const COORDINATOR = { first: 'Françoise', last: 'Lemaître', email: 'ddfpt@lycee-zola.example' };
const TEACHER = { first: 'Rémi', last: 'Poirier' };
const CLASS = { name: '2MCV', diploma: 'Bac Pro MCV', year: 'Seconde' };
// The class list as SIECLE exports it and Excel saves it: Windows-1252, ";", CRLF.
// "œ" is not Latin-1: Windows-1252 puts it at 0x9C, which windows1252() writes.
const STUDENTS = [
  { last: 'Lefèvre', first: 'Anaïs', born: '14/03/2010', ine: '0123456789A' },
  { last: 'Cœurdevey', first: 'François', born: '02/09/2009', ine: '0123456790B' },
  { last: 'Géraud', first: 'Joël', born: '27/11/2010', ine: '0123456791C' },
];
const PLACED = STUDENTS[1]; // "Dossier de François Cœurdevey": œ all the way to the tutor
const PLACED_NAME = `${PLACED.first} ${PLACED.last}`;
const COMPANY = { name: 'Épicerie fine Ménard', address: '12 rue de la Soif', city: '35000 Rennes' };
const TUTOR = { first: 'Gaëlle', last: 'Ménard', job: 'Gérante', email: 'gaelle.menard@epicerie.example' };
const TUTOR_NAME = `${TUTOR.first} ${TUTOR.last}`;
const OBJECTIVES = ['Accueillir et conseiller la clientèle', 'Réaliser la mise en rayon des «\u00a0produits frais\u00a0»'];

scenario(
  'a coordinator sets the school up, imports a class, declares a placement and gives the tutor her link',
  { timeoutMs: 180_000, artifacts: SHOTS },
  schoolSetup,
);

// ---------------------------------------------------------------------------------
// Helpers.

/** Text as Windows-1252 bytes; throws on a character that code page lacks. */
function windows1252(text) {
  const extra = { '€': 0x80, '‚': 0x82, '„': 0x84, '…': 0x85, 'Œ': 0x8c, '‘': 0x91, '’': 0x92, 'œ': 0x9c, 'Ÿ': 0x9f };
  return Buffer.from(
    [...text].map((ch) => {
      const c = ch.codePointAt(0);
      if (c < 0x80 || (c >= 0xa0 && c <= 0xff)) return c;
      if (ch in extra) return extra[ch];
      throw new Error(`${ch} has no Windows-1252 byte`);
    }),
  );
}

/** Today in the school's time zone (Livret's default, Europe/Paris), as yyyy-mm-dd. */
function parisToday() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(),
  );
}

function addDays(iso, n) {
  const d = new Date(`${iso}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Calendar months later, the day clamped to the month's last (as jiff does). */
function addMonths(iso, n) {
  const [y, m, d] = iso.split('-').map(Number);
  const months = y * 12 + (m - 1) + n;
  const year = Math.floor(months / 12);
  const month = (months % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${String(month).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/** yyyy-mm-dd → dd/mm/yyyy, as the pages write dates. */
function french(iso) {
  const [y, m, d] = iso.split('-');
  return `${d}/${m}/${y}`;
}

/** Text with every run of white space (line breaks, non-breaking spaces) made one space. */
function plain(s) {
  return s.replace(/\s+/g, ' ').trim();
}

/** Taps a link (or button) and waits until the URL's path satisfies `path`. */
async function follow(page, locator, path) {
  const test = typeof path === 'string' ? (u) => u.pathname === path : path;
  await Promise.all([page.waitForURL(test), locator.tap()]);
}

async function flashIs(page, text) {
  const flash = page.locator('p.flash');
  await expectVisible(flash);
  assert.equal(plain(await flash.innerText()), text);
}

async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
}

// ---------------------------------------------------------------------------------

async function schoolSetup() {
  // ---- 1. First start: the printed installation link -----------------------------
  let setupUrl = null;
  const { origin } = await startServer({
    onLine: (line) => {
      const m = /^installation: (https?:\/\/\S+)$/u.exec(line);
      if (m) setupUrl = m[1];
    },
    ready: () => setupUrl !== null,
  });
  assert.match(setupUrl, new RegExp(`^${origin}/installation/[A-Za-z0-9_-]{43}$`), 'one installation link, on this server');

  const { page: cp } = await phone(origin, 'coordination');
  const setupRes = await cp.goto(setupUrl);
  assert.equal(setupRes?.status(), 200, 'the installation link opens its form');
  await expectVisible(cp.getByRole('heading', { level: 1, name: 'Installer Livret' }));
  await cp.locator('#school_name').fill(SCHOOL.name);
  await cp.locator('#uai').fill(SCHOOL.uai);
  await cp.locator('#address').fill(SCHOOL.address);
  await cp.locator('#city').fill(SCHOOL.city);
  await cp.locator('#first_name').fill(COORDINATOR.first);
  await cp.locator('#last_name').fill(COORDINATOR.last);
  await cp.locator('#email').fill(COORDINATOR.email);
  await assertNoHorizontalOverflow(cp, 'setup form');
  await shot(cp, 'setup-form.png');
  await submitExpectingRedirect(cp, () => cp.getByRole('button', { name: "Créer l'établissement" }).tap(), 'creating the school');
  // Then Livret proposes the coordinator's passkey (issue 7); this scenario goes on
  // without one ("Plus tard").
  await cp.waitForURL((u) => u.pathname === '/cles-d-acces/nouvelle');
  await follow(cp, cp.getByRole('link', { name: 'Plus tard' }), '/');
  await expectVisible(cp.getByRole('heading', { level: 1, name: SCHOOL.name }));
  await expectVisible(cp.locator('header .who-name', { hasText: `${COORDINATOR.first} ${COORDINATOR.last}` }));
  assert.ok(plain(await cp.locator('main').innerText()).includes(`UAI ${SCHOOL.uai}`), 'the home shows the UAI code');
  // Used once, gone (checked outside the browser: a 404 page there is expected).
  const again = await fetch(setupUrl, { signal: AbortSignal.timeout(5_000) });
  assert.equal(again.status, 404, 'the installation link works only once');

  // ---- 2. A teacher, the future referent ----------------------------------------
  await follow(cp, cp.getByRole('link', { name: "Ajouter un membre de l'équipe" }), '/coordination/equipe/nouveau');
  await cp.locator('#first_name').fill(TEACHER.first);
  await cp.locator('#last_name').fill(TEACHER.last);
  await cp.locator('#role').selectOption('enseignant');
  await submitExpectingRedirect(cp, () => cp.getByRole('button', { name: 'Ajouter' }).tap(), 'adding the teacher');
  await cp.waitForURL((u) => u.pathname === '/');
  await flashIs(cp, "Membre de l'équipe ajouté : envoyez-lui un lien d'invitation.");
  await expectVisible(cp.locator('ul.people li', { hasText: `${TEACHER.first} ${TEACHER.last} (enseignant)` }));

  // ---- 3. The class ---------------------------------------------------------------
  await follow(cp, cp.getByRole('link', { name: 'Nouvelle classe' }), '/coordination/classes/nouvelle');
  await cp.locator('#name').fill(CLASS.name);
  await cp.locator('#diploma').selectOption({ label: CLASS.diploma });
  await cp.locator('#year').selectOption({ label: CLASS.year });
  await submitExpectingRedirect(cp, () => cp.getByRole('button', { name: 'Créer la classe' }).tap(), 'creating the class');
  await cp.waitForURL((u) => u.pathname === '/');
  await flashIs(cp, 'Classe créée.');
  const classCard = cp.locator('li.card', { has: cp.getByRole('link', { name: CLASS.name, exact: true }) });
  await expectVisible(classCard);
  assert.ok(plain(await classCard.innerText()).includes(`${CLASS.year} · ${CLASS.diploma}`), 'the class card names year and diploma');

  // ---- 4. The class list ----------------------------------------------------------
  const csv =
    ['Nom;Prénom;Date de naissance;Division;INE', ...STUDENTS.map((s) => `${s.last};${s.first};${s.born};${CLASS.name};${s.ine}`)].join(
      '\r\n',
    ) + '\r\n';
  const bytes = windows1252(csv);
  assert.ok(bytes.includes(0x9c), 'the file holds œ as Windows-1252 0x9C');
  assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes), 'the file must not be valid UTF-8');
  await follow(cp, cp.getByRole('link', { name: "Importer une liste d'élèves" }), '/coordination/import');
  await cp.locator('#file').setInputFiles({ name: 'export-siecle-2MCV.csv', mimeType: 'text/csv', buffer: bytes });
  await submitExpecting(cp, () => cp.getByRole('button', { name: "Voir l'aperçu" }).tap(), 'previewing the import', 200);
  await expectVisible(cp.getByRole('heading', { level: 1, name: "Aperçu de l'import" }));
  const previewText = plain(await cp.locator('main').innerText());
  assert.ok(previewText.includes('Fichier lu en Windows-1252'), `the preview names the encoding: ${previewText.slice(0, 200)}`);
  const summary = (await cp.locator('ul.import-summary > li').allInnerTexts()).map(plain);
  assert.deepEqual(summary, ['3 à créer', '0 à mettre à jour', '0 inchangé', '0 refusée'], 'the preview counts');
  const toCreate = (await cp.locator('table tbody tr td[data-label="Élève"]').allInnerTexts()).map(plain);
  assert.deepEqual(
    toCreate,
    STUDENTS.map((s) => `${s.last} ${s.first}`),
    'the preview lists the three students, accents intact',
  );
  await assertNoHorizontalOverflow(cp, 'import preview');
  await shot(cp, 'import-preview.png');
  await submitExpectingRedirect(cp, () => cp.getByRole('button', { name: /^Importer/ }).tap(), 'applying the import');
  await cp.waitForURL((u) => u.pathname === '/');
  await flashIs(cp, 'Import terminé : 3 élèves créés, 0 mis à jour.');
  await follow(cp, cp.getByRole('link', { name: CLASS.name, exact: true }), (u) => u.pathname.startsWith('/coordination/classes/'));
  await expectVisible(cp.getByRole('heading', { level: 1, name: `Classe ${CLASS.name}` }));
  const listed = (await cp.locator('ul.people > li > span:first-child').allInnerTexts()).map(plain).sort();
  assert.deepEqual(
    listed,
    STUDENTS.map((s) => `${s.last.toLocaleUpperCase('fr')} ${s.first} né(e) le ${s.born}`).sort(),
    'the class page lists the three students with their accents and birth dates',
  );
  await assertNoHorizontalOverflow(cp, 'class page');

  // ---- 5. The placement -------------------------------------------------------------
  const today = parisToday();
  const start = addDays(today, -7);
  const end = addDays(today, 21);
  await follow(cp, cp.getByRole('link', { name: `Période pour ${PLACED_NAME}` }), '/coordination/stages/nouvelle');
  await expectVisible(cp.getByRole('heading', { level: 1, name: 'Nouvelle période de formation' }));
  assert.equal(
    plain(await cp.locator('#student option:checked').innerText()),
    `${PLACED.last.toLocaleUpperCase('fr')} ${PLACED.first}`,
    'the student chosen on the class page is preselected',
  );
  await cp.locator('#company').selectOption({ label: 'Nouvelle entreprise (à saisir ci-dessous)' });
  await cp.locator('#company_name').fill(COMPANY.name);
  await cp.locator('#company_address').fill(COMPANY.address);
  await cp.locator('#company_city').fill(COMPANY.city);
  await cp.locator('#tutor').selectOption({ label: 'Nouveau tuteur (à saisir ci-dessous)' });
  await cp.locator('#tutor_first_name').fill(TUTOR.first);
  await cp.locator('#tutor_last_name').fill(TUTOR.last);
  await cp.locator('#tutor_job_title').fill(TUTOR.job);
  await cp.locator('#tutor_email').fill(TUTOR.email);
  await cp.locator('#referent').selectOption({ label: `${TEACHER.first} ${TEACHER.last}` });
  await cp.locator('#start').fill(start);
  await cp.locator('#end').fill(end);
  await cp.locator('#objectives').fill(OBJECTIVES.join('\n'));
  await assertNoHorizontalOverflow(cp, 'placement form');
  await shot(cp, 'placement-form.png');
  await submitExpectingRedirect(cp, () => cp.getByRole('button', { name: 'Enregistrer la période' }).tap(), 'saving the placement');
  await cp.waitForURL((u) => /^\/stages\/[^/]+$/.test(u.pathname));
  const placementPath = new URL(cp.url()).pathname;
  await flashIs(cp, 'Période de formation enregistrée.');
  await expectVisible(cp.getByRole('heading', { level: 1, name: `Dossier de ${PLACED_NAME}` }));
  assert.equal(plain(await cp.locator('p.period .badge').innerText()), 'en cours', 'the placement runs today');
  const objectives = cp.locator('section.card', { has: cp.getByRole('heading', { name: 'Objectifs de la période' }) });
  assert.deepEqual((await objectives.locator('li').allInnerTexts()).map(plain), OBJECTIVES.map(plain), 'both objectives, in order');
  const accessCard = cp.locator('section#acces-tuteur');
  assert.equal(plain(await accessCard.locator('.badge').first().innerText()), 'aucun accès');

  // ---- 6. Tutor access: no SMTP, so the message waits in the outbox ------------------
  await submitExpectingRedirect(
    cp,
    () => accessCard.getByRole('button', { name: "Créer l'accès et l'envoyer" }).tap(),
    "issuing the tutor's access",
  );
  await cp.waitForURL((u) => u.pathname === placementPath);
  await flashIs(
    cp,
    'Accès du tuteur créé : le message attend dans « Messages à remettre » (lien à copier ou lettre à imprimer).',
  );
  assert.equal(
    plain(await accessCard.locator('.badge').first().innerText()),
    `actif jusqu'au ${french(addMonths(today, 6))}`,
    'the link works six calendar months',
  );
  const fact = (label) => accessCard.locator('dl.facts dt', { hasText: label }).locator('xpath=following-sibling::dd[1]');
  assert.equal(plain(await fact('Dernière utilisation').innerText()), 'jamais');
  assert.match(plain(await fact('Envoyé').innerText()), /Messages à remettre/);

  await follow(cp, cp.locator('a.back'), '/');
  await follow(cp, cp.getByRole('link', { name: 'Messages à remettre (1)' }), '/messages');
  const card = cp.locator('li.card', { hasText: TUTOR_NAME });
  assert.ok(plain(await card.innerText()).includes(`Élève : ${PLACED_NAME}`), 'the outbox says which student');
  await follow(cp, card.getByRole('link', { name: TUTOR_NAME }), (u) => /^\/messages\/[^/]+$/.test(u.pathname));
  const messagePath = new URL(cp.url()).pathname;
  await expectVisible(cp.getByRole('heading', { level: 1, name: 'Message à remettre' }));
  const main = plain(await cp.locator('main').innerText());
  assert.ok(main.includes(`À : ${TUTOR_NAME} <${TUTOR.email}>`), 'addressed to the tutor');
  for (const said of [PLACED_NAME, SCHOOL.name, 'six mois']) {
    assert.ok(main.includes(said), `the message says ${said}`);
  }
  const link = (await cp.locator('textarea#link').inputValue()).trim();
  assert.match(link, new RegExp(`^${origin}/acces/[A-Za-z0-9_-]{43}$`), 'the read-only field holds the whole link');
  const linkPath = new URL(link).pathname;
  await assertNoHorizontalOverflow(cp, 'outbox message');
  await shot(cp, 'outbox-message.png');

  await follow(cp, cp.getByRole('link', { name: 'Imprimer la lettre' }), `${messagePath}/lettre`);
  const letter = cp.locator('article.letter');
  await expectVisible(letter.locator('svg.qr'));
  assert.ok((await letter.locator('svg.qr path').getAttribute('d'))?.length > 100, 'the QR code has modules');
  assert.equal(plain(await letter.locator('.link-text').innerText()), link, 'the letter writes the link in full');
  const letterText = plain(await letter.innerText());
  for (const said of [SCHOOL.name, TUTOR_NAME, COMPANY.name, PLACED_NAME]) {
    assert.ok(letterText.includes(said), `the letter says ${said}`);
  }
  await assertNoHorizontalOverflow(cp, 'letter');
  await shot(cp, 'outbox-letter.png');

  // ---- 7. The tutor, on her own phone, opens the link ------------------------------
  const { context: tctx, page: tp, watch: tw } = await phone(origin, 'tuteur');
  // The token must not travel in a Referer (a reverse proxy's access log records it).
  const leaks = [];
  tctx.on('request', (req) => {
    const referer = req.headers().referer ?? '';
    if (referer.includes(linkPath)) leaks.push(`${req.method()} ${new URL(req.url()).pathname} (Referer: ${referer})`);
  });
  const opened = await signIn(tp, link, TUTOR_NAME);
  assert.deepEqual(
    (await opened.page.headerValues('referrer-policy')).map((v) => v.trim()),
    ['no-referrer'],
    'the link page is sent with Referrer-Policy: no-referrer, once',
  );
  // The server let this POST through (signIn checked the 303), which with Origin: null it
  // does only on Chromium's own Sec-Fetch-Site: same-origin (a header the request
  // interception does not show us).
  assert.equal(
    await opened.post.headerValue('origin'),
    'null',
    'Chromium posts from a no-referrer page with Origin: null (a real origin here means something on the page, ' +
      'such as <meta name="referrer">, overrides the no-referrer header)',
  );
  await expectVisible(tp.getByRole('heading', { level: 1, name: 'Mes stagiaires' }));
  const studentLink = tp.getByRole('link', { name: new RegExp(`^${PLACED_NAME}`) });
  assert.equal(plain(await studentLink.innerText()), `${PLACED_NAME} — ${CLASS.name}`, 'the tutor sees her student');
  await assertNoHorizontalOverflow(tp, 'tutor home');
  await shot(tp, 'tutor-home.png');
  await follow(tp, studentLink, placementPath);
  await expectVisible(tp.getByRole('heading', { level: 1, name: `Dossier de ${PLACED_NAME}` }));
  assert.deepEqual(
    (await tp.locator('section.card', { hasText: 'Objectifs de la période' }).locator('li').allInnerTexts()).map(plain),
    OBJECTIVES.map(plain),
    'the tutor reads the objectives',
  );
  assert.equal(await tp.locator('#acces-tuteur').count(), 0, 'the tutor does not manage her own access');
  await assertNoHorizontalOverflow(tp, 'tutor: student file');

  // ---- 8. The coordinator sees the use, locks; the tutor is out and asks again -------
  drive(cp);
  await cp.goto(origin + placementPath);
  const lastUse = plain(await fact('Dernière utilisation').innerText());
  assert.notEqual(lastUse, 'jamais', 'the coordinator sees the link was used');
  assert.match(lastUse, /\d{4} à \d{2} h \d{2}$/, `a date and time: ${lastUse}`);
  await assertNoHorizontalOverflow(cp, 'placement page');
  await shot(cp, 'placement-access.png');
  await submitExpectingRedirect(cp, () => accessCard.getByRole('button', { name: "Verrouiller l'accès" }).tap(), 'locking the access');
  await cp.waitForURL((u) => u.pathname === placementPath);
  await flashIs(cp, 'Accès du tuteur verrouillé : son lien et ses sessions ne fonctionnent plus.');
  assert.equal(plain(await accessCard.locator('.badge').first().innerText()), 'verrouillé');

  drive(tp);
  tw.allow(401, placementPath);
  const out = await tp.reload();
  assert.equal(out?.status(), 401, "the tutor's open session ends with the lock");
  await expectVisible(tp.getByRole('heading', { level: 1, name: 'Connexion nécessaire' }));
  assert.equal(await tp.locator('header .who-name').count(), 0, 'nobody is signed in any more');

  tw.allow(410, linkPath);
  const locked = await tp.goto(link);
  assert.equal(locked?.status(), 410, 'a locked link answers 410');
  assert.deepEqual((await locked.headerValues('referrer-policy')).map((v) => v.trim()), ['no-referrer']);
  await expectVisible(tp.getByRole('heading', { level: 1, name: 'Accès verrouillé' }));
  const lockedText = plain(await tp.locator('main').innerText());
  assert.ok(lockedText.includes(`${TEACHER.first} ${TEACHER.last}`), 'the page names the referent to ask');
  await assertNoHorizontalOverflow(tp, 'locked link page');
  await shot(tp, 'tutor-link-locked.png');
  const asked = await submitExpectingRedirect(
    tp,
    () => tp.getByRole('button', { name: 'Demander un nouveau lien' }).tap(),
    'asking for a new link',
  );
  assert.equal(await asked.headerValue('origin'), 'null', 'this POST too comes from a no-referrer page');
  await tp.waitForURL((u) => u.pathname === linkPath);
  await expectVisible(tp.getByText('a bien été transmise'));
  assert.equal(await tp.getByRole('button', { name: 'Demander un nouveau lien' }).count(), 0, 'asked once');
  await tctx.close();
  assert.deepEqual(leaks, [], `requests sent the link's token in their Referer:\n${leaks.join('\n')}`);

  drive(cp);
  await cp.goto(`${origin}/`);
  const requests = cp.locator('section', { has: cp.getByRole('heading', { name: 'Demandes de nouveau lien' }) });
  await expectVisible(requests);
  const request = plain(await requests.locator('li').innerText());
  assert.ok(request.startsWith(TUTOR_NAME), `the request names the tutor: ${request}`);
  assert.ok(request.includes(`tuteur de ${PLACED_NAME}`) && request.includes('lien verrouillé'), request);

  // ---- Nothing went wrong along the way ----------------------------------------------
  assertNothingWentWrong();
  console.log(`# screenshots in ${ARTIFACTS}: ${SHOTS.join(', ')}`);
}
