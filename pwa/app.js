// Livret — page script (issue 4). Registers the service worker, and lets the student
// write logbook entries and activity sheets with no network (and, issue 5, the tutor and
// the referent finalise the company review at the visit): the form's content goes
// into the outbox (outbox.js), shows at once in the list as "en attente de
// synchronisation", and is sent when the network is there (at every page load, on
// `online`, and on Background Sync where the browser has it).
//
// Progressive enhancement: without this script (or without IndexedDB) every form
// posts to the server as before. Hooks in the pages: form[data-outbox] (the forms),
// [data-outbox-list] (where pending records are listed), #storage-status,
// <meta name="livret-user"> and <meta name="livret-offline"> (page shown from the
// device, added by the service worker).
(() => {
  'use strict';
  const Outbox = window.LivretOutbox;
  const meta = (name) => {
    const el = document.querySelector(`meta[name="${name}"]`);
    return el ? el.content : '';
  };
  const user = meta('livret-user');
  const main = document.querySelector('main');
  const sw = 'serviceWorker' in navigator ? navigator.serviceWorker : null;
  const usable = !!(Outbox && user && main && window.indexedDB && window.crypto && crypto.randomUUID);
  /** Ids sent during this page's life, shown as "Synchronisée" in the server's list. */
  const synced = new Set();

  // ---- Service worker ---------------------------------------------------------------
  if (sw) {
    const firstVisit = !sw.controller;
    sw.register('/sw.js').catch(() => {});
    sw.addEventListener('message', (e) => {
      // The worker replayed the outbox (Background Sync): show what it did.
      if (e.data && e.data.type === 'outbox-changed' && usable) {
        const sent = (e.data.sent || []).map((id) => ({ rec: { id } }));
        afterReplay({ sent, rejected: [], auth: e.data.auth || null, retry: false }).catch(() => {});
      }
    });
    // This page was loaded before the worker existed: keep it now, so that it opens
    // offline too (later pages are kept by the worker as they arrive).
    if (firstVisit && user && !meta('livret-offline')) {
      sw.ready.then(() => fetchPage()).catch(() => {});
    }
  }

  function pageUrl() {
    return location.origin + location.pathname + location.search;
  }

  /** This page, fresh from the server, also kept for offline reading. */
  async function fetchPage() {
    const res = await fetch(pageUrl(), { credentials: 'same-origin', cache: 'no-store' });
    if (res.status !== 200 || res.redirected) return null;
    Outbox.savePage(pageUrl(), res.clone()).catch(() => {});
    return res.text();
  }

  // ---- Banners (above <main>, so a refreshed list keeps them) --------------------
  const bannerHost = (() => {
    if (!main) return null;
    const host = document.createElement('div');
    host.className = 'sync-banners';
    main.before(host);
    return host;
  })();

  function banner(kind, text, link) {
    if (!bannerHost) return;
    let line = bannerHost.querySelector(`[data-banner="${kind}"]`);
    if (!text) {
      if (line) line.remove();
      return;
    }
    if (!line) {
      line = document.createElement('p');
      line.dataset.banner = kind;
      line.className = `sync-banner ${kind}`;
      line.setAttribute('role', kind === 'auth' ? 'alert' : 'status');
      bannerHost.append(line);
    }
    line.textContent = text;
    if (link) {
      const a = document.createElement('a');
      a.href = link.href;
      a.textContent = link.label;
      line.append(' ', a);
    }
  }

  const offlineSince = meta('livret-offline');
  if (offlineSince) {
    const at = new Date(offlineSince);
    const when = isNaN(at) ? '' : ` le ${at.toLocaleString('fr-FR', { dateStyle: 'long', timeStyle: 'short' })}`;
    banner('offline', `Hors ligne : dernière version enregistrée${when}, peut-être pas à jour.`);
  }

  if (!usable) return;
  Outbox.setUser(user).catch(() => {});

  // ---- French formatting -----------------------------------------------------------
  function plural(n, one, many) {
    return `${n}\u00a0${n > 1 ? many : one}`;
  }

  /** "lundi 2 mars 2026", as the server writes dates (the logbook's CSS capitalises). */
  function longDate(iso) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
    if (!m) return iso || 'date à préciser';
    const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    return d.toLocaleDateString('fr-FR', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  }

  /** Hours as the server will write them ("7h30", "7,5" → "7 h 30"), else as typed. */
  function hoursText(typed) {
    const t = String(typed || '').trim().toLowerCase().replace(/\s+/g, '');
    let m = /^(\d{1,2})(?:[h:](\d{2})?)?$/.exec(t);
    let minutes = m ? Number(m[1]) * 60 + Number(m[2] || 0) : NaN;
    if (!m && (m = /^(\d{1,2})[.,](\d{1,2})$/.exec(t))) minutes = Math.round(Number(`${m[1]}.${m[2]}`) * 60);
    if (!Number.isFinite(minutes)) return typed;
    const h = Math.floor(minutes / 60);
    const min = minutes % 60;
    return min ? `${h}\u00a0h\u00a0${String(min).padStart(2, '0')}` : `${h}\u00a0h`;
  }

  function localToday() {
    const d = new Date();
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  }

  const FIELD_LABELS = {
    date: 'Date',
    hours: 'Heures',
    tasks: 'Tâches réalisées',
    notes: 'Remarques',
    title: 'Titre',
    context: 'Contexte',
    work_done: 'Ce que j’ai réalisé',
    tools: 'Outils',
    competencies: 'Compétences',
    criteria: 'Critères',
    status: 'Fiche',
    id: 'Identifiant',
    results: 'Résultats',
    comment: 'Appréciation générale',
    together: 'Bilan établi ensemble',
    revision: 'Identifiant',
    finalise: 'Finalisation',
  };

  /** The company review's six results (CriterionResult::slug → label). */
  const RESULT_LABELS = {
    aa: 'réussite totale en autonomie',
    ah: 'réussite totale avec aide',
    pa: 'réussite partielle',
    na: 'pas de réussite ou non fait',
    ne: 'critère non évaluable',
    ab: 'élève absent',
  };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---- Forms -----------------------------------------------------------------------
  for (const form of document.querySelectorAll('form[data-outbox]')) enhanceForm(form);

  function enhanceForm(form) {
    const kind = form.dataset.outbox;
    let resumed = null; // the record "Corriger" brought back, if any
    if (offlineSince) refreshDateLimits(form);
    // "Corriger": the refused record back in this form (also from the company review's
    // card on the same page, issue 5).
    form.livretResume = (rec) => {
      resumed = rec;
      if (kind === 'review') form.dataset.resuming = rec.id;
      fill(form, rec);
    };
    resumeFromHash(form);
    form.addEventListener('submit', async (event) => {
      if (form.dataset.plain) return; // IndexedDB refused: the plain form goes
      event.preventDefault();
      if (form.dataset.busy) return; // a double tap stores one record
      form.dataset.busy = '1';
      const savedAt = performance.timeOrigin + performance.now();
      const submitter = event.submitter;
      const draftId = /\/fiches\/([0-9a-f-]{36})$/.exec(form.getAttribute('action') || '');
      const id = resumed ? resumed.id : draftId ? draftId[1] : crypto.randomUUID();
      const rec = {
        id,
        kind,
        user,
        placement: form.dataset.placement,
        url: form.dataset.api,
        form: location.pathname,
        list: form.dataset.list,
        body: collect(form, kind, submitter, id),
        created: resumed ? resumed.created : new Date().toISOString(),
        status: 'pending',
      };
      // The review's criteria as the form names them, to show what was sent (issue 5).
      if (kind === 'review') rec.labels = reviewLabels(form);
      try {
        await Outbox.put(rec);
      } catch {
        form.dataset.plain = '1';
        delete form.dataset.busy;
        form.requestSubmit(submitter);
        return;
      }
      // Offline: ask for a Background Sync, which may come after this page is closed.
      // Online, the list page sends it at once (a sync now would race with it, and its
      // page would not see the entry arrive).
      if (!navigator.onLine) requestBackgroundSync();
      if (kind === 'review') {
        // The visit form (issue 5) stays on its page: "en attente d'envoi" at once, then
        // sent now if the network is there (the page then shows the server's review).
        delete form.dataset.busy;
        delete form.dataset.resuming;
        resumed = null;
        form.hidden = true;
        form.parentElement?.querySelector('.errors[data-from-outbox]')?.remove();
        banner('saved', 'Bilan enregistré sur ce téléphone, en attente d’envoi : il sera envoyé dès que le réseau reviendra.');
        await renderLists().catch(() => {});
        window.scrollTo(0, 0);
        if (navigator.onLine) replay();
        return;
      }
      stash('livret-saved-at', String(savedAt));
      if (navigator.onLine || (await isSaved(rec.list))) {
        stash('livret-just-saved', JSON.stringify(rec));
        // "#envoi-…" names no element: the list opens at its top, where the entry is.
        location.assign(`${rec.list}#envoi-${id}`);
      } else {
        // Offline and the list was never opened on this device: stay, say where it is.
        form.reset();
        delete form.dataset.busy;
        resumed = null;
        banner('saved', 'Enregistré sur ce téléphone, en attente de synchronisation : ce sera envoyé dès que le réseau reviendra.');
        window.scrollTo(0, 0);
      }
    });
  }

  /** "#reprendre=<id>": the refused record `id` back in its form (`only`: that form). */
  function resumeFromHash(only) {
    const resume = /^#reprendre=([0-9a-f-]{36})$/.exec(location.hash);
    if (!resume) return;
    Outbox.get(resume[1])
      .then((rec) => {
        if (!rec || rec.user !== user) return;
        const form = only || formFor(rec);
        if (form && form.dataset.outbox === rec.kind && form.livretResume) form.livretResume(rec);
      })
      .catch(() => {});
  }

  /** The form on this page that `rec` was written with, if any. */
  function formFor(rec) {
    const forms = [...document.querySelectorAll(`form[data-outbox="${rec.kind}"]`)];
    return rec.kind === 'review' ? forms.find((f) => f.dataset.placement === rec.placement) : forms[0];
  }

  // The company review's "Corriger" link may point at the page it is on (issue 5).
  window.addEventListener('hashchange', () => resumeFromHash());

  /** The review form's criteria, in its order: [[code, "C4.1 Title"]]. */
  function reviewLabels(form) {
    const criteria = [];
    for (const set of form.querySelectorAll('fieldset.result-choice')) {
      const radio = set.querySelector('input[type="radio"][name^="result-"]');
      if (!radio) continue;
      const code = radio.name.slice('result-'.length);
      criteria.push([code, (set.querySelector('legend')?.textContent || code).replace(/\s+/g, ' ').trim()]);
    }
    return { criteria };
  }

  /** sessionStorage, which may be full or refused: only a shortcut, never needed. */
  function stash(key, value) {
    try {
      sessionStorage.setItem(key, value);
    } catch {
      /* the list page reads the outbox anyway */
    }
  }

  /** Reads (and by default forgets) what `stash` kept; null when absent or refused. */
  function unstash(key, forget = true) {
    try {
      const value = sessionStorage.getItem(key);
      if (forget) sessionStorage.removeItem(key);
      return value;
    } catch {
      return null;
    }
  }

  async function isSaved(path) {
    try {
      const cache = await caches.open(Outbox.PAGES);
      return !!(await cache.match(new URL(path, location.href).href, { ignoreVary: true }));
    } catch {
      return false;
    }
  }

  /** A form saved on an earlier day: today as the default date and the latest allowed. */
  function refreshDateLimits(form) {
    const date = form.querySelector('input[name="date"]');
    if (!date) return;
    const today = localToday();
    const end = form.dataset.end || today;
    date.max = end < today ? end : today;
    // (getAttribute: the sheet form's buttons are named "action", which hides form.action.)
    const draft = /\/fiches\/[0-9a-f-]{36}$/.test(form.getAttribute('action') || '');
    if (date.defaultValue && date.defaultValue < today && today <= end && !draft) {
      date.value = today;
    }
  }

  function collect(form, kind, submitter, id) {
    const data = new FormData(form);
    const text = (name) => String(data.get(name) || '');
    if (kind === 'logbook') {
      return { id, date: text('date'), hours: text('hours'), tasks: text('tasks'), notes: text('notes') };
    }
    if (kind === 'review') {
      // The record's id is the change's idempotency key (`revision`), made here rather
      // than taken from the page: a page kept on the device may be sent more than once.
      const results = {};
      for (const [name, value] of data.entries()) {
        if (name.startsWith('result-') && value) results[name.slice('result-'.length)] = String(value);
      }
      return {
        revision: id,
        results,
        comment: text('comment'),
        finalise: (submitter ? submitter.value : 'finalise') === 'finalise',
        together: data.get('together') !== null,
      };
    }
    return {
      id,
      title: text('title'),
      date: text('date'),
      context: text('context'),
      work_done: text('work_done'),
      tools: text('tools'),
      competencies: data.getAll('competencies').map(String),
      criteria: data.getAll('criteria').map(String),
      submit: !!(submitter && submitter.value === 'submit'),
    };
  }

  /** Puts a rejected record back in its form, with the server's messages by the fields. */
  function fill(form, rec) {
    if (rec.kind === 'review') return fillReview(form, rec);
    for (const [name, value] of Object.entries(rec.body)) {
      if (Array.isArray(value)) {
        for (const box of form.querySelectorAll(`input[type="checkbox"][name="${name}"]`)) {
          box.checked = value.includes(box.value);
          if (box.checked) box.closest('details')?.setAttribute('open', '');
        }
      } else {
        const field = form.elements.namedItem(name);
        if (field && 'value' in field && field.type !== 'hidden') field.value = value;
      }
    }
    if (rec.status !== 'rejected') return;
    const summary = el('div', 'errors');
    summary.setAttribute('role', 'alert');
    summary.append(el('p', null, rec.message || 'Le serveur a refusé cet envoi.'));
    form.before(summary);
    for (const [name, messages] of Object.entries(rec.errors || {})) {
      const field = form.querySelector(`[name="${name}"]`);
      const anchor = name === 'competencies' ? form.querySelector('fieldset legend') : field;
      if (!anchor) continue;
      const note = el('p', 'field-error', messages.join(' '));
      note.id = `${name}-error`;
      if (name === 'competencies') anchor.after(note);
      else anchor.before(note);
      if (field && name !== 'competencies') {
        field.setAttribute('aria-invalid', 'true');
        field.setAttribute('aria-describedby', note.id);
      }
    }
  }

  /** The company review's form (issue 5) as it was sent, with the server's messages above. */
  function fillReview(form, rec) {
    const b = rec.body;
    for (const radio of form.querySelectorAll('input[type="radio"][name^="result-"]')) {
      radio.checked = b.results && b.results[radio.name.slice('result-'.length)] === radio.value;
    }
    const comment = form.elements.namedItem('comment');
    if (comment) comment.value = b.comment || '';
    const together = form.elements.namedItem('together');
    if (together) together.checked = !!b.together;
    form.hidden = false;
    form.parentElement?.querySelector('.errors[data-from-outbox]')?.remove();
    if (rec.status === 'rejected') {
      const summary = el('div', 'errors');
      summary.dataset.fromOutbox = '1';
      summary.setAttribute('role', 'alert');
      summary.append(el('p', null, rec.message || 'Le serveur a refusé cet envoi.'));
      for (const [name, messages] of Object.entries(rec.errors || {})) {
        summary.append(el('p', 'field-error', `${FIELD_LABELS[name] || name} : ${messages.join(' ')}`));
      }
      form.before(summary);
    }
    form.scrollIntoView();
  }

  // ---- Lists: the records waiting on this device -------------------------------------
  async function renderLists() {
    const recs = await Outbox.list(user);
    if (document.querySelector('[data-outbox-list]')) paint(recs);
    noticeRejectedReviews(recs);
  }

  /**
   * A company review refused by the server (issue 5) stays on the phone, "à corriger":
   * on the pages that do not list it (the home page, another placement…), a banner says
   * so and leads to its visit page.
   */
  function noticeRejectedReviews(recs) {
    const listed = new Set([...document.querySelectorAll('[data-outbox-list="review"]')].map((l) => l.dataset.placement));
    const elsewhere = recs.filter((r) => r.kind === 'review' && r.status === 'rejected' && !listed.has(r.placement));
    if (!elsewhere.length) {
      banner('review-rejected', null);
      return;
    }
    const text =
      elsewhere.length > 1
        ? `${elsewhere.length} bilans entreprise finalisés sur ce téléphone ont été refusés par le serveur : à corriger.`
        : 'Un bilan entreprise finalisé sur ce téléphone a été refusé par le serveur : à corriger.';
    banner('review-rejected', text, { href: elsewhere[0].form, label: 'Voir le bilan refusé' });
  }

  /** Shows `recs` (records of this user) in the page's outbox lists, newest first. */
  function paint(recs) {
    for (const list of document.querySelectorAll('[data-outbox-list]')) {
      const kind = list.dataset.outboxList;
      const mine = recs.filter((r) => r.kind === kind && r.placement === list.dataset.placement).reverse();
      list.replaceChildren(...mine.map((r) => (kind === 'logbook' ? entryCard(r) : kind === 'review' ? reviewCard(r) : sheetCard(r))));
      list.hidden = mine.length === 0;
      if (kind === 'review') {
        // A review waiting to be sent replaces its form (issue 5); so does a refused one
        // until "Corriger" brings it back in the form, or "Abandonner" the server's.
        const form = document.querySelector(`form[data-outbox="review"][data-placement="${list.dataset.placement}"]`);
        if (form) {
          form.hidden = mine.some((r) => r.status === 'pending' || (r.status === 'rejected' && form.dataset.resuming !== r.id));
        }
      }
    }
    markSynced();
    // The save-to-shown time, for the budget benchmark (tests/browser/budget.mjs).
    const savedAt = Number(unstash('livret-saved-at', false));
    const target = /^#envoi-([0-9a-f-]{36})$/.exec(location.hash);
    if (savedAt && target && document.getElementById(`outbox-${target[1]}`)) {
      unstash('livret-saved-at');
      document.documentElement.dataset.outboxShownMs = String(Math.round(performance.timeOrigin + performance.now() - savedAt));
    }
  }

  function stateLine(rec) {
    const line = el('p', `sync-state ${rec.status}`);
    if (rec.kind === 'review') {
      line.textContent = rec.status === 'rejected' ? 'Refusé par le serveur, à corriger' : 'En attente d’envoi';
    } else if (rec.status === 'rejected') {
      line.textContent = 'Refusée par le serveur, à corriger';
    } else {
      line.textContent = 'En attente de synchronisation';
      if (rec.kind === 'sheet') line.textContent += rec.body.submit ? ' · sera envoyée au tuteur' : ' · brouillon';
    }
    return line;
  }

  function rejection(rec, item) {
    if (rec.status !== 'rejected') return;
    const errors = Object.entries(rec.errors || {});
    if (errors.length) {
      const ul = el('ul', 'field-errors');
      for (const [name, messages] of errors) {
        for (const m of messages) ul.append(el('li', 'field-error', `${FIELD_LABELS[name] || name} : ${m}`));
      }
      item.append(ul);
    } else {
      item.append(el('p', 'field-error', rec.message || 'Le serveur a refusé cet envoi.'));
    }
    const actions = el('div', 'buttons');
    const fix = el('a', 'button', 'Corriger');
    fix.href = `${rec.form}#reprendre=${rec.id}`;
    const drop = el('button', 'danger', 'Supprimer');
    drop.type = 'button';
    drop.addEventListener('click', async () => {
      if (!window.confirm('Supprimer définitivement de ce téléphone ce qui a été refusé ?')) return;
      await Outbox.remove(rec.id);
      await renderLists();
    });
    actions.append(fix, drop);
    item.append(actions);
  }

  function entryCard(rec) {
    const b = rec.body;
    const item = el('li', `card entry outbox-item ${rec.status}`);
    item.id = `outbox-${rec.id}`;
    item.append(stateLine(rec));
    const h2 = el('h2');
    h2.append(el('span', 'day', longDate(b.date)), el('span', 'hours', hoursText(b.hours)));
    item.append(h2, el('h3', 'label', 'Tâches réalisées'), el('p', 'multiline', b.tasks));
    if (b.notes) item.append(el('h3', 'label', 'Remarques'), el('p', 'multiline', b.notes));
    rejection(rec, item);
    return item;
  }

  function sheetCard(rec) {
    const b = rec.body;
    const item = el('li', `card outbox-item ${rec.status}`);
    item.id = `outbox-${rec.id}`;
    item.append(el('strong', null, b.title || 'Fiche sans titre'), el('p', 'muted', longDate(b.date)), stateLine(rec));
    rejection(rec, item);
    return item;
  }

  function reviewCard(rec) {
    const b = rec.body;
    const item = el('li', `card outbox-item review-outbox ${rec.status}`);
    item.id = `outbox-${rec.id}`;
    const answered = Object.keys(b.results || {}).length;
    const at = new Date(rec.created);
    const when = isNaN(at) ? '' : ` le ${at.toLocaleString('fr-FR', { dateStyle: 'long', timeStyle: 'short' })}`;
    item.append(
      el('strong', null, b.finalise ? 'Bilan entreprise finalisé à la visite' : 'Bilan entreprise'),
      el('p', 'muted', `Saisi sur ce téléphone${when} · ${plural(answered, 'critère renseigné', 'critères renseignés')}`),
      stateLine(rec),
    );
    if (rec.status === 'rejected') {
      const why = el('div', 'rejection');
      why.setAttribute('role', 'alert');
      why.append(el('p', 'field-error', rec.message || 'Le serveur a refusé cet envoi.'));
      const errors = Object.entries(rec.errors || {});
      if (errors.length) {
        const ul = el('ul', 'field-errors');
        for (const [name, messages] of errors) {
          for (const m of messages) ul.append(el('li', 'field-error', `${FIELD_LABELS[name] || name} : ${m}`));
        }
        why.append(ul);
      }
      item.append(why);
    }
    item.append(sentReview(rec));
    if (rec.status === 'rejected') reviewActions(rec, item);
    return item;
  }

  /** What a review record carries, readable: each criterion's result, the comment. */
  function sentReview(rec) {
    const b = rec.body;
    const results = b.results || {};
    const box = el('details', 'help sent-review');
    if (rec.status === 'rejected') box.open = true;
    box.append(el('summary', null, rec.status === 'rejected' ? 'Ce qui avait été envoyé' : 'Ce qui sera envoyé'));
    const named = (rec.labels && rec.labels.criteria) || [];
    const codes = named.map(([code]) => code);
    for (const code of Object.keys(results)) if (!codes.includes(code)) named.push([code, code]);
    const ul = el('ul', 'sent-results');
    for (const [code, label] of named) {
      const li = el('li', null, `${label} : `);
      const slug = results[code];
      li.append(slug ? el('strong', null, RESULT_LABELS[slug] || slug) : el('em', null, 'sans résultat'));
      ul.append(li);
    }
    box.append(ul);
    box.append(el('p', null, `Appréciation générale : ${b.comment ? `« ${b.comment} »` : 'aucune'}`));
    if (b.finalise) box.append(el('p', null, `Case « Nous avons établi ce bilan ensemble » : ${b.together ? 'cochée' : 'non cochée'}`));
    return box;
  }

  /**
   * "Corriger" (the form back, filled with what was sent) and "Abandonner cet envoi"
   * (a second press confirms) for a refused review. A review finalised meanwhile on
   * the server (409) can no longer change: no "Corriger" then.
   */
  function reviewActions(rec, item) {
    const form = formFor(rec);
    const here = location.pathname === rec.form;
    const locked = rec.code === 409 || (here && !form);
    if (locked) {
      item.append(
        el('p', 'hint', 'Le bilan a été finalisé sur le serveur : il fait foi et ne peut plus être modifié. Comparez-le avec ce qui avait été envoyé, puis abandonnez cet envoi.'),
      );
    }
    const actions = el('div', 'buttons');
    if (!locked && form) {
      const fix = el('button', 'primary', 'Corriger');
      fix.type = 'button';
      fix.addEventListener('click', () => form.livretResume(rec));
      actions.append(fix);
    } else if (!locked) {
      const fix = el('a', 'button primary', 'Corriger');
      fix.href = `${rec.form}#reprendre=${rec.id}`;
      actions.append(fix);
    }
    const drop = el('button', 'danger', 'Abandonner cet envoi');
    drop.type = 'button';
    const confirmNote = el('p', 'hint', 'Appuyez de nouveau pour effacer de ce téléphone ce bilan refusé.');
    confirmNote.hidden = true;
    drop.addEventListener('click', async () => {
      if (!drop.dataset.confirm) {
        drop.dataset.confirm = '1';
        drop.textContent = 'Confirmer l’abandon';
        confirmNote.hidden = false;
        return;
      }
      await Outbox.remove(rec.id);
      const form = formFor(rec);
      if (form && form.dataset.resuming === rec.id) {
        delete form.dataset.resuming;
        form.parentElement?.querySelector('.errors[data-from-outbox]')?.remove();
      }
      await renderLists();
    });
    actions.append(drop);
    item.append(actions, confirmNote);
  }

  /** Marks the entries of the server's list that this page has just sent. */
  function markSynced() {
    for (const id of synced) {
      const item =
        document.getElementById(`entree-${id}`)?.closest('li') || document.querySelector(`a.card-link[href$="/fiches/${id}"]`)?.closest('li');
      if (!item || item.querySelector('.sync-state.synced')) continue;
      item.prepend(el('p', 'sync-state synced', '✓ Synchronisée'));
    }
  }

  // ---- Replay ----------------------------------------------------------------------
  let replaying = null;

  function replay() {
    if (!replaying) {
      replaying = Outbox.replay(user)
        .then(afterReplay)
        .catch(() => {})
        .finally(() => {
          replaying = null;
        });
    }
    return replaying;
  }

  async function afterReplay(result) {
    for (const s of result.sent) synced.add(s.rec.id);
    if (result.auth) {
      // The server answered: the network is back, whatever the saved page said.
      banner('offline', null);
      const waiting = (await Outbox.list(user)).filter((r) => r.status === 'pending');
      const entries = waiting.filter((r) => r.kind === 'logbook').length;
      const reviews = waiting.filter((r) => r.kind === 'review').length;
      const sheets = waiting.length - entries - reviews;
      const what = [
        entries && plural(entries, 'entrée', 'entrées'),
        sheets && plural(sheets, 'fiche', 'fiches'),
        reviews && plural(reviews, 'bilan entreprise', 'bilans entreprise'),
      ]
        .filter(Boolean)
        .join(' et ');
      banner(
        'auth',
        `Votre session a pris fin : reconnectez-vous (« Se connecter » avec votre clé d’accès ; tuteurs : votre lien personnel).${what ? ` Sur ce téléphone, en attente d’envoi : ${what}.` : ''}`,
      );
    } else if (result.sent.length || result.rejected.length) {
      banner('auth', null);
      banner('saved', null);
    }
    if (result.retry) retryLater();
    else retryDelay = 0;
    const stale = !!document.querySelector('meta[name="livret-offline"]') && !result.retry && !result.auth;
    // A company review refused because it was finalised meanwhile (409): the page shows
    // the server's finalised review under the refused one (issue 5).
    const overtaken = result.rejected.some((r) => r.kind === 'review' && r.code === 409);
    if ((result.sent.length || stale || overtaken) && document.querySelector('[data-outbox-list]')) {
      // The server's list now holds them (or the network is back under a saved page;
      // on the company review's pages, its new status): show it fresh, and keep it for
      // offline reading.
      await refreshMain().catch(() => {});
    }
    await renderLists();
  }

  async function refreshMain() {
    const html = await fetchPage();
    if (!html) return;
    const fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('main');
    if (!fresh) return;
    main.replaceChildren(...[...fresh.childNodes]); // copied first: moving empties the live list
    for (const form of main.querySelectorAll('form[data-outbox]')) enhanceForm(form);
    document.querySelector('meta[name="livret-offline"]')?.remove();
    banner('offline', null);
    showStorage();
  }

  // Without Background Sync (Safari, Firefox), or when `online` came before the network
  // really answered: try again while the page is open, 5 s, 10 s… up to 5 minutes apart.
  let retryDelay = 0;
  let retryTimer = null;

  function retryLater() {
    requestBackgroundSync();
    if (retryTimer) return;
    retryDelay = Math.min(retryDelay ? retryDelay * 2 : 5000, 300000);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      replay();
    }, retryDelay);
  }

  function requestBackgroundSync() {
    if (!sw) return;
    sw.ready
      .then((reg) => reg.sync && reg.sync.register(Outbox.SYNC_TAG))
      .catch(() => {});
  }

  // ---- Persistent storage ------------------------------------------------------------
  let persisted = null;

  async function showStorage() {
    const line = document.getElementById('storage-status');
    if (!line || !navigator.storage || !navigator.storage.persist) return;
    if (persisted === null) {
      persisted = (await navigator.storage.persisted()) || (await navigator.storage.persist());
    }
    line.textContent = persisted
      ? 'Stockage hors ligne : garanti par le navigateur.'
      : 'Stockage hors ligne : non garanti par le navigateur (s’il manque de place, il peut effacer ce qui est enregistré sur ce téléphone : synchronisez dès que possible).';
    line.hidden = false;
  }

  // ---- Start -------------------------------------------------------------------------
  // The record the form has just saved comes along in sessionStorage, so the list shows
  // it before the outbox is even open (opening IndexedDB in a new page takes tens of
  // milliseconds): "at once", as the student expects.
  try {
    const just = JSON.parse(unstash('livret-just-saved') || 'null');
    if (just && just.user === user && just.list === location.pathname) paint([just]);
  } catch {
    /* nothing usable handed over */
  }
  showStorage().catch(() => {});
  renderLists()
    .catch(() => {})
    .then(replay);
  window.addEventListener('online', replay);
})();
