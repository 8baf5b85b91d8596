// run.mjs - the web UI end to end: a real `pluto-duck run` (PD_BIN) on the sample
// shop and a SQLite fixture, driven in Debian's headless Chromium by playwright-core.
// Each test is a user's task; a screenshot of each screen goes to
// $PD_BUILD/e2e-screenshots. Any error in the browser console fails the run.
//
//   PD_BIN=build/bin/pluto-duck PD_BUILD=build node web/e2e/run.mjs [name filter]
//   (PD_E2E_SLOWDOWN=4 ... runs the pages four times slower)

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tests } from './tests.mjs';
import { runTests, sleep, threadStacks } from './harness.mjs';

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

const STOP_S = 20;

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

const failed = await runTests({ tests, filter, start: startServer, shots, slowdown });
console.log(failed ? `${failed} failed` : 'all passed');
process.exit(failed ? 1 : 0);
