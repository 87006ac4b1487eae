// Drives entactd's browser console (GET /) in Debian's headless chromium
// through playwright-core: users A and B open one entity, A saves, B's
// stale save is refused (412) and the page shows what B read, tried and
// what is stored; B resolves it by overwrite, reload or merge (one entity
// each). A value that is not UTF-8 is shown as binary. Prints a JSON
// summary on its last line of stdout for tests/test_http_console.cpp,
// which checks the stored state itself; exits 1 on any failed check.
//
//   node tests/browser/console_test.mjs http://127.0.0.1:PORT/ shot.png [TOKEN]
//
// With TOKEN (entactd runs with --http-token-file), it is typed into the
// page's access-token field first, as a user would.
//
// Every wait is on a condition of the page (no fixed sleeps), with
// generous timeouts for a busy machine. The live view (the watch) is
// reported, never required: the page must work without it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [url, screenshotPath, token] = process.argv.slice(2);
if (!url || !screenshotPath) {
  console.error('usage: node console_test.mjs <console url> <screenshot.png> [token]');
  process.exit(2);
}
const executablePath = process.env.ENTACT_CHROMIUM || '/usr/bin/chromium';
const waitMs = 60_000;

// This machine's network is closed: without the background-networking
// flags chromium's own connections are refused, many at a time.
const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

function check(condition, what) {
  if (!condition)
    throw new Error('check failed: ' + what);
}

/** The pane's `data-done` counter: bumped when any of its actions ends. */
async function doneOf(page, pane) {
  return Number(await page.getAttribute('#' + pane, 'data-done'));
}

/**
 * Clicks `#<pane>-<button>` and waits for that action to end, then checks
 * the pane's state is `expect` (else fails with the pane's status line).
 */
async function act(page, pane, button, expect) {
  const before = await doneOf(page, pane);
  await page.click(`#${pane}-${button}`);
  await page.waitForFunction(([p, n]) => Number(document.getElementById(p).dataset.done) > n,
                             [pane, before], { timeout: waitMs });
  const state = await page.getAttribute('#' + pane, 'data-state');
  const status = await page.textContent(`#${pane}-status`);
  check(state === expect,
        `${pane}-${button}: pane state ${state}, expected ${expect} (status: ${status})`);
}

async function open(page, pane, id) {
  await page.fill('#entity-id', id);
  await act(page, pane, 'open', 'read');
}

async function save(page, pane, text, expect) {
  await page.fill(`#${pane}-value`, text);
  await act(page, pane, 'save', expect);
}

/** The version the pane has read (its `data-version`). */
async function versionOf(page, pane) {
  return Number(await page.getAttribute('#' + pane, 'data-version'));
}

/** What the conflict panel of `pane` shows. */
async function conflictShown(page, pane) {
  const c = (part) => `#${pane}-conflict-${part}`;
  check(await page.isVisible(`#${pane}-conflict`), `${pane}: conflict panel visible`);
  return {
    read_version: Number(await page.getAttribute(c('read-version'), 'data-version')),
    read_value: await page.textContent(c('read-value')),
    tried_value: await page.textContent(c('tried-value')),
    stored_version: Number(await page.getAttribute(c('stored-version'), 'data-version')),
    stored_value: await page.textContent(c('stored-value')),
  };
}

/**
 * A creates `id`, A and B read v1, A saves v2, B's save based on v1 is
 * refused: checks the conflict panel and returns what it showed.
 */
async function makeConflict(page, id) {
  const first = `${id}: first draft`;
  const fromA = `${id}: A's edit`;
  const fromB = `${id}: B's edit`;
  await open(page, 'a', id);
  check(await versionOf(page, 'a') === 0, `${id}: absent before A creates it`);
  await save(page, 'a', first, 'saved');
  check(await versionOf(page, 'a') === 1, `${id}: A created v1`);
  await open(page, 'b', id);
  check(await versionOf(page, 'b') === 1, `${id}: B read v1`);
  check(await page.inputValue('#b-value') === first, `${id}: B's editor holds v1`);
  await save(page, 'a', fromA, 'saved');
  check(await versionOf(page, 'a') === 2, `${id}: A saved v2`);
  await save(page, 'b', fromB, 'conflict');
  const shown = await conflictShown(page, 'b');
  check(shown.read_version === 1 && shown.read_value === first,
        `${id}: conflict shows what B read (v1): ${JSON.stringify(shown)}`);
  check(shown.tried_value === fromB, `${id}: conflict shows what B tried`);
  check(shown.stored_version === 2 && shown.stored_value === fromA,
        `${id}: conflict shows what is stored (v2, A's): ${JSON.stringify(shown)}`);
  return { shown, fromA, fromB };
}

async function overwriteCase(page, id, screenshot) {
  const { shown, fromB } = await makeConflict(page, id);
  await page.screenshot({ path: screenshot, fullPage: true });
  await act(page, 'b', 'overwrite', 'saved');
  check(await versionOf(page, 'b') === 3, `${id}: B's overwrite saved v3`);
  check(!(await page.isVisible('#b-conflict')), `${id}: conflict panel closed`);
  return { id, conflict: shown, version: await versionOf(page, 'b'), value: fromB };
}

async function reloadCase(page, id) {
  const { shown, fromA } = await makeConflict(page, id);
  await act(page, 'b', 'reload', 'read');
  check(await versionOf(page, 'b') === 2, `${id}: B reloaded v2`);
  check(await page.inputValue('#b-value') === fromA, `${id}: B's editor holds A's v2`);
  check(await page.textContent('#b-read-value') === fromA, `${id}: B shows A's v2`);
  return { id, conflict: shown, version: await versionOf(page, 'b'), value: fromA };
}

async function mergeCase(page, id) {
  const { shown, fromA, fromB } = await makeConflict(page, id);
  await page.click('#b-merge');
  await page.waitForSelector('#b-merge-value', { state: 'visible', timeout: waitMs });
  const offered = await page.inputValue('#b-merge-value');
  check(offered.includes(fromA) && offered.includes(fromB),
        `${id}: the merge editor starts with both values: ${JSON.stringify(offered)}`);
  const merged = `${id}: merged (${fromA} + ${fromB})`;
  await page.fill('#b-merge-value', merged);
  await act(page, 'b', 'merge-save', 'saved');
  check(await versionOf(page, 'b') === 3, `${id}: B's merge saved v3`);
  return { id, conflict: shown, merge_offered: offered, version: await versionOf(page, 'b'),
           value: merged };
}

/** Another client stores bytes that are not UTF-8; the page shows them as binary. */
async function binaryCase(page, id) {
  const status = await page.evaluate(async ([path, token]) => {
    const headers = { 'If-None-Match': '*' };
    if (token)
      headers['Authorization'] = 'Bearer ' + token;
    const res = await fetch(path, { method: 'PUT', headers,
                                    body: new Uint8Array([0xff, 0x00, 0x01]) });
    return res.status;
  }, ['/v1/entities/' + id, token || '']);
  check(status === 201, `${id}: binary value created (${status})`);
  await open(page, 'a', id);
  const shown = await page.textContent('#a-read-value');
  check(shown.includes('binary') && shown.includes('ff 00 01'),
        `${id}: non-UTF-8 value shown as binary: ${JSON.stringify(shown)}`);
  return { id, shown };
}

/** Waits for the counters poll to show at least `min` in `#<id>`. */
async function counterAtLeast(page, id, min) {
  await page.waitForFunction(([sel, n]) => Number(document.getElementById(sel).textContent) >= n,
                             [id, min], { timeout: waitMs });
  return Number(await page.textContent('#' + id));
}

async function run(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const res = await page.goto(url, { waitUntil: 'load', timeout: waitMs });
  check(res && res.status() === 200, 'the console page loads (200)');
  check(await page.title() === 'entact console', 'the page is the console');
  if (token)
    await page.fill('#access-token', token);
  const summary = {
    overwrite: await overwriteCase(page, 'doc/1', screenshotPath),
    reload: await reloadCase(page, 'doc/2'),
    merge: await mergeCase(page, 'doc/3'),
    binary: await binaryCase(page, 'bin/1'),
  };
  // Three refused saves; nine committed writes (3 + 2 + 3, and the binary).
  summary.metrics = {
    http_412: await counterAtLeast(page, 'm-http-412', 3),
    writes: await counterAtLeast(page, 'm-writes', 9),
    conflicts: await counterAtLeast(page, 'm-conflicts', 3),
  };
  summary.live = {
    state: await page.getAttribute('#live-status', 'data-state'),
    status: await page.textContent('#live-status'),
    versions: await page.$$eval('#live-versions li', (items) => items.map((li) => li.textContent)),
  };
  check(errors.length === 0, 'no script errors on the page: ' + errors.join('; '));
  summary.screenshot = screenshotPath;
  return summary;
}

const profile = mkdtempSync(join(tmpdir(), 'entact-chromium-'));
let context = null;
let exitCode = 0;
try {
  // A persistent context: its --user-data-dir is our own fresh directory.
  context = await chromium.launchPersistentContext(profile, {
    executablePath, headless: true, args: chromiumArgs, timeout: waitMs,
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(waitMs);
  const page = context.pages()[0] || await context.newPage();
  const summary = await run(page);
  console.log(JSON.stringify({ ok: true, ...summary }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e && e.stack || e) }));
  exitCode = 1;
} finally {
  if (context)
    await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
process.exit(exitCode);
