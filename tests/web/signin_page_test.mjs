// Browser test of the sign-in page: Debian's chromium driven by playwright-core, the real
// `faceid serve` binary, and Chromium's fake camera playing a .y4m clip built at test time with
// ffmpeg from the real live webcam clip in testdata. The server issues its own random
// challenges; the test reads each challenge as it reaches the page (holding the response until
// the camera clip for those actions is written) and cuts the clip's segments in that order.
// Nothing in the server knows it is being tested.
//
// Usage: node signin_page_test.mjs (env: FACEID_BIN, FACEID_SOURCE_DIR, FACEID_TESTDATA_DIR)
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const BIN = process.env.FACEID_BIN;
const SRC = process.env.FACEID_SOURCE_DIR;
const DATA = process.env.FACEID_TESTDATA_DIR;
const FFMPEG = process.env.FACEID_FFMPEG || 'ffmpeg';
for (const [k, v] of Object.entries({ FACEID_BIN: BIN, FACEID_SOURCE_DIR: SRC, FACEID_TESTDATA_DIR: DATA })) {
  if (!v) throw new Error(k + ' is not set');
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faceid-web-'));
const log = (...a) => console.log('[web]', ...a);

// ---- frames and camera clips ----

// Source frame numbers of webcam_blink_turns_tfjs.mp4 (30 fps) per action, as in
// tests/liveness/challenge_actions.h (measured with bench/liveness/liveness_probe).
const TFJS = {
  frontal: [3, 6, 9, 12, 15, 18],
  // A deliberate blink, as the page asks ("blink slowly"): the clip's closed-eye frames held
  // ~0.3 s, so ~9 frames/s capture sees them whatever the phase.
  blink: [21, 27, 30, 30, 33, 33, 36, 39],
  turn_right: [45, 54, 63, 72, 81, 90, 99, 108],
  turn_left: [138, 147, 156, 165, 174, 183, 192],
};
// The camera's timeline (must match web/app.js): 1.5 s get-ready + 0.6 s frontal, then 1.4 s
// per action. The clip leads with 2.5 s of frontal frames (the camera starts a little before
// the page's clock), shows each action within the first second of its slot and ends frontal.
const FPS = 10;
const LEAD_S = 2.5;
const SLOT_S = 1.4;
const ACTION_S = 1.0;
const TAIL_S = 4;

function ffmpeg(args) {
  execFileSync(FFMPEG, ['-nostdin', '-loglevel', 'error', '-y', ...args], { stdio: 'inherit' });
}

function cutFrames(clip, stem) {
  const dir = path.join(tmp, stem);
  fs.mkdirSync(dir);
  ffmpeg(['-i', path.join(DATA, 'liveness/sequences', clip), '-vf',
    "select=not(mod(n\\,3)),scale='min(640,iw)':-2", '-vsync', 'vfr', '-q:v', '3',
    '-start_number', '0', path.join(dir, '%04d.jpg')]);
  return (n) => path.join(dir, String(n / 3).padStart(4, '0') + '.jpg');
}

// Writes `out` (.y4m): each [image, seconds] pair shown for that long, at FPS, 640x(even).
function writeY4m(out, shots) {
  const list = path.join(tmp, 'list.txt');
  const lines = [];
  for (const [image, seconds] of shots) lines.push(`file '${image}'`, `duration ${seconds.toFixed(3)}`);
  lines.push(`file '${shots[shots.length - 1][0]}'`);  // the concat demuxer needs the last one twice
  fs.writeFileSync(list, lines.join('\n') + '\n');
  const next = out + '.tmp.y4m';
  ffmpeg(['-f', 'concat', '-safe', '0', '-i', list, '-vf', `fps=${FPS},scale=640:480,format=yuv420p`,
    '-f', 'yuv4mpegpipe', next]);
  fs.renameSync(next, out);
}

function spread(frames, seconds) {
  return frames.map((f) => [f, seconds / frames.length]);
}

// The live person performing `actions` in order on the page's timeline.
function liveClip(frame, actions) {
  const shots = [...spread(TFJS.frontal.map(frame), LEAD_S)];
  for (const a of actions) {
    shots.push(...spread(TFJS[a].map(frame), ACTION_S));
    shots.push(...spread(TFJS.frontal.slice(0, 2).map(frame), SLOT_S - ACTION_S));
  }
  shots.push(...spread(TFJS.frontal.map(frame), TAIL_S));
  return shots;
}

// ---- server ----

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startServer() {
  const port = await freePort();
  const dir = path.join(tmp, 'server');
  fs.mkdirSync(dir, { recursive: true });
  const env = {
    PATH: '/usr/local/bin:/usr/bin:/bin', HOME: dir, HOST: '127.0.0.1', PORT: String(port),
    DATA_DIR: path.join(dir, 'data'), LOG_FILE: path.join(dir, 'logs/app.log'),
    MODELS_DIR: path.join(SRC, 'models'), WEB_DIR: path.join(SRC, 'web'),
    SECRET_KEY: 'test-secret-key-0123456789abcdef0123456789', WORKERS: '4',
    RATE_LIMIT_ENABLED: 'false',
    // A deployment beyond what face-only sign-in may serve: the page must name the account,
    // from the accounts it remembers or from the person once.
    FACE_ONLY_MAX_FPIR: '0.000000001',
  };
  const out = fs.openSync(path.join(dir, 'stdout.log'), 'a');
  const child = spawn(BIN, ['serve'], { env, cwd: dir, stdio: ['ignore', out, out] });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(base + '/health')).ok) return { child, base, dir };
    } catch (e) { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start: ' + fs.readFileSync(path.join(dir, 'stdout.log'), 'utf8'));
}

// ---- the test ----

const camera = path.join(tmp, 'camera.y4m');
let nextClip = null;  // (actions) => shots, for the next challenge the page receives
const issued = [];
const loginForms = [];  // the multipart bodies the page sent to /auth/login

async function newPage(browser, base) {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, baseURL: base });
  await context.grantPermissions(['camera'], { origin: base });
  const page = await context.newPage();
  const cspErrors = [];
  page.on('console', (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
  });
  page.on('pageerror', (e) => cspErrors.push('page error: ' + e.message));
  // Hold each real challenge until the camera clip for its actions is written; the response
  // reaches the page unchanged.
  await page.route('**/api/v1/liveness/challenges', async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    issued.push(body.actions);
    log('challenge', body.actions.join(', '));
    writeY4m(camera, nextClip(body.actions));
    await route.fulfill({ response });
  });
  await page.route('**/api/v1/auth/login', async (route) => {
    loginForms.push((route.request().postDataBuffer() || Buffer.alloc(0)).toString('latin1'));
    await route.continue();
  });
  if (process.env.FACEID_WEB_DUMP) {  // debugging: keep what the page uploads
    await page.route('**/api/v1/auth/*', async (route) => {
      const body = route.request().postDataBuffer();
      if (body) fs.writeFileSync(path.join(process.env.FACEID_WEB_DUMP, `upload-${Date.now()}.bin`), body);
      await route.continue();
    });
  }
  await page.goto('/');
  return { page, context, cspErrors };
}

// Clicks `name` and waits for the status message that follows (a code other than the one
// showing before the click).
async function click(page, name) {
  const before = (await page.locator('#status').getAttribute('data-code')) || '';
  await page.getByRole('button', { name }).click();
  return outcome(page, before);
}

async function outcome(page, before = '') {
  // (Locators, not waitForFunction: the page's CSP rightly forbids eval.)
  const status = page.locator('#status');
  const other = before ? `:not([data-code="${before}"])` : '';
  await page.locator(`#status:not([hidden]):not([data-code=""]):not([data-code="checking"])${other}`)
    .waitFor({ timeout: 90000 });
  return { code: await status.getAttribute('data-code'), text: (await status.textContent()).trim() };
}

async function main() {
  const server = await startServer();
  const tfjs = cutFrames('webcam_blink_turns_tfjs.mp4', 'tfjs');
  nextClip = (actions) => liveClip(tfjs, actions);
  writeY4m(camera, liveClip(tfjs, []));  // the file must exist when the browser starts
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${camera}`],
  });
  let failed = false;
  try {
    const { page, cspErrors } = await newPage(browser, server.base);

    // The page is labelled and fits a phone.
    await page.getByLabel('Username', { exact: true }).fill('webuser');
    await page.getByLabel('Email', { exact: true }).fill('webuser@example.com');
    await page.getByLabel('Password').fill('Correct-Horse-42');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, 'page scrolls sideways on a phone-sized screen: ' + overflow);

    // Register through the challenge.
    await page.getByRole('button', { name: 'Register with my face' }).click();
    let r = await outcome(page);
    log('register ->', r.code, r.text);
    assert.ok(['registered', 'signed_in'].includes(r.code), 'registration failed: ' + r.text);
    if (r.code === 'signed_in') {  // registration signs the new user in: log out first
      assert.match(await page.locator('#signin-facts').textContent(), /face and liveness challenge/);
      assert.equal((await click(page, 'Log out')).code, 'signed_out');
    }

    // Sign in, with the keyboard only.
    await page.getByRole('button', { name: 'Sign in with my face' }).focus();
    await page.keyboard.press('Enter');
    r = await outcome(page);
    log('sign in ->', r.code, r.text);
    assert.equal(r.code, 'signed_in', r.text);
    assert.match(await page.locator('#account-details').textContent(), /webuser@example\.com/);
    assert.match(await page.locator('#signin-facts').textContent(), /face and liveness challenge/);
    // The browser remembered the registered account and sent it as a hint.
    assert.match(loginForms.at(-1), /name="hints"\r\n\r\nwebuser\r\n/, 'no hint sent');

    // A browser that remembers nobody is asked for the identifier before any capture, then
    // signs in with it.
    r = await click(page, 'Log out');
    assert.equal(r.code, 'signed_out');
    await page.evaluate(() => localStorage.clear());
    const challengesBefore = issued.length;
    r = await click(page, 'Sign in with my face');
    log('sign in, nobody remembered ->', r.code, r.text);
    assert.equal(r.code, 'identifier_required', r.text);
    assert.match(r.text, /username or email/);
    assert.equal(issued.length, challengesBefore, 'a challenge was spent before asking');
    await page.getByLabel(/Username or email/).fill('webuser@example.com');
    r = await click(page, 'Sign in with my face');
    log('sign in with the identifier ->', r.code, r.text);
    assert.equal(r.code, 'signed_in', r.text);
    assert.match(loginForms.at(-1), /name="hints"\r\n\r\nwebuser@example\.com\r\n/);

    // Log out, then a still photo of someone else held to the camera is refused.
    r = await click(page, 'Log out');
    assert.equal(r.code, 'signed_out');
    const stranger = path.join(DATA, 'liveness/live_none_vietmoney_true_001.jpg');
    nextClip = () => [[stranger, LEAD_S + 3 * SLOT_S + TAIL_S]];
    await page.getByRole('button', { name: 'Sign in with my face' }).click();
    r = await outcome(page);
    log('still photo of another person ->', r.code, r.text);
    assert.ok(['action_missing', 'not_3d'].includes(r.code), 'a still photo was not refused as such: ' + r.code);
    assert.equal(await page.locator('#account').isHidden(), true);
    const messages = { action_missing: /did not see every action/, not_3d: /flat picture/ };
    assert.match(r.text, messages[r.code]);

    // Sign in again and delete the account; the same face is then a stranger.
    nextClip = (actions) => liveClip(tfjs, actions);
    await page.getByRole('button', { name: 'Sign in with my face' }).click();
    r = await outcome(page);
    assert.equal(r.code, 'signed_in', r.text);
    await page.getByRole('button', { name: 'Delete my account' }).click();
    r = await click(page, 'Yes, delete everything');
    assert.equal(r.code, 'deleted', r.text);
    await page.getByRole('button', { name: 'Sign in with my face' }).click();
    r = await outcome(page);
    log('unknown face ->', r.code, r.text);
    assert.equal(r.code, 'authentication_failed');
    assert.match(r.text, /could not sign you in with this face/);
    assert.deepEqual(cspErrors, [], 'console errors: ' + cspErrors.join('\n'));
    log('challenges issued:', issued.map((a) => a.join('+')).join(' | '));
  } catch (e) {
    failed = true;
    console.error(e);
    console.error(fs.readFileSync(path.join(server.dir, 'stdout.log'), 'utf8').split('\n').slice(-30).join('\n'));
  } finally {
    await browser.close();
    // The server saves its face index while it stops: wait for it before removing its files.
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10000))]);
    fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 5 });
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
});
