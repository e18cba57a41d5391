// FaceID sign-in page: camera preview with live hints, an active liveness challenge
// (the server picks the actions; this page shows them and sends the frames in capture
// order), registration, sign-in and the account view. No build step, no other origin.
'use strict';

const API = '/api/v1';
const MAX_SIDE = 640;         // frames are downscaled to at most this many pixels
const GET_READY_MS = 1500;    // camera on, hints shown, nothing captured yet
const BASELINE_MS = 600;      // frontal frames the actions are measured against
const ACTION_MS = 1400;       // time given for each action
const FRAME_MS = 110;         // ~9 frames per second
const JPEG_QUALITY = 0.85;

const ACTION_TEXT = {
  turn_left: 'Turn your head to your left, then back',
  turn_right: 'Turn your head to your right, then back',
  look_up: 'Look up, then back',
  blink: 'Blink slowly',
};

const QUALITY_TEXT = {
  face_too_small: 'move closer to the camera',
  blurry: 'hold still',
  too_dark: 'add more light',
  overexposed: 'reduce the light behind or on you',
  head_turned: 'look straight at the camera',
  head_tilted: 'keep your head level',
};

// One clear message per error code the API returns (and a few of this page's own).
const MESSAGES = {
  authentication_failed: 'We could not sign you in with this face. If you have no account yet, create one below.',
  liveness_failed: 'We could not confirm a live person in front of the camera. Use your own camera in good light, not a photo or a screen.',
  challenge_required: 'This server requires the liveness check. Please try again.',
  challenge_invalid: 'The liveness check was not recognised. Please try again.',
  challenge_expired: 'The liveness check took too long. Please try again.',
  challenge_reused: 'That liveness check was already used. Please try again.',
  action_missing: 'We did not see every action in the order asked. Try again and follow each prompt.',
  action_unexpected: 'We saw a head movement that was not asked for. Try again and only do the actions shown.',
  identity_changed: 'The face changed during the check. Make sure only you are in front of the camera.',
  not_3d: 'Your face moved like a flat picture. Turn your head itself, not the camera.',
  no_face_detected: 'No face was found. Move into the oval, closer to the camera, in good light.',
  multiple_faces: 'More than one face is in view. Make sure only you are in front of the camera.',
  poor_image_quality: 'Your face was not clear enough.',
  identifier_required: 'Please type your username or email above, then sign in with your face. This browser will remember it.',
  registration_refused: 'We could not create this account: the username or email may be taken, or this face is already registered. Try other details, or sign in.',
  too_many_attempts: 'Too many failed attempts. Please wait a while before trying again.',
  user_exists: 'That username or email is already registered.',
  face_already_registered: 'This face is already registered to another account. Sign in instead.',
  validation_error: 'Please check the form.',
  rate_limited: 'Too many attempts. Please wait a minute and try again.',
  invalid_image: 'The camera image could not be read. Please try again.',
  unsupported_image: 'The camera image could not be read. Please try again.',
  image_too_large: 'The camera images were too large. Please try again.',
  payload_too_large: 'The camera images were too large. Please try again.',
  not_found: 'Face sign-in with a liveness check is not available on this server.',
  invalid_token: 'Your session has ended. Please sign in again.',
  reauthentication_required: 'For this, please sign in with your face again first (your last sign-in was more than a few minutes ago).',
  token_expired: 'Your session has ended. Please sign in again.',
  not_authenticated: 'Your session has ended. Please sign in again.',
  service_unavailable: 'The service is unavailable right now. Please try again shortly.',
  models_unavailable: 'Face recognition is unavailable right now. Please try again later.',
  store_unavailable: 'The service is unavailable right now. Please try again shortly.',
  internal_error: 'Something went wrong on our side. Please try again.',
  camera_denied: 'Camera access was denied. Allow the camera for this site to sign in with your face.',
  camera_unavailable: 'No usable camera was found.',
  network: 'Could not reach the server. Check your connection and try again.',
};

const $ = (id) => document.getElementById(id);
const session = { access: null, refresh: null };
let stream = null;
let busy = false;
let cancelled = false;

function detailText(code, details) {
  if (!Array.isArray(details) || details.length === 0) return '';
  if (code === 'poor_image_quality') {
    const tips = details.map((d) => QUALITY_TEXT[d]).filter(Boolean);
    return tips.length ? ' Please ' + tips.join(', ') + '.' : '';
  }
  if (code === 'action_missing') {
    const action = details.find((d) => ACTION_TEXT[d]);
    return action ? ' Missing: ' + ACTION_TEXT[action].toLowerCase() + '.' : '';
  }
  if (code === 'validation_error' || code === 'user_exists') return ' ' + details.join('; ') + '.';
  return '';
}

function showStatus(kind, text, code) {
  const box = $('status');
  box.hidden = false;
  box.className = 'status ' + kind;
  box.dataset.code = code || '';
  box.textContent = text;
}

function showError(code, details) {
  showStatus('error', (MESSAGES[code] || MESSAGES.internal_error) + detailText(code, details), code);
}

async function api(method, path, { body, token } = {}) {
  const headers = {};
  if (token) headers.Authorization = 'Bearer ' + token;
  let payload = body;
  if (body && !(body instanceof FormData)) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(API + path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch (e) {
    return { ok: false, code: 'network', details: [] };
  }
  let data = {};
  try {
    data = await res.json();
  } catch (e) {
    data = {};
  }
  if (!res.ok) {
    const err = data.error || {};
    return { ok: false, status: res.status, code: err.code || 'internal_error', details: err.details || [] };
  }
  return { ok: true, status: res.status, data };
}

// ---- camera and hints ----

async function openCamera() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new Error('camera_unavailable');
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' },
      audio: false,
    });
  } catch (e) {
    throw new Error(e && e.name === 'NotAllowedError' ? 'camera_denied' : 'camera_unavailable');
  }
  const video = $('preview');
  video.srcObject = stream;
  $('camera').hidden = false;
  await video.play();
  if (!video.videoWidth) await new Promise((r) => video.addEventListener('loadeddata', r, { once: true }));
}

function closeCamera() {
  if (stream) stream.getTracks().forEach((t) => t.stop());
  stream = null;
  $('preview').srcObject = null;
  $('camera').hidden = true;
}

// Light and stillness from a tiny copy of the preview; faces from the browser's own
// detector where it has one (progressive: the server checks everything anyway).
const hintCanvas = document.createElement('canvas');
hintCanvas.width = 64;
hintCanvas.height = 48;
let lastLuma = null;
const faceDetector = 'FaceDetector' in window ? new window.FaceDetector({ fastMode: true }) : null;

async function liveHint(expectStill) {
  const video = $('preview');
  if (!video.videoWidth) return '';
  const ctx = hintCanvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(video, 0, 0, hintCanvas.width, hintCanvas.height);
  const px = ctx.getImageData(0, 0, hintCanvas.width, hintCanvas.height).data;
  const luma = new Float32Array(px.length / 4);
  let sum = 0;
  for (let i = 0; i < luma.length; i++) {
    luma[i] = 0.299 * px[4 * i] + 0.587 * px[4 * i + 1] + 0.114 * px[4 * i + 2];
    sum += luma[i];
  }
  const mean = sum / luma.length;
  let motion = 0;
  if (lastLuma) {
    for (let i = 0; i < luma.length; i++) motion += Math.abs(luma[i] - lastLuma[i]);
    motion /= luma.length;
  }
  lastLuma = luma;
  if (mean < 50) return 'More light, please.';
  if (mean > 225) return 'Too bright: move away from the light.';
  if (faceDetector) {
    try {
      const faces = await faceDetector.detect(video);
      if (faces.length === 0) return 'Move your face into the oval.';
      if (faces.length > 1) return 'Only one face, please.';
      if (faces[0].boundingBox.width < video.videoWidth * 0.2) return 'Move closer.';
    } catch (e) {
      /* the detector is optional */
    }
  }
  if (expectStill && motion > 18) return 'Hold still.';
  return 'Good. Keep your face in the oval.';
}

// ---- the challenge ----

function grabFrame(canvas) {
  const video = $('preview');
  const s = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
  canvas.width = Math.round(video.videoWidth * s);
  canvas.height = Math.round(video.videoHeight * s);
  // Frames are sent as the camera sees them (not mirrored like the preview): the server's
  // left and right are the person's.
  canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', JPEG_QUALITY));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function setProgress(fraction) {
  $('progress-bar').style.width = Math.round(Math.min(1, Math.max(0, fraction)) * 100) + '%';
}

async function getReady() {
  $('prompt').textContent = 'Get ready: look straight at the camera';
  const start = performance.now();
  while (performance.now() - start < GET_READY_MS) {
    if (cancelled) throw new Error('cancelled');
    $('hint').textContent = await liveHint(true);
    setProgress(0);
    await sleep(250);
  }
}

// Captures frames while prompting each action in turn; resolves to the JPEG blobs.
async function captureChallenge(challenge) {
  const total = BASELINE_MS + ACTION_MS * challenge.actions.length;
  const interval = Math.max(FRAME_MS, Math.ceil(total / Math.max(1, challenge.max_frames - 1)));
  const canvas = document.createElement('canvas');
  const frames = [];
  const start = performance.now();
  let lastHint = 0;
  for (;;) {
    if (cancelled) throw new Error('cancelled');
    const elapsed = performance.now() - start;
    if (elapsed > total || frames.length >= challenge.max_frames) break;
    const step = elapsed < BASELINE_MS ? -1 : Math.floor((elapsed - BASELINE_MS) / ACTION_MS);
    const action = challenge.actions[Math.min(step, challenge.actions.length - 1)];
    $('prompt').textContent = step < 0 ? 'Look straight at the camera' : ACTION_TEXT[action] || action;
    $('prompt').dataset.action = step < 0 ? 'frontal' : action;
    setProgress(elapsed / total);
    frames.push(grabFrame(canvas));
    if (elapsed - lastHint > 500) {
      lastHint = elapsed;
      liveHint(false).then((h) => { if (h.startsWith('More') || h.startsWith('Too') || h.startsWith('Only')) $('hint').textContent = h; });
    }
    await sleep(Math.max(0, start + frames.length * interval - performance.now()));
  }
  $('prompt').textContent = 'Checking…';
  $('prompt').dataset.action = 'done';
  setProgress(1);
  return (await Promise.all(frames)).filter(Boolean);
}

// Gets a challenge, opens the camera, captures, and posts the frames with `fields`.
async function faceFlow(path, fields) {
  if (busy) return null;
  busy = true;
  cancelled = false;
  setButtons(true);
  $('status').hidden = true;
  try {
    const ch = await api('POST', '/liveness/challenges', { body: {} });
    if (!ch.ok) return ch;
    try {
      await openCamera();
    } catch (e) {
      return { ok: false, code: e.message, details: [] };
    }
    $('cancel').focus();
    await getReady();
    const blobs = await captureChallenge(ch.data);
    closeCamera();
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) {
      for (const item of Array.isArray(v) ? v : [v]) form.append(k, item);
    }
    form.append('challenge_id', ch.data.challenge_id);
    blobs.forEach((b, i) => form.append('frames', b, 'frame-' + i + '.jpg'));
    showStatus('info', 'Checking your face…', 'checking');
    return await api('POST', path, { body: form });
  } catch (e) {
    if (e.message === 'cancelled') return { ok: false, code: 'cancelled', details: [] };
    return { ok: false, code: 'internal_error', details: [] };
  } finally {
    closeCamera();
    busy = false;
    setButtons(false);
  }
}

function setButtons(disabled) {
  for (const id of ['signin-button', 'register-button']) $(id).disabled = disabled;
}

// ---- account ----

async function showAccount(result) {
  session.access = result.access_token;
  session.refresh = result.refresh_token;
  const me = await api('GET', '/users/me', { token: session.access });
  if (!me.ok) return showError(me.code, me.details);
  rememberAccount(me.data.username);
  $('identifier').value = '';
  const dl = $('account-details');
  dl.replaceChildren();
  const rows = [
    ['Username', me.data.username],
    ['Email', me.data.email],
    ['Member since', new Date(me.data.created_at).toLocaleString()],
    ['Last sign-in', me.data.last_login_at ? new Date(me.data.last_login_at).toLocaleString() : 'now'],
  ];
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dl.append(dt, dd);
  }
  const amr = (result.amr || []).includes('liveness_challenge') ? 'face and liveness challenge' : 'face';
  const facts = [];
  if (typeof result.confidence_score === 'number') facts.push('Match confidence ' + result.confidence_score.toFixed(2));
  if (typeof result.liveness_score === 'number') facts.push('liveness ' + result.liveness_score.toFixed(2));
  facts.push('proven by ' + amr);
  $('signin-facts').textContent = facts.join(' · ');
  $('account').hidden = false;
  $('signin').hidden = true;
  $('register').hidden = true;
  showStatus('success', 'Signed in as ' + me.data.username + '.', 'signed_in');
  $('account-title').setAttribute('tabindex', '-1');
  $('account-title').focus();
}

function signedOut(message, code) {
  session.access = null;
  session.refresh = null;
  $('account').hidden = true;
  $('delete-confirm').hidden = true;
  $('signin').hidden = false;
  $('register').hidden = false;
  showStatus('info', message, code);
  $('signin-button').focus();
}

// ---- wiring ----

// Accounts that signed in on this browser, newest first: sent as sign-in hints, so that a
// returning person only looks at the camera even where the face alone is not enough.
const ACCOUNTS_KEY = 'faceid.accounts';
const MAX_HINTS = 5;

function rememberedAccounts() {
  try {
    const list = JSON.parse(localStorage.getItem(ACCOUNTS_KEY) || '[]');
    return Array.isArray(list) ? list.filter((x) => typeof x === 'string').slice(0, MAX_HINTS) : [];
  } catch (e) {
    return [];
  }
}

function rememberAccount(username) {
  const list = [username, ...rememberedAccounts().filter((u) => u !== username)].slice(0, MAX_HINTS);
  try {
    localStorage.setItem(ACCOUNTS_KEY, JSON.stringify(list));
  } catch (e) {
    // Private browsing without storage: the person types the identifier again next time.
  }
}

async function onSignIn() {
  const identifier = $('identifier').value.trim();
  const hints = identifier ? [identifier] : rememberedAccounts();
  if (hints.length === 0) {
    // Where the face alone is not enough, ask before the capture, not after it.
    const options = await api('GET', '/auth/login-options');
    if (options.ok && options.data.face_only === false) {
      markIdentifierNeeded();
      return showError('identifier_required', []);
    }
  }
  const r = await faceFlow('/auth/login', { hints });
  if (!r) return;
  if (r.code === 'cancelled') return showStatus('info', 'Cancelled.', 'cancelled');
  if (r.code === 'identifier_required') markIdentifierNeeded();
  if (!r.ok) return showError(r.code, r.details);
  await showAccount(r.data);
}

function markIdentifierNeeded() {
  $('identifier-optional').hidden = true;
  $('identifier').required = true;
  $('identifier').focus();
}

async function onRegister(event) {
  event.preventDefault();
  const form = $('register-form');
  if (!form.reportValidity()) return;
  const fields = { username: $('username').value.trim(), email: $('email').value.trim(), password: $('password').value };
  const r = await faceFlow('/auth/register', fields);
  if (!r) return;
  if (r.code === 'cancelled') return showStatus('info', 'Cancelled.', 'cancelled');
  if (!r.ok) return showError(r.code, r.details);
  $('password').value = '';
  if (r.data.access_token) return showAccount(r.data);  // registration signs the new user in
  showStatus('success', 'Account created for ' + r.data.user.username + '. You can now sign in with your face.', 'registered');
  $('signin-button').focus();
}

async function onLogout() {
  $('status').hidden = true;
  if (session.refresh) await api('POST', '/auth/logout', { body: { refresh_token: session.refresh } });
  signedOut('You are signed out.', 'signed_out');
}

async function onDelete() {
  $('status').hidden = true;
  const r = await api('DELETE', '/users/me', { token: session.access });
  if (!r.ok) return showError(r.code, r.details);
  signedOut('Your account and face data were deleted.', 'deleted');
}

document.addEventListener('DOMContentLoaded', () => {
  $('signin-button').addEventListener('click', onSignIn);
  $('register-form').addEventListener('submit', onRegister);
  $('cancel').addEventListener('click', () => { cancelled = true; });
  $('logout-button').addEventListener('click', onLogout);
  $('delete-button').addEventListener('click', () => {
    $('delete-confirm').hidden = false;
    $('delete-no').focus();
  });
  $('delete-no').addEventListener('click', () => {
    $('delete-confirm').hidden = true;
    $('delete-button').focus();
  });
  $('delete-yes').addEventListener('click', onDelete);
});
