// The settings page's script: plain JavaScript, no build step.
// It calls the page's API as the user types and shows the answers beside
// the fields. <body data-pending> counts what is under way, debounce
// timers included: "0" means every answer is shown.
//
// "Sign in with …": the server starts the sign-in and the browser goes to
// the provider's page; the form (never a password) waits in
// sessionStorage and is filled in again when the provider sends the
// browser back. No token ever reaches this script: the server keeps them
// and tells who signed in and until when.
'use strict';
(() => {
  const T = JSON.parse(document.getElementById('strings').textContent);
  const SESSION = JSON.parse(document.getElementById('session').textContent);
  const LANG = document.documentElement.lang || 'en';
  const SAVED_FORM = 'courriel-settings-page-form';
  const DEBOUNCE_MS = 300;
  const $ = (id) => document.getElementById(id);
  const val = (id) => $(id).value.trim();

  let pending = 0;
  const track = (delta) => {
    pending += delta;
    document.body.dataset.pending = String(pending);
  };

  // Runs an async step, counted as pending until its answer is shown.
  function task(step, onError) {
    track(1);
    step()
      .catch((error) => {
        if (onError) onError(`${T.failed} ${error.message}`);
      })
      .finally(() => track(-1));
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Object.assign({ lang: LANG }, body)),
    });
    // Too many checks or test messages: the answer says when to try again.
    if (response.status === 429) throw new Error((await response.json()).message);
    if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
    return response.json();
  }

  // fn runs DEBOUNCE_MS after the last call; pending meanwhile.
  function debounced(fn) {
    let timer = null;
    return (...args) => {
      if (timer === null) track(1);
      else clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        fn(...args);
        track(-1);
      }, DEBOUNCE_MS);
    };
  }

  // Only the latest request of a kind is shown.
  const latest = {};
  function fresh(kind) {
    const n = (latest[kind] = (latest[kind] || 0) + 1);
    return () => latest[kind] === n;
  }

  // ----- the form's settings -----

  let folderChosenByUser = false;

  function server(prefix) {
    const host = val(`${prefix}-host`);
    const port = val(`${prefix}-port`);
    const username = val(`${prefix}-username`);
    if (!host && !port && !username && !$(`${prefix}-password`).value) return null;
    return { host, port: port === '' ? null : port, security: $(`${prefix}-security`).value, username };
  }

  // ----- OAuth2 -----

  // The lookup's (or the sign-in's) word on OAuth2 for the address:
  // {provider, provider_name, client, passwords, signed_in, problem}.
  let oauth2 = null;
  // The last sign-in's failure, shown until the next attempt.
  let oauth2Problem = null;

  const signedIn = () => Boolean(oauth2 && oauth2.signed_in);
  // Tokens once signed in, or where the provider takes no password.
  const authMode = () => (oauth2 && (oauth2.signed_in || !oauth2.passwords) ? 'oauth2' : 'password');
  const fillIn = (text, values) => text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? values[name] : all));

  function showOAuth2() {
    const box = $('oauth2');
    box.hidden = !oauth2 && !oauth2Problem;
    const passwords = !oauth2 || (oauth2.passwords && !oauth2.signed_in);
    for (const id of ['smtp-password', 'imap-password']) $(id).closest('.row').hidden = !passwords;
    const provider = oauth2 ? oauth2.provider_name : '';
    const signIn = $('oauth2-sign-in');
    signIn.hidden = !oauth2 || !oauth2.client || signedIn();
    signIn.textContent = fillIn(T.signInWith, { provider });
    $('oauth2-sign-out').hidden = !signedIn();
    $('oauth2-note').textContent = !oauth2 || !oauth2.client || signedIn() ? ''
      : fillIn(oauth2.passwords ? T.orPasswords : T.onlyOAuth2, { provider });
    const status = $('oauth2-status');
    status.replaceChildren();
    status.className = 'status';
    status.dataset.code = '';
    status.dataset.user = '';
    const problem = oauth2Problem || (oauth2 && oauth2.problem);
    if (signedIn()) {
      const who = oauth2.signed_in;
      status.className = 'status ok';
      status.dataset.user = who.user;
      let text = fillIn(T.signedIn, { provider, user: who.user });
      if (who.expires_at) {
        const time = new Date(who.expires_at * 1000).toLocaleString(LANG, { dateStyle: 'medium', timeStyle: 'short' });
        text += ` ${fillIn(T.validUntil, { time })}`;
      }
      status.textContent = text;
    } else if (problem) {
      status.className = 'status error';
      status.dataset.code = problem.code;
      showProblem(status, problem);
    }
  }

  // What the form holds, passwords left out.
  const KEPT = ['address', 'smtp-host', 'smtp-port', 'smtp-security', 'smtp-username',
    'imap-host', 'imap-port', 'imap-security', 'imap-username'];

  function saveForm() {
    const values = Object.fromEntries(KEPT.map((id) => [id, $(id).value]));
    const folder = folderChosenByUser ? $('sent-folder').value : '';
    sessionStorage.setItem(SAVED_FORM, JSON.stringify({ values, folder }));
  }

  // Fills the form in again as it was before the sign-in, when it was for
  // `address`; whether it did.
  function restoreForm(address) {
    const text = sessionStorage.getItem(SAVED_FORM);
    sessionStorage.removeItem(SAVED_FORM);
    let saved = null;
    try { saved = JSON.parse(text); } catch (e) { saved = null; }
    const same = (a, b) => String(a).trim().toLowerCase() === String(b).trim().toLowerCase();
    if (!saved || !saved.values || (address && !same(saved.values.address, address))) return false;
    for (const id of KEPT) if (typeof saved.values[id] === 'string') $(id).value = saved.values[id];
    if (saved.folder) {
      $('sent-folder').replaceChildren(new Option(saved.folder, saved.folder, true, true));
      folderChosenByUser = true;
    }
    return true;
  }

  $('oauth2-sign-in').addEventListener('click', () => {
    const button = $('oauth2-sign-in');
    const status = $('oauth2-status');
    oauth2Problem = null;
    showOAuth2();
    status.textContent = fillIn(T.opening, { provider: oauth2 ? oauth2.provider_name : '' });
    button.disabled = true;
    task(async () => {
      let leaving = false;
      try {
        const answer = await post('/api/oauth2/start', { settings: settings() });
        if (answer.ok) {
          saveForm();
          leaving = true;
          window.location.assign(answer.url);
        } else {
          oauth2Problem = answer;
          showOAuth2();
        }
      } finally {
        if (!leaving) button.disabled = false;
      }
    }, (message) => {
      button.disabled = false;
      status.className = 'status error';
      status.textContent = message;
    });
  });

  $('oauth2-sign-out').addEventListener('click', () => {
    task(async () => {
      const answer = await post('/api/oauth2/sign-out', { settings: settings() });
      if (!answer.ok) {
        oauth2Problem = answer;
        showOAuth2();
        return;
      }
      const provider = oauth2 ? oauth2.provider_name : '';
      if (oauth2) oauth2.signed_in = null;
      oauth2Problem = null;
      showOAuth2();
      const status = $('oauth2-status');
      status.textContent = fillIn(answer.revoked === 'revoked' ? T.signedOut : T.signedOutHere, { provider });
      status.dataset.revoked = answer.revoked || '';
      if (answer.problem) showProblem(status, answer.problem);
      foldersKey = null;
      changed(true);
    }, (message) => { $('oauth2-status').textContent = message; });
  });

  function settings() {
    const imap = server('imap');
    if (imap) {
      const chosen = $('sent-folder').value;
      imap.sent_folder = folderChosenByUser && chosen ? chosen : 'auto';
    }
    return { address: val('address'), smtp: server('smtp'), imap };
  }

  function passwords() {
    return { smtp: $('smtp-password').value || null, imap: $('imap-password').value || null };
  }

  function showProblem(box, answer) {
    const line = document.createElement('div');
    line.textContent = `${answer.code} ${answer.message}`;
    const help = document.createElement('div');
    help.className = 'help';
    help.textContent = answer.help || '';
    box.append(line, help);
  }

  // ----- autofill -----

  const ADDRESS = /^[^@\s]+@[^@\s]+\.[^@\s]{2,}$/;
  let untrusted = null;
  // The form was filled in again after a sign-in: the next lookup leaves
  // the servers as they are.
  let keepForm = false;

  function hideConfirm() {
    untrusted = null;
    $('confirm-untrusted').checked = false;
    $('confirm-box').hidden = true;
  }

  function fill(found) {
    for (const [prefix, s] of [['smtp', found.smtp], ['imap', found.imap]]) {
      if (!s) continue;
      $(`${prefix}-host`).value = s.host;
      $(`${prefix}-port`).value = String(s.port);
      $(`${prefix}-security`).value = s.security;
      $(`${prefix}-username`).value = s.username;
    }
    folderChosenByUser = false;
    changed(true);
  }

  const lookupSoon = debounced(() => {
    const address = val('address');
    const isFresh = fresh('lookup');
    const status = $('autofill-status');
    const keep = keepForm;
    keepForm = false;
    hideConfirm();
    if (!ADDRESS.test(address)) {
      status.textContent = '';
      oauth2 = null;
      oauth2Problem = null;
      showOAuth2();
      return;
    }
    status.textContent = T.lookingUp;
    task(async () => {
      const found = await post('/api/lookup', { address });
      if (!isFresh()) return;
      status.textContent = found.message;
      status.dataset.source = found.source || '';
      status.dataset.trusted = String(Boolean(found.trusted));
      oauth2 = found.oauth2 || null;
      showOAuth2();
      if (keep) {
        changed(true);
        return;
      }
      if (!found.found) return;
      if (found.trusted) {
        fill(found);
      } else {
        untrusted = found;
        $('confirm-box').hidden = false;
      }
    }, (message) => { if (isFresh()) status.textContent = message; });
  });

  $('confirm-untrusted').addEventListener('change', (event) => {
    if (event.target.checked && untrusted) fill(untrusted);
  });

  // ----- diagnostics -----

  function showDiagnostics(list) {
    for (const box of document.querySelectorAll('.diagnostic')) box.replaceChildren();
    for (const d of list) {
      const box =
        document.querySelector(`.diagnostic[data-field="${d.field}"]`) ||
        document.querySelector(`.diagnostic[data-field="${d.field.split('.')[0]}"]`) ||
        document.querySelector('.diagnostic[data-field="sender"]');
      const item = document.createElement('div');
      item.className = `diag ${d.severity}`;
      item.dataset.code = d.code;
      const code = document.createElement('strong');
      code.textContent = d.code;
      const help = document.createElement('div');
      help.className = 'help';
      help.textContent = d.help;
      item.append(code, ` ${d.message}`, help);
      box.append(item);
    }
  }

  const diagnoseSoon = debounced(() => {
    const isFresh = fresh('diagnose');
    const given = { smtp: Boolean($('smtp-password').value), imap: Boolean($('imap-password').value) };
    task(async () => {
      const answer = await post('/api/diagnose', { settings: settings(), passwords_given: given, auth: authMode() });
      if (isFresh()) showDiagnostics(answer.diagnostics);
    });
  });

  // ----- folders -----

  let foldersKey = null;

  function imapKey() {
    return JSON.stringify([val('imap-host'), val('imap-port'), $('imap-security').value,
      val('imap-username'), $('imap-password').value, authMode(), signedIn() && oauth2.signed_in.user]);
  }

  function listFolders(refresh) {
    const isFresh = fresh('folders');
    const status = $('folders-status');
    const select = $('sent-folder');
    status.className = 'status';
    status.textContent = T.listing;
    task(async () => {
      const answer = await post('/api/folders', { settings: settings(), passwords: passwords(), refresh, auth: authMode() });
      if (!isFresh()) return;
      status.replaceChildren();
      if (answer.ok) {
        status.className = 'status ok';
        select.replaceChildren();
        if (!answer.sent) select.append(new Option(T.chooseFolder, '', true, true));
        for (const folder of answer.folders) {
          const chosen = Boolean(answer.sent) && folder.raw === answer.sent.raw;
          select.append(new Option(folder.name, folder.raw, chosen, chosen));
        }
        status.textContent = answer.sent
          ? `${T.sentFolder} ${answer.sent.name} — ${answer.sent.reason_text}`
          : T.noSentFolder;
        status.dataset.reason = answer.sent ? answer.sent.reason : '';
      } else {
        foldersKey = null; // tried again at the next change
        status.className = 'status error';
        status.dataset.reason = '';
        select.replaceChildren(new Option(T.automatic, '', true, true));
        folderChosenByUser = false;
        const headline = document.createElement('strong');
        headline.className = 'headline';
        headline.textContent = answer.headline;
        status.append(headline);
        showProblem(status, answer);
      }
    }, (message) => {
      if (!isFresh()) return;
      foldersKey = null;
      status.className = 'status error';
      status.textContent = message;
    });
  }

  const foldersSoon = debounced(() => listFolders(false));

  // Lists the folders once the IMAP host, username and password are
  // filled (or the user signed in), again whenever one of them changes.
  function maybeFolders() {
    if (!val('imap-host') || !val('imap-username')) return;
    if (!$('imap-password').value && !signedIn()) return;
    const key = imapKey();
    if (key === foldersKey) return;
    foldersKey = key;
    foldersSoon();
  }

  $('reload-folders').addEventListener('click', () => {
    foldersKey = imapKey();
    listFolders(true);
  });

  $('sent-folder').addEventListener('change', () => {
    folderChosenByUser = true;
    diagnoseSoon();
  });

  // ----- every change -----

  function changed(imapToo) {
    diagnoseSoon();
    if (imapToo) maybeFolders();
  }

  for (const field of document.querySelectorAll('#settings input, #settings select')) {
    if (field.id === 'confirm-untrusted' || field.id === 'sent-folder') continue;
    field.addEventListener('input', () => {
      if (field.id === 'address') {
        oauth2Problem = null;
        lookupSoon();
      }
      changed(field.id.startsWith('imap-'));
    });
  }

  $('settings').addEventListener('submit', (event) => event.preventDefault());

  // ----- test message -----

  $('test-send').addEventListener('click', () => {
    const receipt = $('receipt');
    const button = $('test-send');
    receipt.className = 'status';
    receipt.textContent = T.sending;
    button.disabled = true;
    task(async () => {
      try {
        const answer = await post('/api/test', { settings: settings(), passwords: passwords(), auth: authMode() });
        receipt.replaceChildren();
        if (answer.ok) {
          receipt.className = 'status ok';
          receipt.dataset.filing = answer.filing_status;
          receipt.dataset.messageId = answer.message_id;
          receipt.textContent =
            `${T.sentAs} <${answer.message_id}> ${T.through} ${answer.transport} — ${answer.filing_text}`;
        } else {
          receipt.className = 'status error';
          receipt.dataset.filing = '';
          showProblem(receipt, answer);
        }
      } finally {
        button.disabled = false;
      }
    }, (message) => {
      receipt.className = 'status error';
      receipt.textContent = message;
    });
  });

  // Back from the provider's page: the sign-in's outcome, the code taken
  // off the address bar, and the form as it was.
  const outcome = SESSION.outcome;
  if (outcome) {
    window.history.replaceState(null, '', `${window.location.pathname}?lang=${LANG}`);
    if (outcome.provider) {
      oauth2 = {
        provider: outcome.provider,
        provider_name: outcome.provider_name,
        client: true,
        passwords: Boolean(outcome.passwords),
        signed_in: outcome.ok ? { user: outcome.user, expires_at: outcome.expires_at } : null,
        problem: null,
      };
    }
    if (!outcome.ok) oauth2Problem = outcome;
    showOAuth2();
    if (restoreForm(outcome.address)) {
      keepForm = true;
      lookupSoon();
    } else if (outcome.address) {
      $('address').value = outcome.address;
      lookupSoon();
    }
  } else if (val('address')) {
    // A page reloaded with values kept by the browser: diagnose them, and
    // learn again whether the provider signs in with OAuth2.
    changed(true);
    keepForm = true;
    lookupSoon();
  }
})();
