// The web interface's end-to-end journeys in Debian's chromium, driven by playwright-core, against
// real nodes (the slicebox binary) started here on 127.0.0.1 with temporary data folders and
// SQLite (docs/ui.md#testing). It builds nothing: ui/dist must have been built (npm run build).
//
//   node ui/tests/run.mjs --binary build/slicebox [--screenshots docs/screenshots] [--keep]
//
// Environment: SBX_CHROMIUM (default /usr/bin/chromium); SBX_UI_FAILURE_SHOTS, a folder that gets
// a screenshot of every open page when a step fails. Exit code 0 when every step passed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const uiDir = resolve(here, '..');
const repo = resolve(uiDir, '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const binary = resolve(option('--binary', join(repo, 'build', 'slicebox')));
const screenshots = option('--screenshots', '');
const dist = resolve(option('--ui-dir', join(uiDir, 'dist')));
const browserPath = process.env.SBX_CHROMIUM ?? '/usr/bin/chromium';
// Generous: under ctest the journeys share two cores with the rest of the suite.
const deadlineMs = 60000;

for (const [what, path, hint] of [
  ['the node binary', binary, 'build it: cmake --build build --target slicebox'],
  ['the built interface', join(dist, 'index.html'), 'build it: cd ui && npm ci && npm run build'],
  ['chromium', browserPath, 'install it: apt-get install chromium (deploy/install-deps.sh --test)'],
]) {
  if (!existsSync(path)) {
    console.error(`FAIL: ${what} is missing at ${path}; ${hint}`);
    process.exit(1);
  }
}

const work = mkdtempSync(join(tmpdir(), 'sbx-ui-test-'));
const nodes = [];
let failures = 0;
const metrics = {};

// ---------------------------------------------------------------- helpers

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
    server.on('error', fail);
  });
}

async function eventually(what, predicate, ms = deadlineMs) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      if (await predicate()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ': ' + last.message : ''}`);
}

/** Starts the slicebox binary on a free port; resolves once /api/system/health answers. */
async function startNode(name) {
  const port = await freePort();
  const dataDir = join(work, name);
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(binary, ['--port', String(port), '--data-dir', dataDir], {
    env: {
      // The node refuses SBX_ variables it does not know: pass on none of the caller's.
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SBX_'))),
      SBX_HTTP_HOST: '127.0.0.1',
      SBX_HTTP_UI_DIR: dist,
      SBX_LOG_LEVEL: 'warn',
      SBX_BOX_INTERVAL_MS: '300',
      // In-place anonymization records its key under the image it replaces (docs/api.md, quirks
      // kept): without this the key of a series anonymized in place is purged at once.
      SBX_ANONYMIZATION_PURGE_EMPTY_KEYS: 'false',
    },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const node = { name, port, child, base: `http://127.0.0.1:${port}`, stderr: () => stderr };
  nodes.push(node);
  await eventually(`node ${name} to answer`, async () => {
    if (child.exitCode !== null) throw new Error(`node ${name} exited: ${stderr}`);
    const r = await fetch(node.base + '/api/system/health');
    return r.ok;
  });
  return node;
}

async function stopNodes() {
  for (const n of nodes) {
    if (n.child.exitCode !== null) continue;
    n.child.kill('SIGTERM');
    await eventually(`node ${n.name} to stop`, () => n.child.exitCode !== null, 15000).catch(() =>
      n.child.kill('SIGKILL'),
    );
  }
}

/** A copy of test.dcm with other patient, series and instance values (same lengths). */
function dicomVariant(source, values) {
  const out = Buffer.from(source);
  for (const [group, element, text] of values) {
    const tag = Buffer.alloc(4);
    tag.writeUInt16LE(group, 0);
    tag.writeUInt16LE(element, 2);
    const at = out.indexOf(tag);
    if (at < 0) throw new Error(`tag ${group.toString(16)},${element.toString(16)} not found`);
    const length = out.readUInt16LE(at + 6); // explicit VR, short length
    const value = Buffer.alloc(length, text.endsWith('.') ? 0 : 0x20);
    if (text.length > length) throw new Error(`value ${text} longer than ${length}`);
    value.write(text);
    value.copy(out, at + 8);
  }
  return out;
}

/** The value of a DICOM element of test.dcm (explicit VR little endian). */
function valueOf(source, group, element) {
  const tag = Buffer.alloc(4);
  tag.writeUInt16LE(group, 0);
  tag.writeUInt16LE(element, 2);
  const at = source.indexOf(tag);
  const length = source.readUInt16LE(at + 6);
  return source.subarray(at + 8, at + 8 + length).toString('latin1').replace(/[\0 ]+$/, '');
}

/** 20 files of one patient in two series of ten. */
function makeUploads() {
  const source = readFileSync(join(repo, 'tests', 'fixtures', 'test.dcm'));
  const sop = valueOf(source, 0x0008, 0x0018);
  const series = valueOf(source, 0x0020, 0x000e);
  const files = [];
  mkdirSync(join(work, 'upload'));
  for (let i = 0; i < 20; i++) {
    const uid = sop.slice(0, -2) + String(i).padStart(2, '0');
    const seriesUid = series.slice(0, -2) + String(i < 10 ? 31 : 32);
    const bytes = dicomVariant(source, [
      [0x0002, 0x0003, uid],
      [0x0008, 0x0018, uid],
      [0x0010, 0x0010, 'PWTEST^A'],
      [0x0010, 0x0020, 'PW0001'],
      [0x0020, 0x000e, seriesUid],
      [0x0008, 0x103e, i < 10 ? 'FIRST' : 'SECOND'],
    ]);
    const path = join(work, 'upload', `image-${String(i).padStart(2, '0')}.dcm`);
    writeFileSync(path, bytes);
    files.push(path);
  }
  return files;
}

/** A fresh browser profile whose waits allow for a loaded machine. */
async function newContext(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, ...options });
  context.setDefaultTimeout(deadlineMs);
  return context;
}

/** A page whose console errors and uncaught exceptions are collected. */
async function watchedPage(context, expected = []) {
  const page = await context.newPage();
  page.errors = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location()?.url ?? '';
    if (expected.some((e) => url.endsWith(e))) return;
    page.errors.push(`${m.text()} ${url}`);
  });
  page.on('pageerror', (e) => page.errors.push(String(e)));
  return page;
}

function assertNoErrors(page, where) {
  if (page.errors.length) {
    const list = page.errors.splice(0);
    throw new Error(`console errors on ${where}:\n  ${list.join('\n  ')}`);
  }
}

async function step(name, f) {
  const begun = Date.now();
  try {
    await f();
    console.log(`ok   ${name} (${Date.now() - begun} ms)`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}: ${e.stack ?? e}`);
    if (process.env.SBX_UI_FAILURE_SHOTS) {
      for (const [i, p] of openPages().entries())
        await p.screenshot({ path: join(process.env.SBX_UI_FAILURE_SHOTS, `failed-${failures}-${i}.png`) }).catch(() => {});
    }
  }
}

/** Every page of every browser context (for the failure screenshots). */
const openPages = () => browser.contexts().flatMap((c) => c.pages());

async function shot(page, name) {
  if (!screenshots) return;
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, name + '.png') });
}

async function signIn(page, base, user, pass) {
  await page.goto(base + '/');
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', pass);
  await page.click('button[type=submit]');
  await page.waitForSelector('nav.nav');
}

// ---------------------------------------------------------------- the journeys

const browser = await chromium.launch({
  executablePath: browserPath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const a = await startNode('a');
  const uploads = makeUploads();
  // Without a session GET /api/users/current answers 404 (docs/api.md#users): the way the
  // interface learns it must show the sign-in form; chromium logs that as a failed resource.
  const noSession = ['/api/users/current'];
  const admin = await newContext();
  const page = await watchedPage(admin, noSession);

  await step('sign in as the superuser shows the patient list', async () => {
    await signIn(page, a.base, 'admin', 'admin');
    await page.waitForSelector('[data-level=patients]');
    if (!page.url().endsWith('/patients')) throw new Error('not on /patients but ' + page.url());
    await page.waitForSelector('text=admin');
    assertNoErrors(page, 'sign-in');
  });

  await step('a wrong password shows the node message', async () => {
    const other = await watchedPage(await newContext(), [...noSession, '/api/users/login']);
    await other.goto(a.base + '/');
    await other.fill('input[name=user]', 'admin');
    await other.fill('input[name=password]', 'wrong');
    await other.click('button[type=submit]');
    await other.waitForSelector('.error:has-text("Invalid username or password (401)")');
    await other.context().close();
  });

  await step('upload 20 files, each with its progress, and see a refused file with its reason', async () => {
    await page.click('nav a:text-is("Upload")');
    await page.setInputFiles('[data-testid=files]', uploads);
    await page.waitForSelector('text=20 of 20 files done');
    const added = await page.locator('tr.added').count();
    if (added !== 20) throw new Error(`${added} files added, not 20`);
    await shot(page, 'upload');
    await page.setInputFiles('[data-testid=files]', join(repo, 'tests', 'fixtures', 'invalid.dcm'));
    await page.waitForSelector('.refused >> text=Invalid DICOM data');
    // The refused upload is a 400 the page reports itself; chromium also logs the resource.
    page.errors = page.errors.filter((e) => !e.includes('/api/images'));
    assertNoErrors(page, 'upload');
  });

  await step('find them by patient name, down to the images', async () => {
    await page.click('nav a:text-is("Browse")');
    await page.fill('input[aria-label="Filter patients"]', 'pwtest');
    await page.click('[data-level=patients] >> td:has-text("PWTEST^A")');
    await page.click('[data-level=studies] tbody tr >> nth=0');
    const seriesRows = page.locator('[data-level=series] tbody tr');
    await eventually('two series', async () => (await seriesRows.count()) === 2);
    await seriesRows.nth(0).click();
    const images = page.locator('[data-level=images] tbody tr');
    await eventually('ten images', async () => (await images.count()) === 10);
    await shot(page, 'browse');
    assertNoErrors(page, 'browse');
  });

  await step('open the viewer, fold and search the attribute tree, change the window by dragging', async () => {
    await page.click('[data-level=images] >> text=Open >> nth=0');
    await page.waitForURL(/\/images\/\d+$/);
    const img = page.locator('.stage img');
    await eventually('the PNG', () => img.evaluate((i) => i.complete && i.naturalWidth > 0));
    await page.waitForSelector('.attributes >> text=PatientName');
    await page.fill('input[aria-label="Search attributes"]', 'patientname');
    const rows = await page.locator('.attributes tbody tr').count();
    if (rows < 1 || rows > 3) throw new Error(`${rows} attributes match "patientname"`);
    // The tree: sequences start closed; they open with their items, items close, and a search
    // opens the sequences and items around what it finds.
    await page.fill('input[aria-label="Search attributes"]', '');
    const tree = page.locator('.attributes');
    const lower = tree.locator('tr:has-text("EnergyWindowLowerLimit")');
    await tree.locator('tr.sequence:has-text("EnergyWindowInformationSequence")').waitFor();
    if ((await lower.count()) !== 0) throw new Error('a closed sequence shows its elements');
    await tree.locator('button[aria-label="Expand EnergyWindowInformationSequence"]').click();
    await tree.locator('tr.item[data-key="(0054,0012)[1]"]').waitFor();
    await tree.locator('button[aria-label="Expand EnergyWindowRangeSequence"]').click();
    await eventually('both energy windows', async () => (await lower.count()) === 2);
    await tree.locator('tr[data-key="(0054,0012)[1].(0054,0013)[2]"] button[aria-label="Collapse item 2"]').click();
    await eventually('the second item closed', async () => (await lower.count()) === 1);
    if (!(await lower.textContent()).includes('126')) throw new Error('the first window is not the one left');
    await tree.locator('button[aria-label="Collapse EnergyWindowInformationSequence"]').click();
    await eventually('the sequence closed', async () => (await lower.count()) === 0);
    await page.fill('input[aria-label="Search attributes"]', 'tc-99m');
    // (A private element of the file holds the text too: only the sequence's rows are counted.)
    await eventually('the match with its sequences and items', async () =>
      (await tree.locator('tbody tr[data-key^="(0054,0016)"]').count()) === 5 &&
      (await tree.locator('tr:has-text("CodeMeaning") >> td:has-text("Tc-99m")').count()) === 1 &&
      (await tree.locator('tr.sequence:has-text("RadionuclideCodeSequence")').count()) === 1);
    await page.fill('input[aria-label="Search attributes"]', '');
    await eventually('the closed tree back', async () =>
      (await tree.locator('tr:has-text("CodeMeaning")').count()) === 0);
    await tree.locator('button[aria-label="Expand EnergyWindowInformationSequence"]').click();
    const before = await img.getAttribute('src');
    const box = await page.locator('.stage').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 60, box.y + box.height / 2 - 40, { steps: 8 });
    await page.mouse.up();
    await page.waitForSelector('[data-testid=window] >> text=/window -?\\d+/');
    await eventually('a PNG of the new window', async () => {
      const src = await img.getAttribute('src');
      return src !== before && src.includes('windowmin=') && (await img.evaluate((i) => i.complete && i.naturalWidth > 0));
    });
    await shot(page, 'viewer');
    // Back to the same patient, study and series.
    await page.click('a:has-text("‹ Browse")');
    await page.waitForSelector('[data-level=images] tbody tr');
    await page.waitForSelector('[data-level=studies] h2:has-text("PWTEST^A")');
    assertNoErrors(page, 'viewer');
  });

  await step('a multi-frame image has a frame slider', async () => {
    // pydicom's two-frame RLE colour image (python3-pydicom, deploy/install-deps.sh --test).
    const file = '/usr/lib/python3/dist-packages/pydicom/data/test_files/SC_rgb_rle_2frame.dcm';
    const stored = await page.request.post(a.base + '/api/images', {
      data: readFileSync(file),
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    if (stored.status() !== 201) throw new Error(`upload ${stored.status()}: ${await stored.text()}`);
    const { id } = await stored.json();
    await page.goto(`${a.base}/images/${id}`);
    await page.waitForSelector('.frame:has-text("Frame 1 / 2")');
    await page.locator('.frame input[type=range]').fill('2');
    await page.waitForSelector('.frame:has-text("Frame 2 / 2")');
    const img = page.locator('.stage img');
    await eventually('the second frame', async () =>
      (await img.getAttribute('src')).includes('framenumber=2') &&
      (await img.evaluate((i) => i.complete && i.naturalWidth > 0)));
    assertNoErrors(page, 'multi-frame viewer');
  });

  await step('anonymize a series and see its key', async () => {
    await page.click('nav a:text-is("Browse")');
    await page.fill('input[aria-label="Filter patients"]', 'PWTEST');
    await page.click('[data-level=patients] >> td:has-text("PWTEST^A")');
    await page.click('[data-level=studies] tbody tr >> nth=0');
    await page.locator('[data-level=series] tbody tr').nth(1).locator('input[type=checkbox]').check();
    await page.click('text=Anonymize…');
    await page.click('.dialog >> button:has-text("Anonymize")');
    await page.waitForSelector('.dialog >> text=10 of 10 images anonymized');
    await page.click('.dialog >> text=See the anonymization keys');
    await page.waitForSelector('table.keys >> td:has-text("PWTEST^A")');
    const keys = await page.locator('table.keys tbody tr').count();
    if (keys !== 10) throw new Error(`${keys} keys, not 10`);
    assertNoErrors(page, 'anonymization');
  });

  await step('a series type rule labels the series, its types and tags change by hand, a type is renamed; a tag filter gets a tag path and a source', async () => {
    await page.click('nav a:text-is("Series types")');
    for (const [type, modality] of [['NM scans', 'NM'], ['CT scans', 'CT']]) {
      await page.fill('input[name=type-name]', type);
      await page.click('form >> button:has-text("Create")');
      await page.click(`table >> td:text-is("${type}")`);
      await page.click('button:has-text("Add a rule")');
      await page.fill('input[name=rule-keyword]', 'Modality');
      await page.fill('input[name=rule-values]', modality);
      await page.click('button:has-text("Add attribute")');
      await page.waitForSelector(`.rule li:has-text("Modality = ${modality}")`);
      await page.click(`table >> td:text-is("${type}")`); // closes it
    }
    await page.waitForSelector('[data-testid=labeller]:has-text("labels up to date")');
    // The labeller's work shows in the browse filters: the patient has NM series, no CT.
    await page.click('nav a:text-is("Browse")');
    await page.waitForSelector('select >> option:text-is("CT scans")', { state: 'attached' });
    const typeFilter = page.locator('label:has-text("Series type") select');
    await typeFilter.selectOption({ label: 'CT scans' });
    await page.waitForSelector('[data-level=patients] td.empty');
    await typeFilter.selectOption({ label: 'NM scans' });
    await eventually('the labelled patient listed', async () =>
      (await page.locator('[data-level=patients] td:has-text("PWTEST^A")').count()) === 1);

    // By hand, in the browse view: the series' types changed and stored.
    await typeFilter.selectOption({ label: 'any' });
    await page.fill('input[aria-label="Filter patients"]', 'PWTEST');
    await eventually('the patient alone', async () =>
      (await page.locator('[data-level=patients] tbody tr').count()) === 1 && !(await page.locator('[data-level=patients] .spinner').count()));
    await page.click('[data-level=patients] >> td:has-text("PWTEST^A")');
    await page.click('[data-level=studies] tbody tr >> nth=0');
    await page.locator('[data-level=series] tbody tr').nth(0).click();
    const types = page.locator('[data-testid=series-types]');
    await types.locator('.badge:has-text("NM scans")').waitFor();
    await types.locator('select').selectOption({ label: 'CT scans' });
    await types.locator('button:text-is("Add")').click();
    await types.locator('.badge:has-text("CT scans")').waitFor();
    await types.locator('button[aria-label="remove NM scans"]').click();
    await eventually('NM scans removed', async () =>
      (await types.locator('.badge:has-text("NM scans")').count()) === 0);
    const seriesId = new URL(page.url()).searchParams.get('series');
    const stored = await (await page.request.get(`${a.base}/api/metadata/series/${seriesId}/seriestypes`)).json();
    if (stored.map((t) => t.name).join() !== 'CT scans') throw new Error('stored types ' + JSON.stringify(stored));
    // And a series tag, made on the spot, then removed again.
    const tags = page.locator('[data-testid=series-tags]');
    await tags.locator('input[aria-label="Series tag to add"]').fill('follow-up');
    await tags.locator('button:text-is("Tag")').click();
    await tags.locator('.badge:has-text("follow-up")').waitFor();
    const tagged = await (await page.request.get(`${a.base}/api/metadata/series/${seriesId}/seriestags`)).json();
    if (tagged.map((t) => t.name).join() !== 'follow-up') throw new Error('stored tags ' + JSON.stringify(tagged));
    await tags.locator('button[aria-label="remove follow-up"]').click();
    await tags.locator('text=none').waitFor();

    await page.click('nav a:text-is("Filters")');
    await page.fill('input[name=filter-name]', 'no birth dates');
    await page.click('form >> button:has-text("Create")');
    await page.click('table >> td:text-is("no birth dates")');
    await page.fill('input[name=filter-keyword]', 'PatientBirthDate');
    await page.click('button:has-text("Add tag")');
    await page.waitForSelector('li:has-text("PatientBirthDate")');
    await page.selectOption('label:has-text("Source") select', { label: 'admin (user)' });
    await page.selectOption('label:has-text("Filter") select', { label: 'no birth dates' });
    await page.click('button:text-is("Apply")');
    await page.waitForSelector('table .badge:has-text("admin (user)")');
    // A series type renamed.
    await page.click('nav a:text-is("Series types")');
    await page.click('table >> td:text-is("NM scans")');
    await page.fill('input[name=type-rename]', 'NM studies');
    await page.click('button:text-is("Rename")');
    await page.waitForSelector('table >> td:text-is("NM studies")');
    const renamed = (await (await page.request.get(`${a.base}/api/seriestypes`)).json()).map((t) => t.name).sort();
    if (renamed.join() !== 'CT scans,NM studies') throw new Error('series types ' + renamed.join());
    assertNoErrors(page, 'series types and filters');
  });

  await step('the system page shows the database, storage used and what was ingested', async () => {
    await page.click('nav a:text-is("System")');
    await page.waitForSelector('[data-testid=database]:text-is("SQLite")');
    const stored = Number(await page.locator('[data-testid=stored-images]').textContent());
    if (!(stored >= 20)) throw new Error(`${stored} images stored, expected at least the 20 uploaded`);
    const used = await page.locator('[data-testid=stored-bytes]').textContent();
    if (!/^\d+(\.\d)? (bytes|KB|MB|GB)$/.test(used)) throw new Error(`storage used reads "${used}"`);
    await page.waitForSelector('[data-testid=ingested]:has-text("1 refused")');
    await page.waitForSelector('[data-testid=ingest-rate]:has-text("images/s")', { timeout: 15000 });
    await shot(page, 'system');
    assertNoErrors(page, 'system');
  });

  await step('every page loads without a console error', async () => {
    const titles = {
      Browse: 'Browse', Upload: 'Upload', Anonymization: 'Anonymization keys', Boxes: 'Boxes',
      Transactions: 'Transactions', Forwarding: 'Forwarding rules', SCPs: 'SCPs', SCUs: 'SCUs',
      Watches: 'Directory watches', 'Series types': 'Series types', Filters: 'Tag filters', Log: 'Log', Users: 'Users', System: 'System',
    };
    for (const [label, title] of Object.entries(titles)) {
      await page.click(`nav a:text-is("${label}")`);
      await page.waitForSelector(`h1:text-is("${title}")`);
      await page.waitForLoadState('networkidle');
      if (await page.locator('.error').count()) {
        throw new Error(`${label}: ${await page.locator('.error').first().textContent()}`);
      }
      assertNoErrors(page, label);
    }
    await page.goto(a.base + '/no/such/page');
    await page.waitForSelector('text=Nothing here');
  });

  await step('create a user, sign in as that user: admin pages hidden', async () => {
    await page.click('nav a:text-is("Users")');
    await page.fill('input[name=new-user]', 'alice');
    await page.fill('input[name=new-password]', 'secret-pw');
    await page.click('form >> button:has-text("Create")');
    await page.waitForSelector('table >> td:has-text("alice")');
    const user = await watchedPage(await newContext(), noSession);
    await signIn(user, a.base, 'alice', 'secret-pw');
    await user.waitForSelector('nav .who:has-text("alice")');
    if (await user.locator('nav a:text-is("Users")').count()) throw new Error('Users is in the menu of a USER');
    await user.goto(a.base + '/users');
    await user.waitForSelector('text=Only administrators manage users');
    await user.goto(a.base + '/scps');
    await user.waitForSelector('h1:has-text("SCPs")');
    if (await user.locator('form').count()) throw new Error('a USER is offered to add an SCP');
    await user.click('text=Sign out');
    await user.waitForSelector('input[name=user]');
    assertNoErrors(user, 'the user pages');
    await user.context().close();
  });

  await step('send a series through a box with its own profile and per-patient tag values, see the transaction finish and the images arrive', async () => {
    const b = await startNode('b');
    // On A: let the other site connect, with a default profile that keeps device identity.
    await page.click('nav a:text-is("Boxes")');
    await page.check('[data-testid=profile] label:has-text("Retain Device Identity") input');
    await page.fill('input[name=box-name]', 'site-b');
    await page.click('button:has-text("Create connection")');
    const baseUrl = (await page.locator('[data-testid=base-url]').textContent()).trim();
    if (!baseUrl.includes('/api/transactions/')) throw new Error('base URL ' + baseUrl);
    await page.waitForSelector('table tr:has-text("site-b") >> td:has-text("retain device identity")');
    // On B: connect with it.
    const other = await watchedPage(await newContext(), noSession);
    await signIn(other, b.base, 'admin', 'admin');
    await other.click('nav a:text-is("Boxes")');
    await other.fill('input[name=remote-name]', 'site-a');
    await other.fill('input[name=base-url]', baseUrl);
    await other.click('button:text-is("Connect")');
    await other.waitForSelector('table >> td:has-text("site-a")');
    // On A: select the first (not anonymized) series; the selection follows to the boxes page.
    await page.click('nav a:text-is("Browse")');
    await page.fill('input[aria-label="Filter patients"]', 'PWTEST');
    await page.click('[data-level=patients] >> td:has-text("PWTEST^A")');
    await page.click('[data-level=studies] tbody tr >> nth=0');
    await page.locator('[data-level=series] tbody tr').nth(0).locator('input[type=checkbox]').check();
    await page.click('nav a:text-is("Boxes")');
    await page.click('table tr:has-text("site-b") >> button:has-text("Send the selection (1)")');
    // The box is chosen and its profile preselected; this send adds another option.
    const dialog = page.locator('.dialog');
    await eventually('the box chosen', async () =>
      (await dialog.locator('select[name=destination]').inputValue()).startsWith('box:'));
    const option = (title) => dialog.locator(`[data-testid=profile] label:has-text("${title}") input`);
    await eventually('the box profile preselected', () => option('Retain Device Identity').isChecked());
    if (await option('Retain Patient Characteristics').isChecked()) throw new Error('an option the box lacks is on');
    await option('Retain Patient Characteristics').check();
    // One row per patient of the selection, numbered like Slicebox's dialog, then edited.
    const row = dialog.locator('tr[data-patient="PWTEST^A"]');
    await row.waitFor();
    if ((await dialog.locator('tbody tr[data-patient]').count()) !== 1) throw new Error('not one patient row');
    await row.locator('td:has-text("(10)")').waitFor();
    await dialog.locator('input[aria-label=Prefix]').fill('Trial ');
    await dialog.locator('button:has-text("Number the patients")').click();
    if ((await row.locator('input[aria-label="PatientID for PWTEST^A"]').inputValue()) !== 'Trial001')
      throw new Error('numbering did not fill the patient ID');
    await row.locator('input[aria-label="PatientName for PWTEST^A"]').fill('BOXED^ONE');
    await shot(page, 'send');
    await dialog.locator('button:text-is("Send")').click();
    await page.waitForURL(/\/transactions$/);
    const outgoing = page.locator('[data-testid=outgoing]');
    await outgoing.locator('text=FINISHED').waitFor();
    await outgoing.locator('text=10 / 10').waitFor();
    await outgoing.locator('td.profile:has-text("retain patient characteristics")').waitFor();
    await outgoing.locator('td.profile:has-text("retain device identity")').waitFor();
    await shot(page, 'transactions');
    await other.click('nav a:text-is("Transactions")');
    await other.waitForSelector('[data-testid=incoming] >> text=FINISHED');
    // The receiver files them under the patient's tag values.
    await other.click('nav a:text-is("Browse")');
    await other.fill('input[aria-label="Filter patients"]', 'boxed');
    await other.waitForSelector('[data-level=patients] tr:has-text("BOXED^ONE") >> td:text-is("Trial001")');
    await other.click('[data-level=patients] >> td:has-text("BOXED^ONE")');
    await other.click('[data-level=studies] tbody tr >> nth=0');
    await other.locator('[data-level=series] tbody tr').nth(0).click();
    await eventually('ten images on the receiver', async () =>
      (await other.locator('[data-level=images] tbody tr').count()) === 10);
    assertNoErrors(page, 'transactions (sender)');
    assertNoErrors(other, 'transactions (receiver)');
    await other.context().close();
  });

  await step('first load: compressed JavaScript and time to the patient list', async () => {
    // Fresh browser profiles (empty cache), signed in through the API, so only the interface's
    // own load is timed: from navigation to the patient row on screen. Three loads, median kept.
    const times = [];
    const listingTimes = [];
    for (let run = 0; run < 3; run++) {
      const fresh = await newContext();
      const login = await fresh.request.post(a.base + '/api/users/login', {
        data: { user: 'admin', pass: 'admin' },
      });
      if (login.status() !== 204) throw new Error('login ' + login.status());
      const p = await watchedPage(fresh);
      let jsBytes = 0;
      let allBytes = 0;
      const listings = [];
      p.on('response', async (r) => {
        const length = Number((await r.headerValue('content-length')) ?? 0);
        allBytes += length;
        if (r.request().resourceType() === 'script') jsBytes += length;
        if (r.url().includes('/api/metadata/patients')) {
          listings.push(r.url());
          await r.finished();
          listingTimes.push(r.request().timing().responseEnd);
        }
      });
      const begun = Date.now();
      await p.goto(a.base + '/patients');
      await p.waitForSelector('[data-level=patients] >> td:has-text("PWTEST^A")');
      times.push(Date.now() - begun);
      await p.waitForLoadState('networkidle');
      metrics.firstLoadJsBytesCompressed = jsBytes;
      metrics.firstLoadAllBytes = allBytes;
      if (jsBytes <= 0 || jsBytes > 150 * 1024) throw new Error(`first-load JavaScript ${jsBytes} bytes`);
      // The patient list is one page of one listing, whatever the archive holds.
      if (listings.length !== 1 || !/\/api\/metadata\/patients\?.*count=20/.test(listings[0]))
        throw new Error('listings fetched: ' + listings.join(', '));
      assertNoErrors(p, 'first load');
      await fresh.close();
    }
    times.sort((x, y) => x - y);
    metrics.timeToPatientListMs = times[1];
    metrics.timeToPatientListAllMs = times.join(', ');
    metrics.patientListingMs = listingTimes.map((t) => t.toFixed(1)).join(', ');
  });
} finally {
  await browser.close();
  await stopNodes();
  if (failures) for (const n of nodes) if (n.stderr()) console.log(`--- node ${n.name} stderr ---\n${n.stderr()}`);
  if (!args.includes('--keep')) rmSync(work, { recursive: true, force: true });
}

console.log(
  `first load: ${metrics.firstLoadJsBytesCompressed ?? '?'} bytes of compressed JavaScript, ` +
    `${metrics.firstLoadAllBytes ?? '?'} bytes in all; time to the patient list ${metrics.timeToPatientListMs ?? '?'} ms ` +
    `(median of ${metrics.timeToPatientListAllMs ?? '?'} ms; the patient listing request itself ` +
    `${metrics.patientListingMs ?? '?'} ms)`,
);
console.log(failures ? `${failures} step(s) failed` : 'all steps passed');
process.exit(failures ? 1 : 0);
