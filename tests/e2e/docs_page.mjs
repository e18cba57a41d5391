// Drives the /docs page in headless Chromium (Debian's, through playwright-core; no browser is
// downloaded): the page loads with no request to another origin and no error, "Try it out" on
// GET /health succeeds, and "Try it out" on POST /api/v1/auth/login uploads a photo and signs
// in the account the script registered first.
// Usage: node docs_page.mjs BASE_URL PHOTO   (exit 0 = every check passed)
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(
  path.join(path.dirname(fileURLToPath(import.meta.url)), "../../package.json"));
const { chromium } = require("playwright-core");

const [base, photo] = process.argv.slice(2);
const origin = new URL(base).origin;
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };

async function registerByFetch(username) {
  const form = new FormData();
  form.append("username", username);
  form.append("email", `${username}@example.com`);
  form.append("password", "Correct-Horse-42");
  form.append("face_image", new Blob([readFileSync(photo)], { type: "image/jpeg" }), "face.jpg");
  const res = await fetch(`${base}/api/v1/auth/register`, { method: "POST", body: form });
  check(res.status === 201, `register by fetch: ${res.status} ${await res.text()}`);
}

async function tryItOut(page, blockId, fill) {
  const block = page.locator(`#${blockId}`);
  await block.locator(".opblock-summary").first().click();
  await block.locator("button.try-out__btn").click();
  if (fill) await fill(block);
  await block.locator("button.execute").click();
  const status = block.locator(".live-responses-table .response .response-col_status").first();
  await status.waitFor({ timeout: 30000 });
  return (await status.innerText()).trim();
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  await registerByFetch("docs_user");
  const page = await browser.newPage();
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("console", (m) => { if (m.type() === "error") failures.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => failures.push(`page error: ${e.message}`));

  const res = await page.goto(`${base}/docs`, { waitUntil: "networkidle" });
  check(res.status() === 200, `/docs status ${res.status()}`);
  await page.locator("#operations-operations-health").waitFor({ timeout: 30000 });
  check((await page.title()) === "FaceID API", `title ${await page.title()}`);

  const health = await tryItOut(page, "operations-operations-health");
  check(health === "200", `Try it out GET /health: ${health}`);

  const login = await tryItOut(page, "operations-auth-login", async (block) => {
    await block.locator('input[type="file"]').first().setInputFiles(photo);
  });
  check(login === "200", `Try it out POST /api/v1/auth/login: ${login}`);
  const body = await page.locator("#operations-auth-login .live-responses-table .response-col_description pre").first().innerText();
  check(body.includes('"access_token"') && body.includes('"docs_user"'), `login body: ${body.slice(0, 300)}`);

  const foreign = requests.filter((u) => !u.startsWith("data:") && !u.startsWith("blob:") &&
                                         new URL(u).origin !== origin);
  check(foreign.length === 0, `requests to other origins: ${foreign.join(", ")}`);
  check(requests.some((u) => u === `${origin}/openapi.json`), "the page did not load /openapi.json");
  console.log(JSON.stringify({ requests: requests.length, health, login }));
} catch (e) {
  failures.push(`exception: ${e.stack || e}`);
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}
