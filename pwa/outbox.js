// Livret — the offline outbox (issue 4), shared by the pages (app.js) and the service
// worker (sw.js, through importScripts), so both replay it the same way.
//
// IndexedDB database "livret":
//   outbox  one record per logbook entry, activity sheet or company review (issue 5:
//           the joint visit form) written on this device and not yet accepted by the
//           server: {id (UUID, the server's idempotency key: a review's `revision`),
//           kind: "logbook" | "sheet" | "review", user (the <meta name="livret-user"> tag),
//           placement, url (the JSON endpoint), form (page it was written on), list
//           (page that lists it), body (JSON sent), created (ISO time),
//           status: "pending" | "rejected", message?, errors?}
//   meta    "user": tag of the person signed in on this device (the service worker
//           replays only their records; cleared at sign-out).
// Cache "livret-pages": the personal pages last seen, to open them offline.
//
// A record leaves the outbox only after a 2xx answer; 401/403 keep everything (sign in
// again); 400/404/409/413/422 mark that record "rejected" with the server's French
// messages; no network, 408, 429 and 5xx stop the round, to be retried later.
(function (g) {
  'use strict';

  const DB_NAME = 'livret';
  const DB_VERSION = 1;
  const OUTBOX = 'outbox';
  const META = 'meta';
  const PAGES = 'livret-pages';
  /** Background Sync tag (Chromium; Safari and Firefox replay on `online` and at start). */
  const SYNC_TAG = 'livret-outbox';
  /** Most personal pages kept for offline reading (the oldest saved go first). */
  const MAX_PAGES = 60;

  let opening = null;

  function open() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const req = g.indexedDB.open(DB_NAME, DB_VERSION);
        req.onupgradeneeded = () => {
          const db = req.result;
          if (!db.objectStoreNames.contains(OUTBOX)) db.createObjectStore(OUTBOX, { keyPath: 'id' });
          if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
        };
        req.onsuccess = () => {
          const db = req.result;
          // A newer page or worker upgrades the database: let it, reopen next time.
          db.onversionchange = () => {
            db.close();
            opening = null;
          };
          resolve(db);
        };
        req.onerror = () => {
          opening = null;
          reject(req.error);
        };
      });
    }
    return opening;
  }

  /** One request in one transaction; resolves with its result once committed. */
  function run(store, mode, make) {
    return open().then(
      (db) =>
        new Promise((resolve, reject) => {
          // "strict": a record the student was told is saved is on disk.
          const tx = db.transaction(store, mode, mode === 'readwrite' ? { durability: 'strict' } : undefined);
          const req = make(tx.objectStore(store));
          tx.oncomplete = () => resolve(req.result);
          tx.onerror = tx.onabort = () => reject(tx.error || req.error);
        }),
    );
  }

  const put = (rec) => run(OUTBOX, 'readwrite', (s) => s.put(rec));
  const get = (id) => run(OUTBOX, 'readonly', (s) => s.get(id));
  const remove = (id) => run(OUTBOX, 'readwrite', (s) => s.delete(id));
  const all = () => run(OUTBOX, 'readonly', (s) => s.getAll());

  /** The records of `user`, oldest first. */
  async function list(user) {
    const recs = await all();
    return recs.filter((r) => r.user === user).sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0));
  }

  const setUser = (user) => run(META, 'readwrite', (s) => (user ? s.put(user, 'user') : s.delete('user')));
  const getUser = () => run(META, 'readonly', (s) => s.get('user'));

  function send(rec) {
    return fetch(rec.url, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'Content-Type': 'application/json', 'X-Livret-Sync': '1' },
      body: JSON.stringify(rec.body),
    });
  }

  const FALLBACK = {
    400: "Cet envoi n'a pas pu être lu par le serveur.",
    404: "Cette période de formation n'est plus accessible avec ce compte.",
    409: 'Cette fiche a déjà été envoyée au tuteur : elle ne peut plus être modifiée.',
    413: 'Ce texte est trop long pour être envoyé.',
    422: "L'envoi n'a pas été enregistré : corrigez les points signalés.",
  };

  /**
   * Sends the pending records of `user`, oldest first. Resolves with
   * {sent: [{rec, data}], rejected: [rec], auth: null | {status, message}, retry: bool}.
   * Two replays never run at once (Web Locks, where the browser has them); were they
   * to, the server stores each id once anyway.
   */
  async function replay(user) {
    const out = { sent: [], rejected: [], auth: null, retry: false };
    if (!user) return out;
    const round = async () => {
      const pending = (await list(user)).filter((r) => r.status === 'pending');
      for (const rec of pending) {
        let res;
        try {
          res = await send(rec);
        } catch {
          out.retry = true; // no network: later
          break;
        }
        let data = null;
        try {
          data = await res.json();
        } catch {
          /* not JSON (a proxy's page): the status decides */
        }
        if (res.ok) {
          await remove(rec.id);
          out.sent.push({ rec, data });
        } else if (res.status === 401 || res.status === 403) {
          out.auth = { status: res.status, message: (data && data.message) || '' };
          break;
        } else if (res.status in FALLBACK) {
          rec.status = 'rejected';
          rec.code = res.status;
          rec.message = (data && data.message) || FALLBACK[res.status];
          rec.errors = (data && data.errors) || {};
          await put(rec);
          out.rejected.push(rec);
        } else {
          out.retry = true; // 408, 429, 5xx: later
          break;
        }
      }
      return out;
    };
    const locks = g.navigator && g.navigator.locks;
    return locks ? locks.request('livret-outbox', round) : round();
  }

  /**
   * Keeps a personal page (HTML answered 200, carrying <meta name="livret-user">) in
   * the "livret-pages" cache with the time it was saved; a page of another person
   * first empties the cache, so a shared phone never shows one student's pages to the
   * next. Resolves with true when saved.
   */
  async function savePage(url, response) {
    const html = await response.text();
    const m = /<meta name="livret-user" content="([0-9a-f]+)">/.exec(html);
    if (!m) return false;
    const user = m[1];
    let cache = await g.caches.open(PAGES);
    let keys = await cache.keys();
    if (keys.length) {
      const first = await cache.match(keys[0]);
      if (!first || first.headers.get('x-livret-user') !== user) {
        await g.caches.delete(PAGES);
        cache = await g.caches.open(PAGES);
        keys = [];
      }
    }
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_PAGES + 1))) await cache.delete(old);
    const headers = new Headers(response.headers);
    // The body is stored decoded: its original encoding and length no longer apply.
    headers.delete('content-encoding');
    headers.delete('content-length');
    headers.set('x-livret-saved', new Date().toISOString());
    headers.set('x-livret-user', user);
    await cache.put(url, new Response(html, { status: 200, statusText: 'OK', headers }));
    return true;
  }

  g.LivretOutbox = { SYNC_TAG, PAGES, open, put, get, remove, list, setUser, getUser, replay, savePage };
})(self);
