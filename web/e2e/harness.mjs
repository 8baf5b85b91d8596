// harness.mjs - what every end-to-end suite in the browser shares: Debian's headless
// Chromium driven by playwright-core, one fresh browser context per test, a
// screenshot of each failure, and a failure for any console error, page error,
// crash or request outside the servers the test uses. A page that does not answer
// is reported with its JavaScript stack (through the debugger), a server that does
// not stop with its threads' stacks (through gdb).

import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const TEST_S = 120; /* one test: page actions time out after 30 s, but a key press into a page that does not answer waits for ever */
export const sleep = (ms) => new Promise((r) => setTimeout(() => r(null), ms));

/** p, or null when it has not settled within ms. */
export const within = (p, ms) => Promise.race([p, sleep(ms)]);

export function check(ok, what) {
  if (!ok) throw new Error(`expected: ${what}`);
}

/** Every thread's stack of a process that does not stop, or why there is none. */
export function threadStacks(pid) {
  try {
    const out = execFileSync('gdb', ['-p', String(pid), '-batch', '-nx', '-ex', 'thread apply all bt 20'], { encoding: 'utf8', timeout: 60000, stdio: ['ignore', 'pipe', 'pipe'] });
    return out.split('\n').filter((l) => /^(Thread|#)/.test(l)).join('\n');
  } catch (e) {
    return `(no stacks: ${e.message.split('\n')[0]})`;
  }
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

const launch = () =>
  chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });

/**
 * Run tests ({name, run({page, server, shot, browser}), allowConsole}) whose names
 * contain filter. start(test) gives the test its server ({base, stop()}; stop returns
 * null or what went wrong); requests outside server.base (and server.others) fail it.
 * Screenshots go to shots. Returns the number that failed.
 */
export async function runTests({ tests, filter = '', start, shots, slowdown = 1 }) {
  mkdirSync(shots, { recursive: true });
  let browser = await launch();
  let failed = 0;
  /* a bench test (bench: true) runs only when its name is asked for: bench/web.sh does */
  for (const t of tests.filter((t) => t.name.includes(filter) && (!t.bench || filter))) {
    const server = await start(t);
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Debugger.enable');
    if (slowdown > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: slowdown });
    const problems = [];
    const watch = (p) => {
      p.on('console', (m) => {
        if (m.type() === 'error' && !(t.allowConsole ?? []).some((re) => re.test(m.text()))) problems.push(`console: ${m.text()}`);
      });
      p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      p.on('crash', () => problems.push('the page crashed'));
      p.on('request', (r) => {
        const u = r.url();
        const bases = [server.base, ...(server.others ?? [])]; /* a test may start more servers */
        if (!bases.some((b) => u.startsWith(b)) && !/^(data|blob|about):/.test(u)) problems.push(`request outside the server: ${u}`);
      });
    };
    watch(page);
    context.on('page', watch);
    const started = Date.now();
    const errors = [];
    let hung = false;
    try {
      const run = t.run({ page, context, browser, server, shots, shot: (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: false }) });
      if ((await within(run.then(() => true), (t.timeout_s ?? TEST_S) * 1000)) === null) throw new Error(`the test did not end within ${t.timeout_s ?? TEST_S} s`);
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
  return failed;
}
