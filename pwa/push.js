// Livret — web push, the page side (issue 6). Loaded on every signed-in page.
//
// - On the "Notifications" page ([data-push-device]): shows this device's state (one of
//   the page's [data-push-state] blocks: unsupported, ios, denied, off, on) and drives
//   "Activer les notifications sur cet appareil" / "Désactiver sur cet appareil".
//   Permission is asked only when "Activer…" is pressed, never on page load.
// - On every signed-in page, once per load and quietly (never asking anything): when
//   notifications are allowed and this device is subscribed, checks that it subscribed
//   with the server's current key (GET /api/notifications/cle); after a key rotation
//   (`livret admin rotate-vapid`) it unsubscribes, subscribes again with the new key
//   and sends the new subscription.
//
// What this device subscribed with is kept in localStorage ("livret-push": the
// endpoint, the key id, the server's subscription id, the person's opaque tag), and
// the key is also read back from `subscription.options.applicationServerKey`.
// Endpoints are capabilities: never shown, never logged.
(() => {
  'use strict';
  const STORE = 'livret-push';
  const API = '/api/notifications';
  const user = document.querySelector('meta[name="livret-user"]')?.content || '';
  const block = document.querySelector('[data-push-device]');
  const supported = 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
  const ios = /iPad|iPhone|iPod/.test(navigator.userAgent) || (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);
  const standalone = navigator.standalone === true || (window.matchMedia && matchMedia('(display-mode: standalone)').matches);

  if (!user) return;

  // ---- Helpers -----------------------------------------------------------------------
  /** The bytes of a base64url string (the VAPID public key). */
  function urlBase64ToUint8Array(text) {
    const padded = (text + '='.repeat((4 - (text.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/');
    const raw = atob(padded);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function sameBytes(a, b) {
    if (!a || !b) return false;
    const x = new Uint8Array(a);
    const y = new Uint8Array(b);
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }

  function remembered() {
    try {
      return JSON.parse(localStorage.getItem(STORE) || 'null');
    } catch {
      return null;
    }
  }

  function remember(value) {
    try {
      if (value) localStorage.setItem(STORE, JSON.stringify(value));
      else localStorage.removeItem(STORE);
    } catch {
      /* private mode: only a shortcut */
    }
  }

  async function api(path, body) {
    const init = { credentials: 'same-origin', headers: { 'X-Livret-Sync': '1' }, cache: 'no-store' };
    if (body !== undefined) {
      init.method = 'POST';
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(`${API}/${path}`, init);
    let json = null;
    try {
      json = await res.json();
    } catch {
      /* not JSON: an error page from a proxy */
    }
    return { status: res.status, json: json || {} };
  }

  async function serverKey() {
    const { status, json } = await api('cle');
    if (status !== 200 || !json.key || !json.id) throw new Error(json.message || 'Clé des notifications indisponible.');
    return json;
  }

  async function registration() {
    return (await navigator.serviceWorker.getRegistration('/')) || navigator.serviceWorker.register('/sw.js');
  }

  /** Subscribes with `key` (unsubscribing first from another key) and tells the server. */
  async function subscribeWith(reg, key, retried = false) {
    const wanted = urlBase64ToUint8Array(key.key);
    let sub = await reg.pushManager.getSubscription();
    if (sub && !sameBytes(sub.options && sub.options.applicationServerKey, wanted)) {
      await forget(sub);
      sub = null;
    }
    if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: wanted });
    const { status, json } = await api('abonnement', { subscription: sub.toJSON(), key_id: key.id });
    if (status === 409 && json.error === 'stale-key' && json.key && !retried) return subscribeWith(reg, json.key, true);
    if (status !== 200 && status !== 201) throw new Error(json.message || `Réponse ${status} du serveur.`);
    remember({ user, endpoint: sub.endpoint, keyId: key.id, id: json.id });
    return sub;
  }

  /** Unsubscribes `sub` here and, when it is this person's, on the server. */
  async function forget(sub) {
    await api('desabonnement', { endpoint: sub.endpoint }).catch(() => {});
    await sub.unsubscribe().catch(() => {});
    remember(null);
  }

  // ---- Every page: follow a key rotation, quietly --------------------------------------
  /** `{ sub, changed }`: this device's subscription once checked, and whether it was sent again. */
  async function refresh(reg) {
    if (Notification.permission !== 'granted') return { sub: null, changed: false };
    const sub = await reg.pushManager.getSubscription();
    if (!sub) return { sub: null, changed: false };
    const mine = remembered();
    if (mine && mine.user && mine.user !== user) {
      // Subscribed by someone else who did not sign out here: their notifications must
      // not reach the person now using this device.
      await forget(sub);
      return { sub: null, changed: true };
    }
    const key = await serverKey();
    const current = urlBase64ToUint8Array(key.key);
    const bytes = sub.options && sub.options.applicationServerKey;
    const stale = bytes ? !sameBytes(bytes, current) : !mine || mine.keyId !== key.id;
    if (stale || !mine || mine.endpoint !== sub.endpoint) {
      // A new key (re-subscribe), or a subscription the worker renewed
      // (pushsubscriptionchange), or one this page never recorded: the server is told.
      return { sub: await subscribeWith(reg, key), changed: true };
    }
    return { sub, changed: false };
  }

  // ---- The "Notifications" page --------------------------------------------------------
  function show(state, message, ok = false) {
    if (!block) return;
    for (const el of block.querySelectorAll('[data-push-state]')) el.hidden = el.dataset.pushState !== state;
    // iOS in a Safari tab: the home-screen rule, in view (and not twice).
    const iosRule = ios && !standalone && state !== 'on';
    block.querySelector('[data-push-state="ios"]').hidden = !iosRule;
    const help = block.querySelector('details.push-ios-help');
    if (help) help.hidden = iosRule;
    const line = block.querySelector('[data-push-message]');
    line.textContent = message || '';
    line.hidden = !message;
    line.classList.toggle('ok', ok);
  }

  function markThisDevice() {
    const id = remembered()?.id;
    const line = id && document.querySelector(`li[data-device="${CSS.escape(id)}"] [data-device-this]`);
    if (line) line.hidden = false;
  }

  function busy(on) {
    for (const b of block.querySelectorAll('button[data-push-enable], button[data-push-disable]')) b.disabled = on;
  }

  async function enable() {
    busy(true);
    try {
      // Asked here, in the press's own task (Safari requires a user gesture).
      const permission = await Notification.requestPermission();
      if (permission === 'denied') return show('denied');
      if (permission !== 'granted') return show('off', 'Notifications non autorisées : appuyez de nouveau sur le bouton et choisissez « Autoriser ».');
      const reg = await registration();
      await navigator.serviceWorker.ready;
      await subscribeWith(reg, await serverKey());
      // The devices list comes from the server: show it with this device in it.
      location.reload();
    } catch (e) {
      show(Notification.permission === 'denied' ? 'denied' : 'off', `L’activation a échoué : ${e && e.message ? e.message : 'erreur inconnue'}`);
    } finally {
      busy(false);
    }
  }

  async function disable() {
    busy(true);
    try {
      const reg = await registration();
      const sub = await reg.pushManager.getSubscription();
      if (sub) await forget(sub);
      location.reload();
    } catch (e) {
      show('on', `La désactivation a échoué : ${e && e.message ? e.message : 'erreur inconnue'}`);
    } finally {
      busy(false);
    }
  }

  async function start() {
    if (!supported) {
      show(ios && !standalone ? 'ios' : 'unsupported');
      return;
    }
    if (block) {
      block.querySelector('[data-push-enable]').addEventListener('click', enable);
      block.querySelector('[data-push-disable]').addEventListener('click', disable);
      if (Notification.permission === 'denied') show('denied');
    }
    let reg = null;
    let sub = null;
    let changed = false;
    try {
      reg = await registration();
      ({ sub, changed } = await refresh(reg));
    } catch {
      /* quietly: the settings page shows what it can below */
    }
    if (!block) return;
    if (Notification.permission === 'denied') return show('denied');
    if (!sub && reg) sub = await reg.pushManager.getSubscription().catch(() => null);
    const id = remembered()?.id;
    const listed = id && document.querySelector(`li[data-device="${CSS.escape(id)}"]`);
    if (sub && Notification.permission === 'granted' && !listed && !changed) {
      // Removed from the list ("Retirer", here or on another device): this device stops too.
      await forget(sub).catch(() => {});
      sub = null;
    }
    const on = !!sub && Notification.permission === 'granted';
    show(on ? 'on' : 'off', on && changed ? 'L’abonnement de cet appareil vient d’être renouvelé : rechargez la page pour voir la liste à jour.' : '', true);
    markThisDevice();
  }

  start().catch(() => {});
})();
