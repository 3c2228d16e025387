// The sample page: plain JavaScript over the HTTP contract in docs/API.md.
// Tokens live in this module's memory only (not localStorage): a script injected into the page later cannot read
// them back from storage, and closing or reloading the tab signs out. The refresh token is rotated before the
// access token expires.

const $ = (id) => document.getElementById(id);

const AUDIT_TYPES = [
  'user.registered', 'login.succeeded', 'login.failed', 'login.locked_out', 'mfa.challenge_issued', 'mfa.succeeded',
  'mfa.failed', 'mfa.enabled', 'mfa.disabled', 'mfa.recovery_code_used', 'mfa.recovery_codes_regenerated',
  'token.refreshed', 'token.reuse_detected', 'session.revoked', 'logout', 'logout.all', 'password.changed',
  'apikey.created', 'apikey.used', 'apikey.rejected', 'apikey.revoked', 'apikey.rotated', 'rate_limit.exceeded',
  'signing_key.rotated', 'email.confirmed', 'password.reset_requested', 'password.reset', 'reauthenticated',
];

const session = { accessToken: null, refreshToken: null, refreshTimer: 0, me: null, mfaEnabled: false };

// ---------- HTTP ----------

/** Calls the API; returns {ok, status, body}. Problem details come back as the body of a failed call. */
async function call(method, path, body, { auth = true, apiKey = null, retry = true } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (apiKey) headers['X-Api-Key'] = apiKey;
  else if (auth && session.accessToken) headers.Authorization = `Bearer ${session.accessToken}`;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    return { ok: false, status: 0, body: { title: 'The server cannot be reached.' } };
  }
  const text = await response.text();
  let parsed = null;
  if (text) {
    try { parsed = JSON.parse(text); } catch { parsed = text; }
  }
  if (response.status === 401 && auth && !apiKey && retry) {
    // A sensitive change needs a recent sign-in: ask for the password again, then retry the same call.
    if (parsed?.code === 'reauthentication_required') {
      if (await reauthenticate()) return call(method, path, body, { auth, apiKey, retry: false });
      return { ok: false, status: 401, body: { ...parsed, detail: 'Cancelled: this change needs your password again.' } };
    }
    // An access token can be refused after a refresh elsewhere: refresh once and try again. Only for a refused
    // token: a wrong password (invalid_credentials) must not be sent twice.
    if (parsed?.code === 'invalid_token' && session.refreshToken && await refreshTokens()) {
      return call(method, path, body, { auth, apiKey, retry: false });
    }
  }
  return { ok: response.ok, status: response.status, body: parsed };
}

/**
 * Asks for the password (and a code, with two-factor on) in a dialog and re-authenticates the session
 * (POST /auth/reauthenticate). Resolves true with fresh tokens in place, or false when the user cancels.
 */
let reauthenticating = null;
function reauthenticate() {
  reauthenticating ??= new Promise((resolve) => {
    const dialog = $('reauth-dialog');
    const form = $('reauth-form');
    form.reset();
    show('reauth-status', '', true);
    $('reauth-code-field').hidden = !session.mfaEnabled;
    const finish = (done) => {
      form.removeEventListener('submit', submit);
      $('reauth-cancel').removeEventListener('click', cancel);
      dialog.removeEventListener('cancel', cancel);
      dialog.close();
      reauthenticating = null;
      resolve(done);
    };
    const cancel = (event) => { event?.preventDefault(); finish(false); };
    const submit = async (event) => {
      event.preventDefault();
      const { password, code } = formValues(form);
      const second = (code || '').trim();
      const request = !second ? { password } : /^\d{6}$/.test(second) ? { password, code: second } : { password, recoveryCode: second };
      const result = await call('POST', '/auth/reauthenticate', request, { retry: false });
      if (result.ok) {
        setTokens(result.body);
        finish(true);
        return;
      }
      if (result.body?.code === 'invalid_mfa_code' && !second) {
        session.mfaEnabled = true;
        $('reauth-code-field').hidden = false;
        $('reauth-code').focus();
      }
      show('reauth-status', problemText(result), false);
    };
    form.addEventListener('submit', submit);
    $('reauth-cancel').addEventListener('click', cancel);
    dialog.addEventListener('cancel', cancel);
    dialog.showModal();
    $('reauth-password').focus();
  });
  return reauthenticating;
}

/** A one-line, human message for a failed call, from its problem details. */
function problemText(result) {
  const p = result.body || {};
  if (result.status === 429) {
    return `Too many attempts. ${p.detail || ''} Try again later.`.trim();
  }
  const parts = [p.detail || p.title || `Request failed (${result.status}).`];
  if (p.errors) {
    for (const [field, messages] of Object.entries(p.errors)) parts.push(`${field}: ${[].concat(messages).join(' ')}`);
  }
  return parts.join(' ');
}

function show(target, message, ok) {
  const node = typeof target === 'string' ? $(target) : target;
  node.textContent = message;
  node.classList.toggle('status-error', !ok);
  node.classList.toggle('status-ok', !!ok);
}

function flash(message) {
  $('flash').textContent = message;
}

// ---------- DOM helpers (text only: nothing from the server is parsed as HTML) ----------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

function onSubmit(id, handler) {
  const form = $(id);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try { await handler(form); } finally { button.disabled = false; }
  });
}

// ---------- Tokens ----------

// The device token (docs/API.md) is kept across visits: it is no credential on its own (the password is still
// needed), it only spares this browser a lockout that someone else caused. Each sign-in replaces it.
const DEVICE_KEY = 'sentinel.deviceToken';
const deviceToken = () => localStorage.getItem(DEVICE_KEY) || undefined;

function setTokens(tokens) {
  if (tokens.deviceToken) localStorage.setItem(DEVICE_KEY, tokens.deviceToken);
  session.accessToken = tokens.accessToken;
  session.refreshToken = tokens.refreshToken;
  clearTimeout(session.refreshTimer);
  // Refresh a little before the access token expires (expiresIn is in seconds).
  const delay = Math.max(5, (tokens.expiresIn || 60) - 30) * 1000;
  session.refreshTimer = setTimeout(refreshTokens, delay);
}

let refreshing = null;
async function refreshTokens() {
  // One refresh at a time: refresh tokens are single use, so two at once would look like reuse.
  refreshing ??= (async () => {
    const result = await call('POST', '/auth/refresh', { refreshToken: session.refreshToken }, { auth: false });
    if (result.ok) {
      setTokens(result.body);
      return true;
    }
    signedOut('Your session has ended; sign in again.');
    return false;
  })().finally(() => { refreshing = null; });
  return refreshing;
}

function signedOut(message) {
  clearTimeout(session.refreshTimer);
  session.accessToken = null;
  session.refreshToken = null;
  session.me = null;
  $('signed-in').hidden = true;
  $('whoami').hidden = true;
  $('signed-out').hidden = false;
  $('mfa-form').hidden = true;
  $('login-form').reset();
  flash(message || '');
  $('signin-title').focus();
}

async function signedIn(tokens) {
  setTokens(tokens);
  $('signed-out').hidden = true;
  $('confirm-panel').hidden = true; // an email link's panel is done once someone signs in
  $('reset-panel').hidden = true;
  $('signed-in').hidden = false;
  $('whoami').hidden = false;
  flash('');
  await loadAccount();
  $('account-title').focus();
  await Promise.all([loadMfa(), loadSessions(), loadKeys(), loadHistory(true)]);
  if (isAdmin()) await loadAudit(true);
}

const isAdmin = () => (session.me?.roles || []).includes('admin');

// ---------- Sign in, register, recovery ----------

let mfaToken = null;

onSubmit('login-form', async (form) => {
  const { email, password } = formValues(form);
  const result = await call('POST', '/auth/login', { email, password, deviceToken: deviceToken() }, { auth: false });
  if (result.ok) {
    show('login-status', '', true);
    await signedIn(result.body);
  } else if (result.body?.code === 'mfa_required') {
    mfaToken = result.body.mfaToken;
    show('login-status', 'Password accepted; now the second factor.', true);
    $('mfa-form').hidden = false;
    $('mfa-code').focus();
  } else {
    show('login-status', problemText(result), false);
  }
});

onSubmit('mfa-form', async (form) => {
  const { code, recoveryCode } = formValues(form);
  const body = recoveryCode ? { mfaToken, recoveryCode } : { mfaToken, code };
  const result = await call('POST', '/auth/login/mfa', body, { auth: false });
  if (result.ok) {
    form.reset();
    show('mfa-status', '', true);
    await signedIn(result.body);
  } else {
    show('mfa-status', problemText(result), false);
    if (result.body?.code === 'invalid_mfa_token') {
      $('mfa-form').hidden = true; // the challenge expired: start again from the password
      $('login-password').focus();
    }
  }
});

onSubmit('register-form', async (form) => {
  const { email, password } = formValues(form);
  const result = await call('POST', '/auth/register', { email, password }, { auth: false });
  if (result.ok) {
    form.reset();
    show('register-status', `Account created for ${result.body.email}. You can sign in now.`, true);
    $('login-email').value = result.body.email;
    $('login-password').focus();
  } else {
    show('register-status', problemText(result), false);
  }
});

onSubmit('forgot-form', async (form) => {
  const result = await call('POST', '/auth/password/forgot', formValues(form), { auth: false });
  show('forgot-status', result.ok
    ? 'If an account uses this address, a reset link is on its way (the sample writes it to its mail folder).'
    : problemText(result), result.ok);
});

onSubmit('resend-form', async (form) => {
  const result = await call('POST', '/auth/email/resend', formValues(form), { auth: false });
  show('resend-status', result.ok
    ? 'If this address has an unconfirmed account, a new confirmation link is on its way.'
    : problemText(result), result.ok);
});

// Links from emails carry a one-time token in the query string; it is sent in a POST body, then taken off the URL.
function handleEmailLinks() {
  const params = new URLSearchParams(location.search);
  const confirmToken = params.get('confirm');
  const resetToken = params.get('reset');
  if (confirmToken || resetToken) history.replaceState(null, '', location.pathname);

  if (confirmToken) {
    $('confirm-panel').hidden = false;
    $('confirm-title').focus();
    $('confirm-button').addEventListener('click', async () => {
      const result = await call('POST', '/auth/email/confirm', { token: confirmToken }, { auth: false });
      show('confirm-status', result.ok ? 'Your email address is confirmed. You can sign in.' : problemText(result), result.ok);
      $('confirm-button').disabled = result.ok;
    });
  }

  if (resetToken) {
    $('reset-panel').hidden = false;
    $('reset-title').focus();
    onSubmit('reset-form', async (form) => {
      const result = await call('POST', '/auth/password/reset', { token: resetToken, newPassword: formValues(form).newPassword }, { auth: false });
      if (result.ok) {
        form.reset();
        show('reset-status', 'Your password is changed and every session is signed out. Sign in with the new password.', true);
        $('login-email').focus();
      } else {
        show('reset-status', problemText(result), false);
      }
    });
  }
}

// ---------- Account ----------

async function loadAccount() {
  const result = await call('GET', '/auth/me');
  if (!result.ok) return;
  session.me = result.body;
  $('whoami-email').textContent = result.body.email;
  $('me-email').textContent = result.body.email;
  $('me-roles').textContent = result.body.roles.length ? result.body.roles.join(', ') : 'none';
  $('me-mfa').textContent = result.body.mfaEnabled ? 'on' : 'off';
  $('me-created').textContent = when(result.body.createdAt);
  $('admin').hidden = !isAdmin();
  $('admin-link').hidden = !isAdmin();
}

$('logout').addEventListener('click', async () => {
  await call('POST', '/auth/logout', { refreshToken: session.refreshToken }, { retry: false });
  signedOut('You are signed out.');
});

$('logout-all').addEventListener('click', async () => {
  await call('POST', '/auth/logout/all', undefined, { retry: false });
  signedOut('Every session of your account is signed out.');
});

onSubmit('password-form', async (form) => {
  const result = await call('POST', '/auth/password', formValues(form));
  if (result.ok) {
    form.reset();
    show('password-status', 'Password changed. Your other sessions are signed out.', true);
    await loadSessions();
  } else {
    show('password-status', problemText(result), false);
  }
});

// ---------- Two-factor ----------

async function loadMfa() {
  const result = await call('GET', '/auth/mfa');
  if (!result.ok) return;
  const { enabled, recoveryCodesLeft } = result.body;
  session.mfaEnabled = enabled;
  $('mfa-summary').textContent = enabled
    ? `Two-factor is on. ${recoveryCodesLeft} recovery codes left.`
    : 'Two-factor is off. Add an authenticator app so a stolen password is not enough.';
  $('mfa-on').hidden = !enabled;
  $('mfa-off').hidden = enabled;
  $('me-mfa').textContent = enabled ? 'on' : 'off';
}

$('mfa-setup').addEventListener('click', async () => {
  const result = await call('POST', '/auth/mfa/totp/setup');
  if (!result.ok) {
    show('mfa-confirm-status', problemText(result), false);
    return;
  }
  $('mfa-qr').src = result.body.qrCodePng;
  // Groups of four are easier to type into an app.
  $('mfa-shared-key').textContent = result.body.sharedKey.replace(/(.{4})/g, '$1 ').trim();
  $('mfa-enrol').hidden = false;
  $('mfa-confirm-code').focus();
});

function showRecoveryCodes(codes) {
  const list = $('recovery-codes');
  list.replaceChildren(...codes.map((code) => el('li', {}, code)));
  $('recovery-codes-panel').hidden = false;
  $('recovery-codes-title').focus();
}

onSubmit('mfa-confirm-form', async (form) => {
  const result = await call('POST', '/auth/mfa/totp/confirm', formValues(form));
  if (result.ok) {
    form.reset();
    $('mfa-enrol').hidden = true;
    show('mfa-confirm-status', '', true);
    await loadMfa();
    showRecoveryCodes(result.body.recoveryCodes);
    await loadHistory(true);
  } else {
    show('mfa-confirm-status', problemText(result), false);
  }
});

onSubmit('recovery-form', async (form) => {
  const result = await call('POST', '/auth/mfa/recovery-codes', formValues(form));
  if (result.ok) {
    form.reset();
    show('recovery-status', 'New recovery codes below; the old ones no longer work.', true);
    showRecoveryCodes(result.body.recoveryCodes);
    await loadMfa();
  } else {
    show('recovery-status', problemText(result), false);
  }
});

onSubmit('mfa-disable-form', async (form) => {
  const { password, code } = formValues(form);
  const body = /^\d{6}$/.test(code.trim()) ? { password, code: code.trim() } : { password, recoveryCode: code.trim() };
  const result = await call('POST', '/auth/mfa/totp/disable', body);
  if (result.ok) {
    form.reset();
    $('recovery-codes-panel').hidden = true;
    show('mfa-disable-status', '', true);
    flash('Two-factor is off.');
    await loadMfa();
  } else {
    show('mfa-disable-status', problemText(result), false);
  }
});

// ---------- Sessions ----------

async function loadSessions() {
  const result = await call('GET', '/auth/sessions');
  if (!result.ok) return;
  $('sessions-body').replaceChildren(...result.body.map((s) => el('tr', {},
    el('td', { class: 'py-2 pr-4 whitespace-nowrap' }, when(s.createdAt)),
    el('td', { class: 'py-2 pr-4 whitespace-nowrap' }, when(s.lastUsedAt)),
    el('td', { class: 'py-2 pr-4' }, s.ipAddress || '—'),
    el('td', { class: 'py-2 pr-4' }, el('span', { class: 'block max-w-xs truncate', title: s.userAgent || '' }, s.userAgent || '—')),
    el('td', { class: 'py-2 text-right' }, s.current
      ? el('span', { class: 'rounded bg-emerald-100 px-2 py-1 text-xs font-medium text-emerald-800' }, 'This browser')
      : el('button', {
        type: 'button',
        class: 'btn-danger',
        'aria-label': `Revoke the session started ${when(s.createdAt)}`,
        onclick: async () => {
          const revoked = await call('DELETE', `/auth/sessions/${encodeURIComponent(s.id)}`);
          show('sessions-status', revoked.ok ? 'Session revoked: its tokens no longer work.' : problemText(revoked), revoked.ok);
          await loadSessions();
        },
      }, 'Revoke')))));
}

$('sessions-refresh').addEventListener('click', loadSessions);

// ---------- API keys ----------

async function loadKeys() {
  const result = await call('GET', '/auth/api-keys');
  if (!result.ok) return;
  $('keys-body').replaceChildren(...result.body.map((k) => {
    const active = !k.revokedAt && !(k.expiresAt && new Date(k.expiresAt) < new Date());
    return el('tr', {},
      el('td', { class: 'py-2 pr-4' }, k.name),
      el('td', { class: 'py-2 pr-4 font-mono' }, `${k.displayPrefix}…`),
      el('td', { class: 'py-2 pr-4' }, k.scopes.join(', ') || '—'),
      el('td', { class: 'py-2 pr-4 whitespace-nowrap' }, when(k.lastUsedAt)),
      el('td', { class: 'py-2 pr-4' }, k.revokedAt ? 'revoked' : active ? 'active' : 'expired'),
      el('td', { class: 'py-2 whitespace-nowrap text-right' }, active
        ? el('span', { class: 'inline-flex gap-2' },
          el('button', { type: 'button', class: 'btn-secondary', 'aria-label': `Rotate key ${k.name}`, onclick: () => rotateKey(k) }, 'Rotate'),
          el('button', { type: 'button', class: 'btn-danger', 'aria-label': `Revoke key ${k.name}`, onclick: () => revokeKey(k) }, 'Revoke'))
        : null));
  }));
}

function showNewKey(key, message) {
  $('new-key').textContent = key.key;
  $('demo-key').value = key.key;
  $('new-key-panel').hidden = false;
  show('copy-status', '', true);
  show('key-status', message, true);
  $('new-key-title').focus();
}

onSubmit('key-form', async (form) => {
  const data = new FormData(form);
  const body = { name: data.get('name'), scopes: data.getAll('scopes') };
  // A date picker gives a day; the key works until the end of it (UTC).
  if (data.get('expiresAt')) body.expiresAt = `${data.get('expiresAt')}T23:59:59Z`;
  const result = await call('POST', '/auth/api-keys', body);
  if (result.ok) {
    form.reset();
    showNewKey(result.body, `Key "${result.body.name}" created.`);
    await loadKeys();
  } else {
    show('key-status', problemText(result), false);
  }
});

async function rotateKey(k) {
  const result = await call('POST', `/auth/api-keys/${encodeURIComponent(k.id)}/rotate`);
  if (result.ok) {
    showNewKey(result.body, `Key "${k.name}" rotated: the old key keeps working for a grace period.`);
  } else {
    show('key-status', problemText(result), false);
  }
  await loadKeys();
}

async function revokeKey(k) {
  const result = await call('DELETE', `/auth/api-keys/${encodeURIComponent(k.id)}`);
  show('key-status', result.ok ? `Key "${k.name}" revoked: it stops working at once.` : problemText(result), result.ok);
  await loadKeys();
}

$('copy-key').addEventListener('click', async () => {
  const key = $('new-key').textContent;
  try {
    await navigator.clipboard.writeText(key);
    show('copy-status', 'Copied to the clipboard.', true);
  } catch {
    // No clipboard permission (or not a secure context): select the text so the user can copy it.
    getSelection().selectAllChildren($('new-key'));
    show('copy-status', 'Select and copy the key above.', false);
  }
});

// ---------- Demo API ----------

for (const button of document.querySelectorAll('[data-demo]')) {
  button.addEventListener('click', async () => {
    const [method, path, credential] = button.dataset.demo.split(' ');
    const apiKey = credential === 'key' ? $('demo-key').value.trim() : null;
    const body = method === 'POST' ? { id: 3, title: 'Created from the sample page' } : undefined;
    const result = await call(method, path, body, credential === 'key' ? { auth: false, apiKey: apiKey || 'none' } : {});
    $('demo-output').textContent = `${method} ${path} → ${result.status}\n${JSON.stringify(result.body, null, 2) ?? ''}`;
    if (credential === 'key') await loadKeys();
  });
}

// ---------- Audit ----------

function auditRow(e, withUser) {
  const details = Object.entries(e.details || {}).map(([k, v]) => `${k}=${v}`).join(', ');
  return el('tr', {},
    el('td', { class: 'py-2 pr-4 whitespace-nowrap' }, when(e.timestamp)),
    el('td', { class: 'py-2 pr-4 font-mono' }, e.type),
    el('td', { class: `py-2 pr-4 ${e.outcome === 'failure' ? 'text-red-700' : 'text-emerald-700'}` }, e.outcome),
    withUser ? el('td', { class: 'py-2 pr-4 font-mono text-xs' }, e.userId || '—') : null,
    el('td', { class: 'py-2 pr-4' }, e.ipAddress || '—'),
    el('td', { class: 'py-2 text-xs text-slate-600' }, details || '—'));
}

let historyCursor = null;
async function loadHistory(reset) {
  if (reset) historyCursor = null;
  const query = new URLSearchParams({ limit: '20' });
  if (historyCursor) query.set('cursor', historyCursor);
  const result = await call('GET', `/auth/audit/me?${query}`);
  if (!result.ok) return;
  const rows = result.body.items.map((e) => auditRow(e, false));
  if (reset) $('history-body').replaceChildren(...rows); else $('history-body').append(...rows);
  historyCursor = result.body.nextCursor;
  $('history-more').hidden = !historyCursor;
}

$('history-refresh').addEventListener('click', () => loadHistory(true));
$('history-more').addEventListener('click', () => loadHistory(false));

let auditCursor = null;
async function loadAudit(reset) {
  if (reset) auditCursor = null;
  const query = new URLSearchParams({ limit: '50' });
  for (const [key, value] of Object.entries(formValues($('audit-filter')))) {
    if (value) query.set(key, value.trim());
  }
  if (auditCursor) query.set('cursor', auditCursor);
  const result = await call('GET', `/auth/audit?${query}`);
  if (!result.ok) {
    show('audit-verify-status', problemText(result), false);
    return;
  }
  const rows = result.body.items.map((e) => auditRow(e, true));
  if (reset) $('audit-body').replaceChildren(...rows); else $('audit-body').append(...rows);
  auditCursor = result.body.nextCursor;
  $('audit-more').hidden = !auditCursor;
}

onSubmit('audit-filter', () => loadAudit(true));
$('audit-more').addEventListener('click', () => loadAudit(false));
$('audit-verify').addEventListener('click', async () => {
  const result = await call('GET', '/auth/audit/verify');
  if (!result.ok) {
    show('audit-verify-status', problemText(result), false);
  } else if (result.body.valid) {
    show('audit-verify-status', `Chain verified: ${result.body.checked} events, none altered.`, true);
  } else {
    show('audit-verify-status', `Chain broken at event ${result.body.firstInvalidId} (after ${result.body.checked} events).`, false);
  }
});

$('audit-type').append(...AUDIT_TYPES.map((t) => el('option', { value: t }, t)));

// ---------- Start ----------

handleEmailLinks();
