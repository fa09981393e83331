// The settings page's script: plain JavaScript, no build step.
// It calls the page's API as the user types and shows the answers beside
// the fields. <body data-pending> counts what is under way, debounce
// timers included: "0" means every answer is shown.
'use strict';
(() => {
  const T = JSON.parse(document.getElementById('strings').textContent);
  const LANG = document.documentElement.lang || 'en';
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
    hideConfirm();
    if (!ADDRESS.test(address)) {
      status.textContent = '';
      return;
    }
    status.textContent = T.lookingUp;
    task(async () => {
      const found = await post('/api/lookup', { address });
      if (!isFresh()) return;
      status.textContent = found.message;
      status.dataset.source = found.source || '';
      status.dataset.trusted = String(Boolean(found.trusted));
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
      const answer = await post('/api/diagnose', { settings: settings(), passwords_given: given });
      if (isFresh()) showDiagnostics(answer.diagnostics);
    });
  });

  // ----- folders -----

  let foldersKey = null;

  function imapKey() {
    return JSON.stringify([val('imap-host'), val('imap-port'), $('imap-security').value,
      val('imap-username'), $('imap-password').value]);
  }

  function listFolders(refresh) {
    const isFresh = fresh('folders');
    const status = $('folders-status');
    const select = $('sent-folder');
    status.className = 'status';
    status.textContent = T.listing;
    task(async () => {
      const answer = await post('/api/folders', { settings: settings(), passwords: passwords(), refresh });
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
  // filled, again whenever one of them changes.
  function maybeFolders() {
    if (!val('imap-host') || !val('imap-username') || !$('imap-password').value) return;
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
      if (field.id === 'address') lookupSoon();
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
        const answer = await post('/api/test', { settings: settings(), passwords: passwords() });
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

  // A page reloaded with values kept by the browser: diagnose them.
  if (val('address')) changed(true);
})();
