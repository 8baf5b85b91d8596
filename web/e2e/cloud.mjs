// cloud.mjs - Pluto Cloud's web pages end to end: a real pluto-cloud (PD_CLOUD_BIN) on
// a private PostgreSQL with its artifacts in S3 (moto_server), and real Pluto Duck
// machines (PD_BIN) that sign in with the device grant, push pipelines and run
// schedules, driven in Debian's headless Chromium (harness.mjs). One cloud serves
// every test; each test makes the workspace it needs.
//
//   PD_BIN=build/bin/pluto-duck PD_CLOUD_BIN=build/bin/pluto-cloud PD_BUILD=build \
//     node web/e2e/cloud.mjs [name filter]

import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests, sleep } from './harness.mjs';
import { tests } from './cloud_tests.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const build = resolve(process.env.PD_BUILD ?? join(here, '../../build'));
const pdBin = resolve(process.env.PD_BIN ?? join(build, 'bin/pluto-duck'));
const cloudBin = resolve(process.env.PD_CLOUD_BIN ?? join(build, 'bin/pluto-cloud'));
const webDir = resolve(here, '../dist-cloud');
const workbenchDir = resolve(here, '../dist');
const shots = join(build, 'e2e-screenshots');

if (!existsSync(join(webDir, 'index.html'))) {
  console.error(`cloud e2e: ${webDir}/index.html is missing: run scripts/setup.sh (it builds the web pages)`);
  process.exit(1);
}

/** A free TCP port on loopback. */
const freePort = () =>
  new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });

async function waitFor(what, test, seconds = 60) {
  for (let i = 0; i < seconds * 10; i++) {
    if (await test().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/* Outside a 0700 folder: as root, the postgres user of --dev must pass through it. */
const work = mkdtempSync('/tmp/pd-cloud-e2e.');
chmodSync(work, 0o711);
const children = [];
const stopAll = () => children.forEach((c) => c.exitCode === null && c.kill('SIGTERM'));
process.on('exit', stopAll);

/* S3: moto_server, with a bucket */
const motoPort = await freePort();
const s3 = `http://127.0.0.1:${motoPort}`;
children.push(spawn('moto_server', ['-p', String(motoPort)], { stdio: 'ignore' }));
await waitFor('moto_server', async () => (await fetch(`${s3}/pluto-artifacts`, { method: 'PUT' })).ok, 30);

/* the cloud */
const cloudEnv = { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing-secret' };
const cloudData = join(work, 'cloud');
const cloud = spawn(cloudBin, ['serve', '--dev', '--data', cloudData, '--port', '0', '--sweep-interval', '1', '--s3-endpoint', s3, '--s3-bucket', 'pluto-artifacts', '--web-dir', webDir], { env: cloudEnv, stdio: ['ignore', 'pipe', 'pipe'] });
children.push(cloud);
let cloudOut = '';
let cloudErr = '';
cloud.stdout.on('data', (d) => (cloudOut += d));
cloud.stderr.on('data', (d) => (cloudErr += d));
await waitFor('pluto-cloud', async () => /serving http/.test(cloudOut), 60).catch((e) => {
  console.error(`${e.message}: ${cloudErr.slice(-2000)}`);
  process.exit(1);
});
const base = /serving (http:\/\/[^ \n]+)/.exec(cloudOut)[1];

function addUser(email, password) {
  execFileSync(cloudBin, ['user', 'add', email, '--password-stdin', '--data', cloudData], { input: password + '\n', stdio: ['pipe', 'ignore', 'pipe'] });
}

/** The API as email (password: the part before @, then "-password"). */
async function api(email, method, path, body) {
  const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password: `${email.split('@')[0]}-password` }) });
  const { access_token } = await login.json();
  const res = await fetch(`${base}/api/v1${path}`, { method, headers: { Authorization: `Bearer ${access_token}`, 'Content-Type': 'application/json' }, body: body === undefined ? (method === 'GET' ? undefined : '{}') : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** A Pluto Duck machine: its own data home, its commands, and its agent. */
function machine(name) {
  const home = join(work, `home-${name}-${Date.now()}`);
  const env = { ...process.env, PLUTO_DUCK_HOME: home, PLUTO_DUCK_SECRET_STORE: 'file' };
  execFileSync(pdBin, ['init', '--no-sample'], { env, stdio: 'ignore', timeout: 60000 });
  let agent = null;
  return {
    home,
    pd: (...args) => execFileSync(pdBin, args, { env, encoding: 'utf8', timeout: 120000, stdio: ['ignore', 'pipe', 'pipe'] }),
    /** `cloud login`: resolves with {code, done} once it prints its code; done ends with its exit. */
    login() {
      const p = spawn(pdBin, ['cloud', 'login', base, '--no-browser', '--name', name], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      const done = new Promise((ok) => p.on('exit', (code) => ok({ code, err })));
      return new Promise((ok, fail) => {
        p.stderr.on('data', (d) => {
          err += d;
          const m = /enter the code ([A-Z]{4}-[A-Z]{4})/.exec(err);
          if (m) ok({ code: m[1], done });
        });
        p.on('exit', () => fail(new Error(`cloud login ended: ${err}`)));
      });
    },
    /** `pluto-duck agent` (or `run`, serving the workbench too): resolves with its URL. */
    async startAgent(command = 'agent') {
      agent = spawn(pdBin, [command, '--port', '0', '--poll-interval', '1s', '-c', `server.web_dir=${workbenchDir}`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      agent.err = '';
      agent.stderr.on('data', (d) => (agent.err += d));
      children.push(agent);
      const runtime = join(home, 'runtime/server.json');
      await waitFor('the agent', async () => existsSync(runtime) && readFileSync(runtime, 'utf8').includes('port'), 30);
      const url = `http://127.0.0.1:${JSON.parse(readFileSync(runtime, 'utf8')).port}`;
      server.others.push(url);
      return url;
    },
    /** Stop the agent: null, or how it ended when that was not cleanly (a sanitizer's report). */
    async stop() {
      if (!agent) return null;
      const ended = agent.exitCode !== null ? Promise.resolve() : new Promise((ok) => agent.on('exit', ok));
      agent.kill('SIGTERM');
      await ended;
      return agent.exitCode === 0 ? null : `the agent exited with ${agent.exitCode ?? agent.signalCode}: ${agent.err.slice(-3000)}`;
    },
  };
}

const users = ['ann@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com'];
for (const u of users.slice(0, 1)) addUser(u, `${u.split('@')[0]}-password`);

const server = {
  base,
  others: [], /* the machines' own servers */
  cloudBin,
  api,
  machine,
  waitFor,
  addUser,
  stop: async () => (cloud.exitCode !== null ? `pluto-cloud exited with ${cloud.exitCode}: ${cloudErr.slice(-3000)}` : null),
};

let failed = await runTests({ tests, filter: process.argv[2] ?? '', start: async () => server, shots, slowdown: Number(process.env.PD_E2E_SLOWDOWN ?? 1) });
cloud.kill('SIGTERM');
await new Promise((ok) => (cloud.exitCode !== null ? ok() : cloud.on('exit', ok)));
if (cloud.exitCode !== 0) {
  failed++;
  console.log(`not ok pluto-cloud stops cleanly: it exited with ${cloud.exitCode ?? cloud.signalCode}\n  ${cloudErr.slice(-4000)}`);
}
stopAll();
if (!failed) rmSync(work, { recursive: true, force: true });
else console.log(`(the cloud's data and the machines' homes are kept in ${work})`);
console.log(failed ? `${failed} failed` : 'all passed');
process.exit(failed ? 1 : 0);
