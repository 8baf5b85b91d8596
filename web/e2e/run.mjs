// run.mjs - the web UI end to end: a real `pluto-duck run` (PD_BIN) on the sample
// shop and a SQLite fixture, driven in Debian's headless Chromium by playwright-core.
// Each test is a user's task; a screenshot of each screen goes to
// $PD_BUILD/e2e-screenshots. Any error in the browser console fails the run.
//
//   PD_BIN=build/bin/pluto-duck PD_BUILD=build node web/e2e/run.mjs [name filter]

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

if (!existsSync(join(webDir, 'index.html'))) {
  console.error(`e2e: ${webDir}/index.html is missing: run scripts/setup.sh (it builds the web UI)`);
  process.exit(1);
}
mkdirSync(shots, { recursive: true });

/** A fresh data home with the sample shop, and a server on a free port. */
async function startServer() {
  const home = mkdtempSync(join(tmpdir(), 'pd-e2e-'));
  const env = { ...process.env, PLUTO_DUCK_HOME: home };
  execFileSync(bin, ['init'], { env, stdio: 'ignore' });
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
    pd: (...args) => execFileSync(bin, args, { env, encoding: 'utf8' }),
    /** Stop the server; its exit status and what it printed when that is not 0. */
    async stop() {
      const exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
      proc.kill('SIGTERM');
      const { code, signal } = await exited;
      rmSync(home, { recursive: true, force: true });
      return code === 0 ? null : `the server exited with ${code ?? signal}: ${stderr.slice(-4000)}`;
    },
  };
}

/** Where a page that does not answer is busy: the JavaScript stack, through the debugger. */
async function busyStack(page) {
  try {
    const cdp = await page.context().newCDPSession(page);
    const paused = new Promise((r) => cdp.once('Debugger.paused', r));
    await cdp.send('Debugger.enable');
    await cdp.send('Debugger.pause');
    const ev = await Promise.race([paused, new Promise((r) => setTimeout(() => r(null), 5000))]);
    if (!ev) return 'busy, but not in JavaScript';
    return 'busy in: ' + ev.callFrames.slice(0, 12).map((f) => `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.location.lineNumber + 1}:${(f.location.columnNumber ?? 0) + 1}`).join(' <- ');
  } catch (e) {
    return `no stack: ${e.message}`;
  }
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

let failed = 0;
for (const t of tests.filter((t) => t.name.includes(filter))) {
  const server = await startServer();
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
  const page = await context.newPage();
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
  let error = null;
  try {
    await t.run({ page, server, shot: (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: false }) });
    if (problems.length) throw new Error(problems.join('\n'));
  } catch (e) {
    error = String(e.stack ?? e).split('\n').slice(0, 6).join('\n  ');
    if (problems.length) error += '\n  in the browser:\n  ' + problems.join('\n  ');
    const text = await Promise.race([
      page.evaluate(() => document.querySelector('main')?.innerText ?? document.body.innerText),
      new Promise((r) => setTimeout(() => r('(the page did not answer within 5 s)'), 5000)),
    ]).catch((e) => `(no page text: ${e.message})`);
    error += '\n  the page said: ' + String(text).slice(0, 600).replace(/\n/g, ' | ');
    if (String(text).startsWith('(the page did not answer')) error += '\n  ' + (await busyStack(page));
    await page.screenshot({ path: join(shots, `FAILED-${t.name.replace(/\W+/g, '_')}.png`) }).catch(() => {});
  }
  await context.close();
  const exit = await server.stop(); /* a sanitizer report makes the exit status non-zero */
  error ??= exit;
  if (error) {
    failed++;
    console.log(`not ok ${t.name}\n  ${error}`);
  } else {
    console.log(`ok ${t.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
}
await browser.close();
console.log(failed ? `${failed} failed` : 'all passed');
process.exit(failed ? 1 : 0);
