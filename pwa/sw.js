// Livret — service worker (issue 4). Served at /sw.js by src/web/sw.rs, which writes
// in the version and the hashed asset URLs at start-up (the placeholders below).
//
// - install: stores the app shell (CSS, scripts, icon, offline page) in
//   "livret-shell-<version>";
// - activate: deletes the shells of other versions, takes control of open pages;
// - /assets/*: cache first (their URLs change with their content);
// - pages (GET navigations): network first; each personal page that arrives is kept in
//   "livret-pages", so the pages last seen open offline, marked with
//   <meta name="livret-offline" content="<time saved>">; else the offline page;
// - never cached: /api/, /acces/, /installation/, anything but GET;
// - POST /deconnexion: empties "livret-pages" and unsubscribes this device from push
//   notifications (telling the server) before signing out (shared phones);
// - sync "livret-outbox": replays the outbox (outbox.js) where Background Sync exists;
// - push (issue 6): shows the notification the server sent; notificationclick: focuses
//   or opens its page; pushsubscriptionchange: subscribes again and tells the server.
'use strict';

const VERSION = '__LIVRET_VERSION__';
/** Every embedded file: plain name → hashed URL of this version. */
const ASSETS = {/*__LIVRET_ASSETS__*/};
/** Stored at install. */
const PRECACHE = [/*__LIVRET_PRECACHE__*/];
const SHELL = `livret-shell-${VERSION}`;
const OFFLINE_PAGE = '/hors-ligne';
/** A page that takes longer than this (weak signal) is shown from the device. */
const PAGE_TIMEOUT_MS = 5000;

importScripts(ASSETS['outbox.js']);
const Outbox = self.LivretOutbox;

// A new version installs while the old one serves, and waits. It is not activated at
// once (skipWaiting in install): the old version's open pages would be served by a
// worker that has just deleted the old shell. It takes over at the next navigation
// that reaches the network (see `page`): that navigation's page comes fresh from the
// server and names only new asset URLs, and pages left open in other tabs already hold
// their CSS and scripts (every page loads them all in <head>, nothing later). So no
// reload, no blank screen, and no page mixes old and new assets.
self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(PRECACHE)));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('livret-shell-') && name !== SHELL) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  const type = event.data && event.data.type;
  if (type === 'skip-waiting') self.skipWaiting();
  else if (type === 'version' && event.ports[0]) event.ports[0].postMessage(VERSION);
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.method === 'POST' && url.pathname === '/deconnexion') {
    event.respondWith(signOut(req));
    return;
  }
  if (req.method !== 'GET') {
    // A form that cannot go through the outbox (a correction, "Envoyer au tuteur" on a
    // sheet's page…) sent with no network: say so in French, rather than the browser's
    // own error page; "Retour" brings the form back as it was typed.
    if (req.mode === 'navigate') event.respondWith(fetch(req).catch(() => needsNetwork()));
    return;
  }
  if (['/api/', '/acces/', '/installation/'].some((p) => url.pathname.startsWith(p))) return;
  if (url.pathname.startsWith('/assets/')) event.respondWith(asset(req));
  else if (req.mode === 'navigate') event.respondWith(page(event));
  else if (PRECACHE.includes(url.pathname)) event.respondWith(networkThenShell(req));
});

async function signOut(req) {
  await Promise.all([caches.delete(Outbox.PAGES), Outbox.setUser(null).catch(() => {}), forgetPush()]);
  // Pending outbox records stay: they belong to their user, replayed at their next visit.
  // Without network the session cannot be ended on the server (nor its HttpOnly cookie
  // removed from here): say so plainly.
  return fetch(req).catch(() =>
    message(
      'Déconnexion impossible sans réseau',
      'Les pages enregistrées sur ce téléphone ont été effacées, mais la session reste ouverte : le serveur ne peut pas être prévenu sans réseau. Dès que le réseau revient, appuyez de nouveau sur « Se déconnecter ».',
    ),
  );
}

function needsNetwork() {
  return message(
    'Cette action demande le réseau',
    'Rien n’a été envoyé : vous êtes hors ligne. Revenez en arrière (votre saisie est conservée par le navigateur) et réessayez quand le réseau revient. Les nouvelles entrées du journal et les nouvelles fiches, elles, s’enregistrent sur le téléphone même sans réseau.',
  );
}

/** A small French page of this version's style, for what cannot be done offline. */
function message(title, text) {
  const esc = (t) => t.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const html = `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)} — Livret</title><link rel="stylesheet" href="${ASSETS['app.css']}"></head><body><header class="top"><a class="brand" href="/">Livret</a></header><main><h1>${esc(title)}</h1><p>${esc(text)}</p></main></body></html>`;
  return new Response(html, { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}

async function asset(req) {
  const hit = await caches.match(req, { ignoreVary: true });
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok) {
    const copy = res.clone();
    caches.open(SHELL).then((cache) => cache.put(req, copy)).catch(() => {});
  }
  return res;
}

// "/" sends a signed-in person on to their own page (the installed app's start URL):
// the page it leads to is also saved as "/", so that the app opens offline. Navigations
// whose "/" was redirected, by the id of the page they will make.
const homeRedirects = new Set();

async function page(event) {
  const req = event.request;
  const home = new URL(req.url).pathname === '/';
  const fromHome = homeRedirects.delete(event.resultingClientId);
  let res;
  try {
    res = await withTimeout(fetch(req), PAGE_TIMEOUT_MS);
  } catch {
    return savedPage(req.url);
  }
  // Online: the safe moment for a waiting new version to take over (see install).
  if (self.registration.waiting) self.registration.waiting.postMessage({ type: 'skip-waiting' });
  const html = (res.headers.get('content-type') || '').startsWith('text/html');
  if (home && res.type === 'opaqueredirect' && event.resultingClientId) homeRedirects.add(event.resultingClientId);
  if (res.status === 200 && res.type === 'basic' && !res.redirected && html) {
    const copies = [Outbox.savePage(req.url, res.clone())];
    if (fromHome) copies.push(Outbox.savePage(new URL('/', req.url).href, res.clone()));
    event.waitUntil(Promise.all(copies).catch(() => {}));
  }
  return res;
}

/** The page as last saved, marked as such, with this version's assets; else the offline page. */
async function savedPage(url) {
  const cache = await caches.open(Outbox.PAGES);
  const saved = await cache.match(url, { ignoreVary: true });
  if (!saved) return shellOr(url);
  const at = (saved.headers.get('x-livret-saved') || '').replace(/[^0-9TZ:.+-]/g, '');
  const html = (await saved.text())
    .replace('<head>', `<head><meta name="livret-offline" content="${at}">`)
    // Saved by an older version? Its asset URLs are gone with its shell: name this
    // version's, all of them, so the page never mixes the two.
    .replace(/\/assets\/([\w.-]+?)\.[0-9a-f]{10}\.(\w+)/g, (m, stem, ext) => ASSETS[`${stem}.${ext}`] || m);
  return new Response(html, { status: 200, statusText: 'OK', headers: saved.headers });
}

async function shellOr(url) {
  const cache = await caches.open(SHELL);
  const hit = (await cache.match(url, { ignoreVary: true })) || (await cache.match(OFFLINE_PAGE, { ignoreVary: true }));
  return (
    hit ||
    new Response('Livret : hors ligne, et cette page n’est pas enregistrée sur cet appareil.', {
      status: 503,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    })
  );
}

async function networkThenShell(req) {
  try {
    return await fetch(req);
  } catch {
    return shellOr(new URL(req.url).pathname);
  }
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

// Background Sync (Chromium): replays the outbox of the person last signed in on this
// device, even with no Livret page open; open pages are told what happened.
self.addEventListener('sync', (event) => {
  if (event.tag !== Outbox.SYNC_TAG) return;
  event.waitUntil(
    (async () => {
      const result = await Outbox.replay(await Outbox.getUser());
      if (result.sent.length || result.rejected.length || result.auth) {
        for (const client of await self.clients.matchAll({ type: 'window' })) {
          client.postMessage({ type: 'outbox-changed', sent: result.sent.map((s) => s.rec.id), auth: result.auth });
        }
      }
      // Rejecting asks the browser to try again later (with back-off).
      if (result.retry && !event.lastChance) throw new Error('outbox: network unavailable');
    })(),
  );
});

// ---- Web push (issue 6) ----------------------------------------------------------------
// The payload is Notification::payload() of src/domain/push.rs:
// {"title": …, "body": …, "url": "/same-origin/path", "tag": "…"}.

const PUSH_API = '/api/notifications';
/** Shown for a push without a readable payload: browsers penalise silent pushes. */
const GENERIC = { title: 'Livret : du nouveau vous attend', body: 'Ouvrez Livret pour voir ce qui a changé.', url: '/', tag: '' };

/** Same rule as domain::push::same_origin_path: one leading "/", no "//", "\\" or control character. */
function sameOriginPath(url) {
  return typeof url === 'string' && url.startsWith('/') && !url.startsWith('//') && !url.includes('\\') && !/[\u0000-\u001f\u007f-\u009f]/.test(url);
}

/** `event.waitUntil(promise)`, which a script-made event (no browser dispatch) refuses. */
function keepAlive(event, promise) {
  try {
    event.waitUntil(promise);
  } catch {
    /* not dispatched by the browser: the promise runs all the same */
  }
  return promise;
}

function readPush(event) {
  let msg = null;
  try {
    msg = event.data ? event.data.json() : null;
  } catch {
    msg = null;
  }
  if (!msg || typeof msg !== 'object' || typeof msg.title !== 'string' || !msg.title) return GENERIC;
  return {
    title: msg.title,
    body: typeof msg.body === 'string' ? msg.body : '',
    url: sameOriginPath(msg.url) ? msg.url : '/',
    tag: typeof msg.tag === 'string' ? msg.tag : '',
  };
}

self.addEventListener('push', (event) => {
  const msg = readPush(event);
  keepAlive(
    event,
    (async () => {
      const options = { body: msg.body, data: { url: msg.url }, icon: ASSETS['icon-192.png'], badge: ASSETS['icon-192.png'], lang: 'fr' };
      if (msg.tag) {
        // The same tag replaces the earlier notification ("3 activités…" then "4…"):
        // renotify makes the device ring again for the update.
        options.tag = msg.tag;
        const earlier = await self.registration.getNotifications({ tag: msg.tag }).catch(() => []);
        options.renotify = earlier.length > 0;
      }
      await self.registration.showNotification(msg.title, options);
    })(),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const raw = event.notification.data && event.notification.data.url;
  const target = new URL(sameOriginPath(raw) ? raw : '/', self.location.origin).href;
  keepAlive(
    event,
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const ours = windows.filter((c) => new URL(c.url).origin === self.location.origin);
      const there = ours.find((c) => c.url === target);
      if (there) {
        await there.focus().catch(() => {});
        return;
      }
      for (const client of ours) {
        // Focus while the click still allows it, then take the window to the page.
        await client.focus().catch(() => {});
        const moved = await client.navigate(target).catch(() => null);
        if (moved) return;
      }
      await self.clients.openWindow(target);
    })(),
  );
});

async function postPush(path, body) {
  return fetch(`${PUSH_API}/${path}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-Livret-Sync': '1' },
    body: JSON.stringify(body),
  });
}

function keyBytes(text) {
  const padded = (text + '='.repeat((4 - (text.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

/** The id the server gives a public key: hex of the first 8 bytes of its SHA-256. */
async function keyId(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// The push service renewed or dropped the subscription: subscribe again with the
// server's current key (or the old one's), tell the server, and drop the old endpoint.
self.addEventListener('pushsubscriptionchange', (event) => {
  keepAlive(
    event,
    (async () => {
      const old = event.oldSubscription || null;
      let key = null;
      try {
        const res = await fetch(`${PUSH_API}/cle`, { credentials: 'same-origin', headers: { 'X-Livret-Sync': '1' }, cache: 'no-store' });
        if (res.ok) {
          const json = await res.json();
          if (json && json.key) key = keyBytes(json.key);
        }
      } catch {
        /* offline, or signed out: fall back to the old subscription's key */
      }
      if (!key && old && old.options && old.options.applicationServerKey) key = new Uint8Array(old.options.applicationServerKey);
      if (!key) return;
      const fresh = event.newSubscription || (await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }));
      await postPush('abonnement', { subscription: fresh.toJSON(), key_id: await keyId(key) }).catch(() => {});
      if (old && old.endpoint && old.endpoint !== fresh.endpoint) await postPush('desabonnement', { endpoint: old.endpoint }).catch(() => {});
    })(),
  );
});

/**
 * Sign-out: this device stops receiving the person's notifications (a shared phone).
 * The server is told first, while the session still exists; without network the
 * unsubscription still happens here, and the push service's 410 later makes the
 * server forget it.
 */
async function forgetPush() {
  try {
    const sub = await self.registration.pushManager.getSubscription();
    if (!sub) return;
    await withTimeout(postPush('desabonnement', { endpoint: sub.endpoint }), 3000).catch(() => {});
    await sub.unsubscribe();
  } catch {
    /* nothing to forget */
  }
}
