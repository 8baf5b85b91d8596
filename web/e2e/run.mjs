// run.mjs - the web UI end to end: a real `pluto-duck run` (PD_BIN) on the sample
// shop and a SQLite fixture, driven in Debian's headless Chromium by playwright-core.
// Each test is a user's task; a screenshot of each screen goes to
// $PD_BUILD/e2e-screenshots. Any error in the browser console fails the run.
//
//   PD_BIN=build/bin/pluto-duck PD_BUILD=build node web/e2e/run.mjs [name filter]
//   (PD_E2E_SLOWDOWN=4 ... runs the pages four times slower)

import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tests } from './tests.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(process.env.PD_BIN ?? join(here, '../../build/bin/pluto-duck'));
const shots = resolve(process.env.PD_BUILD ?? join(here, '../../build'), 'e2e-screenshots');
const webDir = resolve(here, '../dist');
const filter = process.argv[2] ?? '';
/* PD_E2E_SLOWDOWN=N runs the pages N times slower (Chromium's CPU throttling): timing bugs show */
const slowdown = Number(process.env.PD_E2E_SLOWDOWN ?? 1);

if (!existsSync(join(webDir, 'index.html'))) {
  console.error(`e2e: ${webDir}/index.html is missing: run scripts/setup.sh (it builds the web UI)`);
  process.exit(1);
}
mkdirSync(shots, { recursive: true });

const TEST_S = 120; /* one test: page actions time out after 30 s, but a key press into a page that does not answer waits for ever */
const STOP_S = 20;
const sleep = (ms) => new Promise((r) => setTimeout(() => r(null), ms));

/** Every thread's stack of a process that does not stop, or why there is none. */
function threadStacks(pid) {
  try {
    const out = execFileSync('gdb', ['-p', String(pid), '-batch', '-nx', '-ex', 'thread apply all bt 20'], { encoding: 'utf8', timeout: 60000, stdio: ['ignore', 'pipe', 'pipe'] });
    return out.split('\n').filter((l) => /^(Thread|#)/.test(l)).join('\n');
  } catch (e) {
    return `(no stacks: ${e.message.split('\n')[0]})`;
  }
}

/** A fresh data home with the sample shop, and a server on a free port. */
async function startServer() {
  const home = mkdtempSync(join(tmpdir(), 'pd-e2e-'));
  const env = { ...process.env, PLUTO_DUCK_HOME: home };
  execFileSync(bin, ['init'], { env, stdio: 'ignore', timeout: 60000 });
  const proc = spawn(bin, ['run', '--port', '0', '-c', `server.web_dir=${webDir}`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const runtime = join(home, 'runtime/server.json');
  for (let i = 0; i < 100 && !existsSync(runtime); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(runtime)) throw new Error(`the server did not start: ${stderr}`);
  const { port } = JSON.parse(readFileSync(runtime, 'utf8'));
  return {
    home,
    env,
    base: `http://127.0.0.1:${port}`,
    pd: (...args) => execFileSync(bin, args, { env, encoding: 'utf8', timeout: 60000 }),
    /**
     * Stop the server; its exit status and what it printed when that is not 0. A server
     * that has not stopped STOP_S after SIGTERM is a failure: its threads' stacks are
     * reported (through gdb), then it is killed.
     */
    async stop() {
      const exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
      proc.kill('SIGTERM');
      let stuck = null;
      const ended = await Promise.race([exited, sleep(STOP_S * 1000)]);
      if (!ended) {
        stuck = `the server did not stop within ${STOP_S} s of SIGTERM; its threads:\n${threadStacks(proc.pid)}`;
        proc.kill('SIGKILL');
      }
      const { code, signal } = await exited;
      rmSync(home, { recursive: true, force: true });
      if (stuck) return `${stuck}\n${stderr.slice(-4000)}`;
      return code === 0 ? null : `the server exited with ${code ?? signal}: ${stderr.slice(-4000)}`;
    },
  };
}

/**
 * Where a page that does not answer is busy: the JavaScript stack, through the debugger
 * of cdp (a session with the debugger enabled before the page was busy: attaching one to
 * a page that does not answer closes the page).
 */
async function busyStack(cdp) {
  try {
    const paused = new Promise((r) => cdp.once('Debugger.paused', r));
    await cdp.send('Debugger.pause');
    const ev = await Promise.race([paused, sleep(5000)]);
    if (!ev) return 'busy, but not in JavaScript';
    return 'busy in: ' + ev.callFrames.slice(0, 12).map((f) => `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.location.lineNumber + 1}:${(f.location.columnNumber ?? 0) + 1}`).join(' <- ');
  } catch (e) {
    return `no stack: ${e.message}`;
  }
}

/** p, or null when it has not settled within ms. */
const within = (p, ms) => Promise.race([p, sleep(ms)]);

const launch = () =>
  chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });

let browser = await launch();
let failed = 0;
for (const t of tests.filter((t) => t.name.includes(filter))) {
  const server = await startServer();
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Debugger.enable');
  if (slowdown > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: slowdown });
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !(t.allowConsole ?? []).some((re) => re.test(m.text()))) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('crash', () => problems.push('the page crashed'));
  page.on('request', (r) => {
    if (!r.url().startsWith(server.base) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) problems.push(`request outside the server: ${r.url()}`);
  });
  const started = Date.now();
  const errors = [];
  let hung = false;
  try {
    const run = t.run({ page, server, shot: (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: false }) });
    if ((await within(run.then(() => true), TEST_S * 1000)) === null) throw new Error(`the test did not end within ${TEST_S} s`);
    if (problems.length) throw new Error(problems.join('\n'));
  } catch (e) {
    let error = String(e.stack ?? e).split('\n').slice(0, 6).join('\n  ');
    if (problems.length) error += '\n  in the browser:\n  ' + problems.join('\n  ');
    const text = await within(page.evaluate(() => document.querySelector('main')?.innerText ?? document.body.innerText), 5000).catch((e) => `(no page text: ${e.message})`);
    hung = text === null;
    error += '\n  the page said: ' + (hung ? '(nothing: it did not answer within 5 s)\n  ' + (await busyStack(cdp)) : String(text).slice(0, 600).replace(/\n/g, ' | '));
    await page.screenshot({ path: join(shots, `FAILED-${t.name.replace(/\W+/g, '_')}.png`), timeout: 10000 }).catch(() => {});
    errors.push(error);
  }
  if ((await within(context.close().then(() => true), 30000)) === null) {
    errors.push('the browser did not close the page within 30 s');
    hung = true;
  }
  const exit = await server.stop(); /* a sanitizer report makes the exit status non-zero */
  if (exit) errors.push(exit);
  if (errors.length) {
    failed++;
    console.log(`not ok ${t.name}\n  ${errors.join('\n  ')}`);
  } else {
    console.log(`ok ${t.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  if (hung) {
    /* a page that does not answer can keep the browser from closing it: start afresh */
    await within(browser.close(), 10000);
    browser = await launch();
  }
}
await within(browser.close(), 10000);
console.log(failed ? `${failed} failed` : 'all passed');
process.exit(failed ? 1 : 0);
