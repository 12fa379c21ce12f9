// Livret — passkeys (issue 7), the page side. Loaded on every page; acts only where the
// page carries one of its blocks:
//
// - [data-passkey-register] (/cles-d-acces/nouvelle, /cles-d-acces): "Créer ma clé
//   d'accès". The creation options are fetched when the page opens (so that the
//   browser's window opens right at the tap, as Safari wants), the device makes the
//   passkey (navigator.credentials.create), the answer is sent with the name typed;
//   then the page goes to the block's data-next.
// - [data-tutor-passkey] (a tutor's link page once the tutor bound a passkey to it):
//   "Utiliser ma clé d'accès" asks for one of that tutor's passkeys (POST data-start,
//   navigator.credentials.get, POST data-finish), then goes where the server says.
// - [data-passkey-signin] (/connexion): one discoverable challenge per page, used either
//   by the e-mail field's suggestions (conditional UI, where the browser has it) or by
//   "Se connecter avec une clé d'accès" (the browser's own window); "Continuer" with an
//   e-mail address asks for a challenge listing only that person's passkeys.
//
// Server: /api/cles-d-acces/inscription[/fin] and /api/connexion[/fin] (JSON, with the
// X-Livret-Sync header). The ceremony itself stays on the server; an HttpOnly cookie
// per ceremony names it, and the start's `ceremony` id is sent back with the finish, so
// two open tabs each keep their own. Binary fields travel in base64url both ways; the browser's own JSON helpers
// (parseCreationOptionsFromJSON…) are used when present, the conversion here otherwise.
(() => {
  'use strict';
  const register = document.querySelector('[data-passkey-register]');
  const signin = document.querySelector('[data-passkey-signin]');
  const tutorLink = document.querySelector('[data-tutor-passkey]');
  if (!register && !signin && !tutorLink) return;

  const supported =
    window.isSecureContext !== false &&
    typeof window.PublicKeyCredential === 'function' &&
    !!navigator.credentials &&
    typeof navigator.credentials.create === 'function' &&
    typeof navigator.credentials.get === 'function';
  /** Options are fetched again past this age (the server keeps a ceremony 5 minutes). */
  const FRESH_MS = 4 * 60 * 1000;

  const NETWORK =
    'Impossible de joindre Livret : vérifiez la connexion au réseau, puis recommencez.';

  // ---- base64url <-> bytes ---------------------------------------------------------------
  function toBytes(text) {
    const b64 = String(text).replace(/-/g, '+').replace(/_/g, '/');
    const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out.buffer;
  }

  function toText(buffer) {
    if (!buffer) return null;
    const bytes = new Uint8Array(buffer);
    let raw = '';
    for (let i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function withIds(list) {
    return Array.isArray(list) ? list.map((c) => ({ ...c, id: toBytes(c.id) })) : list;
  }

  /** `publicKey` of the server's creation options, ready for credentials.create(). */
  function creationOptions(json) {
    if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function') {
      try {
        return PublicKeyCredential.parseCreationOptionsFromJSON(json);
      } catch {
        /* an older implementation: convert by hand */
      }
    }
    const o = { ...json, challenge: toBytes(json.challenge), user: { ...json.user, id: toBytes(json.user.id) } };
    if (json.excludeCredentials) o.excludeCredentials = withIds(json.excludeCredentials);
    return o;
  }

  /** `publicKey` of the server's request options, ready for credentials.get(). */
  function requestOptions(json) {
    if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function') {
      try {
        return PublicKeyCredential.parseRequestOptionsFromJSON(json);
      } catch {
        /* convert by hand */
      }
    }
    const o = { ...json, challenge: toBytes(json.challenge) };
    if (json.allowCredentials) o.allowCredentials = withIds(json.allowCredentials);
    return o;
  }

  function extensions(cred) {
    try {
      return typeof cred.getClientExtensionResults === 'function' ? cred.getClientExtensionResults() : {};
    } catch {
      return {};
    }
  }

  /** A new passkey as the server reads it (RegisterPublicKeyCredential). */
  function registrationJSON(cred) {
    const r = cred.response;
    const transports = typeof r.getTransports === 'function' ? r.getTransports() : undefined;
    return {
      id: cred.id,
      rawId: toText(cred.rawId),
      type: cred.type,
      response: {
        attestationObject: toText(r.attestationObject),
        clientDataJSON: toText(r.clientDataJSON),
        transports,
      },
      clientExtensionResults: extensions(cred),
    };
  }

  /** A sign-in answer as the server reads it (PublicKeyCredential). */
  function assertionJSON(cred) {
    const r = cred.response;
    return {
      id: cred.id,
      rawId: toText(cred.rawId),
      type: cred.type,
      response: {
        authenticatorData: toText(r.authenticatorData),
        clientDataJSON: toText(r.clientDataJSON),
        signature: toText(r.signature),
        userHandle: toText(r.userHandle),
      },
      clientExtensionResults: extensions(cred),
    };
  }

  // ---- Server and messages ----------------------------------------------------------------
  class Problem extends Error {
    /** `link`: an address named at the end of the message, as a link. */
    constructor(message, field, link) {
      super(message);
      this.field = field || null;
      this.link = link || null;
    }
  }

  /**
   * Errors that another try on this page cannot cure (wrong address, no usable
   * authenticator, a passkey already there): the page says so and stops asking.
   */
  const FINAL = ['SecurityError', 'NotSupportedError', 'InvalidStateError'];
  function final(err) {
    return !!err && FINAL.includes(err.name);
  }

  /** Livret's public address (`data-public-origin` of a passkey block), or null. */
  function publicOrigin(block) {
    const text = block && block.dataset ? block.dataset.publicOrigin : null;
    if (!text) return null;
    try {
      return new URL(text).origin;
    } catch {
      return null;
    }
  }

  /** The browser refuses passkeys here: Livret opened at another address than its own. */
  function wrongAddress(origin) {
    return origin
      ? new Problem("Le navigateur refuse les clés d'accès à cette adresse : ouvrez Livret à son adresse habituelle,", null, origin)
      : new Problem("Le navigateur refuse les clés d'accès à cette adresse : ouvrez Livret à son adresse habituelle (celle des liens reçus de l'établissement).");
  }

  async function api(path, body) {
    let res;
    try {
      res = await fetch(path, {
        method: 'POST',
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { 'X-Livret-Sync': '1', 'Content-Type': 'application/json' },
        body: JSON.stringify(body || {}),
      });
    } catch {
      throw new Problem(NETWORK);
    }
    let json = {};
    try {
      json = (await res.json()) || {};
    } catch {
      /* not JSON: an error page from a proxy */
    }
    return { status: res.status, json };
  }

  function serverProblem(answer) {
    const field = answer.json.errors && answer.json.errors.name ? 'name' : null;
    return new Problem(answer.json.message || `Réponse inattendue du serveur (${answer.status}) : recommencez.`, field);
  }

  /** The French message for what `navigator.credentials` threw. */
  function deviceProblem(err, creating, origin) {
    if (err instanceof Problem) return err;
    switch (err && err.name) {
      case 'NotAllowedError':
        return new Problem(
          creating
            ? "La création de la clé d'accès a été annulée, ou le délai est dépassé. Recommencez quand vous êtes prêt."
            : "La connexion a été annulée, ou aucune clé d'accès n'a été choisie. Recommencez ; si cet appareil n'a pas de clé d'accès pour Livret, demandez une nouvelle invitation à l'établissement.",
        );
      case 'InvalidStateError':
        return new Problem(
          "Cet appareil a déjà une clé d'accès pour votre compte Livret : inutile d'en créer une autre ici. Connectez-vous avec elle, ou utilisez un autre appareil.",
        );
      case 'SecurityError':
        return wrongAddress(origin);
      case 'NotSupportedError':
        return new Problem("Cet appareil ne sait pas créer de clé d'accès utilisable par Livret : essayez un autre appareil ou un navigateur à jour.");
      default:
        return new Problem("L'appareil n'a pas pu utiliser de clé d'accès. Recommencez ; si cela persiste, essayez un autre navigateur.");
    }
  }

  function messenger(block) {
    const error = block.querySelector('[data-passkey-error]');
    const status = block.querySelector('[data-passkey-status]');
    return {
      /** `text`: a message, or a Problem (whose link, if any, follows its message). */
      error(text) {
        status.textContent = '';
        error.textContent = text instanceof Problem ? text.message : text || '';
        if (text instanceof Problem && text.link) {
          const a = document.createElement('a');
          a.href = text.link + window.location.pathname;
          a.textContent = text.link;
          error.append(' ', a, '.');
        }
      },
      status(text) {
        error.textContent = '';
        status.textContent = text || '';
      },
    };
  }

  function reveal(block, readySelector) {
    const unsupported = block.querySelector('[data-passkey-unsupported]');
    if (unsupported) unsupported.hidden = true;
    const ready = block.querySelector(readySelector);
    if (ready) ready.hidden = false;
  }

  // ---- Creating a passkey -------------------------------------------------------------------
  function setUpRegistration(block) {
    reveal(block, '[data-passkey-form]');
    const form = block.querySelector('[data-passkey-form]');
    const input = form.querySelector('input[name="name"]');
    const button = form.querySelector('button[type="submit"]');
    const say = messenger(block);
    const next = block.dataset.next || '/';
    const origin = publicOrigin(block);
    let prepared = null; // { publicKey, at, id }
    let answer = null; // a created passkey whose name the server refused: sent again
    let answerId = null; // the id of the ceremony `answer` belongs to (one cookie each)
    let busy = false;

    async function prepare() {
      const start = await api('/api/cles-d-acces/inscription', {});
      if (start.status !== 200 || !start.json.options) throw serverProblem(start);
      prepared = {
        publicKey: creationOptions(start.json.options.publicKey),
        at: Date.now(),
        id: start.json.ceremony,
      };
    }

    function markName(problem) {
      const bad = problem && problem.field === 'name';
      if (bad) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
      if (bad) input.focus();
    }

    prepare().catch(() => {
      prepared = null; // fetched again at the tap
    });

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (busy) return;
      const name = input.value.trim();
      if (!name) {
        const p = new Problem("Donnez un nom à cette clé d'accès, par exemple « Téléphone ».", 'name');
        say.error(p.message);
        markName(p);
        return;
      }
      busy = true;
      button.disabled = true;
      markName(null);
      try {
        if (!answer) {
          if (!prepared || Date.now() - prepared.at > FRESH_MS) await prepare();
          const publicKey = prepared.publicKey;
          answerId = prepared.id;
          prepared = null;
          say.status("Suivez les instructions de l'appareil (empreinte, visage ou code)…");
          let cred;
          try {
            cred = await navigator.credentials.create({ publicKey });
          } catch (err) {
            throw deviceProblem(err, true, origin);
          }
          if (!cred) throw deviceProblem(null, true);
          answer = registrationJSON(cred);
        }
        say.status('Enregistrement…');
        const fin = await api('/api/cles-d-acces/inscription/fin', { name, credential: answer, ceremony: answerId });
        if (fin.status === 201) {
          answer = null;
          say.status("Clé d'accès créée.");
          window.location.assign(next);
          return;
        }
        // A bad name keeps the ceremony: the same passkey is sent again with a new name.
        if (fin.status !== 422) answer = null;
        throw serverProblem(fin);
      } catch (err) {
        const p = deviceProblem(err, true, origin);
        say.error(p);
        markName(p);
        if (!answer) prepare().catch(() => (prepared = null));
      } finally {
        busy = false;
        button.disabled = false;
      }
    });
  }

  // ---- Signing in ---------------------------------------------------------------------------
  function setUpSignIn(block) {
    reveal(block, '[data-passkey-ready]');
    const say = messenger(block);
    const button = block.querySelector('[data-passkey-signin-button]');
    const emailForm = block.querySelector('[data-passkey-email-form]');
    const emailInput = emailForm.querySelector('input[name="email"]');
    let prepared = null; // { publicKey, at } of the page's discoverable challenge
    let conditional = null; // { controller, done } while the suggestions wait
    let busy = false;
    let refresh = null; // the timer that fetches a fresh challenge, or retries after a failure
    const origin = publicOrigin(block);
    let stopped = false; // an error no retry cures (wrong address…): no more challenges
    let failures = 0; // suggestions that failed in a row: the next try waits longer

    /** The wait before trying the suggestions again: 2 s, 4 s, 8 s… up to a minute. */
    function backoff() {
      failures += 1;
      return Math.min(2000 * 2 ** (failures - 1), 60 * 1000);
    }

    /** Shows what went wrong; an error no retry cures stops the page's attempts. */
    function fail(err) {
      if (final(err) || (err instanceof Problem && err.link)) stopped = true;
      say.error(deviceProblem(err, false, origin));
    }

    async function challenge(email) {
      const start = await api('/api/connexion', email ? { email } : {});
      if (start.status !== 200 || !start.json.options) throw serverProblem(start);
      return {
        publicKey: requestOptions(start.json.options.publicKey),
        at: Date.now(),
        id: start.json.ceremony,
      };
    }

    async function finish(cred, ceremony) {
      if (!cred) throw deviceProblem(null, false);
      say.status('Connexion…');
      const fin = await api('/api/connexion/fin', { credential: assertionJSON(cred), ceremony });
      if (fin.status === 200 && fin.json.redirect) {
        window.location.assign(fin.json.redirect);
        return;
      }
      throw serverProblem(fin);
    }

    async function stopConditional() {
      if (!conditional) return;
      const { controller, done } = conditional;
      conditional = null;
      controller.abort();
      await done.catch(() => {});
    }

    async function conditionalAvailable() {
      try {
        return (
          typeof PublicKeyCredential.isConditionalMediationAvailable === 'function' &&
          (await PublicKeyCredential.isConditionalMediationAvailable())
        );
      } catch {
        return false;
      }
    }

    /** A fresh discoverable challenge, offered in the e-mail field's suggestions. */
    async function arm() {
      clearTimeout(refresh);
      await stopConditional();
      if (stopped) return;
      try {
        prepared = await challenge(null);
      } catch (err) {
        prepared = null;
        fail(err);
        return;
      }
      refresh = setTimeout(() => {
        if (!busy) arm();
      }, FRESH_MS);
      if (!(await conditionalAvailable())) return;
      const controller = new AbortController();
      const publicKey = prepared.publicKey;
      const id = prepared.id;
      const done = navigator.credentials
        .get({ publicKey, mediation: 'conditional', signal: controller.signal })
        .then(async (cred) => {
          if (controller.signal.aborted) return;
          conditional = null;
          prepared = null;
          busy = true;
          try {
            await finish(cred, id);
          } finally {
            busy = false;
          }
        });
      conditional = { controller, done };
      done.catch((err) => {
        if (controller.signal.aborted || (err && err.name === 'AbortError')) return;
        if (err && err.name === 'NotAllowedError') return; // suggestions dismissed
        if (conditional && conditional.done === done) conditional = null;
        fail(err);
        if (stopped) return;
        // Never at once: a failure that repeats would otherwise flood the server.
        clearTimeout(refresh);
        refresh = setTimeout(() => {
          if (!busy) arm();
        }, backoff());
      });
    }

    /** One sign-in in the browser's window: `email` narrows it to that person's passkeys. */
    async function modal(email) {
      if (busy) return;
      busy = true;
      button.disabled = true;
      say.status("Suivez les instructions de l'appareil (empreinte, visage ou code)…");
      try {
        await stopConditional();
        let ceremony = prepared;
        prepared = null;
        if (email || !ceremony || Date.now() - ceremony.at > FRESH_MS) ceremony = await challenge(email);
        let cred;
        try {
          cred = await navigator.credentials.get({ publicKey: ceremony.publicKey });
        } catch (err) {
          if (final(err)) stopped = true;
          throw deviceProblem(err, false, origin);
        }
        failures = 0;
        await finish(cred, ceremony.id);
      } catch (err) {
        fail(err);
        arm();
      } finally {
        busy = false;
        button.disabled = false;
      }
    }

    // Livret opened at another address (an IP, another name): the browser would refuse
    // every challenge; the page says where Livret is instead of asking the server.
    const elsewhere = !!origin && origin !== window.location.origin;

    /** A person's own try: once more, unless the address is wrong. */
    function retry(email) {
      if (elsewhere) {
        say.error(wrongAddress(origin));
        return;
      }
      stopped = false;
      modal(email);
    }

    button.addEventListener('click', () => retry(null));
    emailForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const email = emailInput.value.trim();
      if (!email) {
        say.error("Saisissez l'adresse e-mail que l'établissement connaît, ou utilisez le bouton « Se connecter avec une clé d'accès ».");
        emailInput.focus();
        return;
      }
      retry(email);
    });
    if (elsewhere) {
      stopped = true;
      say.error(wrongAddress(origin));
      return;
    }
    arm();
  }

  // ---- A tutor's link protected by a passkey -------------------------------------------------
  function setUpTutorLink(button) {
    const origin = publicOrigin(button);
    const errorBox = document.getElementById('tutor-passkey-error');
    const unsupported = document.getElementById('tutor-passkey-unsupported');
    button.hidden = false;
    if (unsupported) unsupported.hidden = true;
    const say = (problem) => {
      if (!errorBox) return;
      errorBox.textContent = problem instanceof Problem ? problem.message : problem || '';
      if (problem instanceof Problem && problem.link) {
        const a = document.createElement('a');
        a.href = problem.link + window.location.pathname;
        a.textContent = problem.link;
        errorBox.append(' ', a, '.');
      }
    };

    async function confirm() {
      const start = await api(button.dataset.start, {});
      if (start.status === 409) {
        // No passkey bound any more: the link alone opens the space.
        window.location.reload();
        return;
      }
      if (start.status !== 200 || !start.json.options) throw serverProblem(start);
      let cred;
      try {
        cred = await navigator.credentials.get({ publicKey: requestOptions(start.json.options.publicKey) });
      } catch (err) {
        throw deviceProblem(err, false, origin);
      }
      if (!cred) throw deviceProblem(null, false);
      const done = await api(button.dataset.finish, {
        credential: assertionJSON(cred),
        ceremony: start.json.ceremony,
      });
      if (done.status === 200 && done.json.redirect) {
        window.location.assign(done.json.redirect);
        return;
      }
      throw serverProblem(done);
    }

    button.addEventListener('click', async () => {
      if (button.disabled) return;
      say('');
      button.disabled = true;
      try {
        await confirm();
      } catch (err) {
        say(err instanceof Problem ? err : NETWORK);
      } finally {
        button.disabled = false;
      }
    });
  }

  if (!supported) return;
  if (register) setUpRegistration(register);
  if (signin) setUpSignIn(signin);
  if (tutorLink) setUpTutorLink(tutorLink);
})();
