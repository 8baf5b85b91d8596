// cloud_tests.mjs - Pluto Cloud's web pages, each test a team member's task in the
// browser (see cloud.mjs), asserting what they would see.

import { check, sleep } from './harness.mjs';

export const tests = [];
const test = (name, run, opts = {}) => tests.push({ name, run, ...opts });

const password = (email) => `${email.split('@')[0]}-password`;

/** Sign in on whatever page asks for it. */
async function signIn(page, email) {
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password(email));
  await form.getByRole('button', { name: /Sign in/ }).click();
}

/** A workspace of the owner's with members in the given roles (made through the API). */
async function team(server, name, members = {}) {
  const { api } = server;
  const ws = await api('ann@example.com', 'POST', '/workspaces', { name });
  for (const [email, role] of Object.entries(members)) {
    const inv = await api('ann@example.com', 'POST', `/workspaces/${ws.id}/invitations`, { email, role });
    const res = await fetch(`${server.base}/api/v1/auth/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password: password(email), invitation: inv.token }) });
    if (res.status === 409) await api(email, 'POST', '/invitations/accept', { token: inv.token });
    else if (!res.ok) throw new Error(`register ${email}: ${res.status} ${await res.text()}`);
  }
  return ws;
}

const FILES1 = { 'analyses/orders.yaml': 'name: orders\nsql: |\n  select 1 as id,\n    10 as amount\nmaterialize: table\n' };
const FILES2 = { 'analyses/orders.yaml': 'name: orders\nsql: |\n  select 1 as id,\n    20 as amount,\n    \'eur\' as currency\nmaterialize: table\n', 'analyses/daily.yaml': 'name: daily\nsql: select count(*) as n from {{ ref("orders") }}\n' };

test('cloud: sign in, make a workspace, invite an editor who joins from the link', async ({ page, browser, server, shot }) => {
  await page.goto(server.base + '/');
  await page.getByRole('heading', { name: 'Sign in to Pluto Cloud' }).waitFor();
  /* a wrong password says so and signs nobody in */
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.getByLabel('Email').fill('ann@example.com');
  await form.getByLabel('Password').fill('not-the-password');
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'wrong email or password' }).waitFor();
  await form.getByLabel('Password').fill(password('ann@example.com'));
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation').getByText('ann@example.com').waitFor();
  /* the refresh token is out of the script's reach */
  check(!(await page.evaluate(() => document.cookie)).includes('pluto_cloud_refresh'), 'the refresh cookie is HttpOnly');
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  check(!/pcr_|eyJ/.test(stored), `no token in the browser's storage: ${stored}`);

  await page.getByRole('link', { name: 'All workspaces' }).click();
  await page.getByLabel('Workspace name').fill('Marketing');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('heading', { name: 'Pipelines' }).waitFor();
  await page.getByRole('link', { name: 'Members' }).click();
  await page.getByLabel('Email to invite').fill('bob@example.com');
  await page.getByLabel('Role of the invitation').selectOption('editor');
  await page.getByRole('button', { name: 'Invite' }).click();
  const link = await page.getByLabel('Invitation link').inputValue();
  check(link.startsWith(server.base + '/invite#'), `an invitation link: ${link}`);
  await shot('cloud-members');

  /* a reload keeps the sign-in (the cookie), without the password */
  await page.reload();
  await page.getByRole('heading', { name: 'Members of Marketing' }).waitFor();

  /* bob, in a browser of his own, opens the link and makes his account */
  const bob = await (await browser.newContext()).newPage();
  await bob.goto(link);
  const reg = bob.getByRole('form', { name: 'Create an account' });
  await reg.getByLabel('Email').fill('bob@example.com');
  await reg.getByLabel('Name').fill('Bob');
  await reg.getByLabel('Password').fill('short');
  await reg.getByRole('button', { name: 'Create account and join' }).click();
  await bob.getByRole('alert').filter({ hasText: '8 characters' }).waitFor();
  await reg.getByLabel('Password').fill(password('bob@example.com'));
  await reg.getByRole('button', { name: 'Create account and join' }).click();
  await bob.getByRole('navigation').getByText('bob@example.com · editor').waitFor();
  check(!bob.url().includes('#'), `the token left the address bar: ${bob.url()}`);
  /* an editor sees members but may not change them */
  await bob.getByRole('link', { name: 'Members' }).click();
  await bob.getByRole('cell', { name: 'ann@example.com' }).waitFor();
  check((await bob.getByRole('combobox', { name: /Role of/ }).count()) === 0, 'an editor has no role controls');
  check((await bob.getByRole('button', { name: 'Invite' }).count()) === 0, 'an editor cannot invite');
  check((await bob.getByRole('link', { name: 'Audit log' }).count()) === 0, 'an editor has no audit log');
  await bob.context().close();

  await page.reload();
  await page.getByRole('cell', { name: 'bob@example.com' }).first().waitFor();
  /* signing out ends the cookie's sign-in: a reload asks again */
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Pluto Cloud' }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in to Pluto Cloud' }).waitFor();
}, { allowConsole: [/status of 401/] /* the wrong password */ });

test('cloud: pipelines: versions, files, a side-by-side diff, pin and roll back; the audit log', async ({ page, server, shot }) => {
  const ws = await team(server, 'Finance', { 'carol@example.com': 'viewer' });
  const { api } = server;
  const p = await api('ann@example.com', 'POST', `/workspaces/${ws.id}/pipelines`, { name: 'revenue', files: FILES1, message: 'first' });
  await api('ann@example.com', 'POST', `/workspaces/${ws.id}/pipelines/${p.id}/versions`, { files: FILES2, message: 'in euros' });
  await page.goto(`${server.base}/w/${ws.id}/pipelines`);
  await signIn(page, 'ann@example.com');
  await page.getByRole('link', { name: 'revenue' }).click();
  await page.getByRole('cell', { name: 'in euros' }).waitFor();
  /* the diff of v1 -> v2, side by side: the old amount left, the new right */
  const diff = page.getByRole('table', { name: 'Changes to analyses/orders.yaml' });
  await diff.waitFor();
  const changed = diff.locator('tr.changed').first();
  check((await changed.locator('td.l').textContent()).includes('10 as amount'), 'the old line on the left');
  check((await changed.locator('td.r').textContent()).includes('20 as amount,'), 'the new line on the right');
  check((await diff.locator('tr.added td.r').first().textContent()).includes("'eur' as currency"), 'an added line on the right only');
  await page.getByRole('table', { name: 'Changes to analyses/daily.yaml' }).waitFor();
  await shot('cloud-diff');
  /* the files of v1 */
  await page.getByRole('button', { name: 'Show v1' }).click();
  await page.getByRole('heading', { name: 'Files of v1' }).waitFor();
  await page.getByText('10 as amount').first().waitFor();
  /* pin v1: schedules run it */
  await page.getByRole('row', { name: /v1/ }).getByRole('button', { name: 'Pin' }).click();
  await page.getByRole('status').filter({ hasText: 'Pinned to v1' }).waitFor();
  check((await api('ann@example.com', 'GET', `/workspaces/${ws.id}/pipelines/${p.id}`)).pinned_version === 1, 'pinned on the server');
  /* roll back to v1: v3 with v1's files */
  await page.getByRole('row', { name: /v1/ }).getByRole('button', { name: 'Roll back' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Roll back' }).click();
  await page.getByRole('button', { name: 'Show v3' }).waitFor();
  const v3 = await api('ann@example.com', 'GET', `/workspaces/${ws.id}/pipelines/${p.id}/versions/3`);
  check(v3.rollback_of === 1 && v3.files['analyses/orders.yaml'] === FILES1['analyses/orders.yaml'], 'v3 has the content of v1');
  /* the audit log, filtered */
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByLabel('Action').fill('pipeline.');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByRole('cell', { name: 'pipeline.pin' }).waitFor();
  check((await page.getByRole('cell', { name: 'member.' }).count()) === 0, 'only pipeline actions');
  await shot('cloud-audit');

  /* a viewer sees the same pipeline with no edit controls, and the server refuses anyway */
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.goto(`${server.base}/w/${ws.id}/pipelines/${p.id}`);
  await signIn(page, 'carol@example.com');
  await page.getByRole('cell', { name: 'in euros' }).waitFor();
  for (const name of ['Pin', 'Roll back', 'Unpin', 'Delete'])
    check((await page.getByRole('button', { name, exact: true }).count()) === 0, `a viewer has no ${name} button`);
  check((await page.getByRole('link', { name: 'Audit log' }).count()) === 0, 'a viewer has no audit log');
  const refused = await page.evaluate(async ({ wsId, pId }) => {
    const t = await (await fetch('/api/v1/auth/refresh', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).json();
    return (await fetch(`/api/v1/workspaces/${wsId}/pipelines/${pId}`, { method: 'PATCH', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${t.access_token}` }, body: '{"pinned_version": 2}' })).status;
  }, { wsId: ws.id, pId: p.id });
  check(refused === 403, `the server refuses a viewer's pin: ${refused}`);
}, { allowConsole: [/status of 403/] });

test('cloud: a report with script in it runs nothing', async ({ page, server }) => {
  const ws = await team(server, 'Security');
  const { api } = server;
  const p = await api('ann@example.com', 'POST', `/workspaces/${ws.id}/pipelines`, { name: 'evil', files: FILES1 });
  const runId = uuid7();
  await api('ann@example.com', 'POST', `/workspaces/${ws.id}/runs`, { run_id: runId, pipeline_id: p.id, state: 'running' });
  const html = `<!doctype html><html><body><h1>Totally a report</h1>
<script>try { parent.document.title = 'pwned'; } catch (e) {} document.body.dataset.ran = 'yes'; top.location = 'https://attacker.invalid/';</script>
<img src="x" onerror="parent.document.title='pwned by img'">
<form action="https://attacker.invalid/"><button id="b">go</button></form>
<a id="a" href="https://attacker.invalid/" target="_top">out</a></body></html>`;
  const bytes = new TextEncoder().encode(html);
  const sha = Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex');
  const art = await api('ann@example.com', 'POST', `/workspaces/${ws.id}/runs/${runId}/artifacts`, { kind: 'report', name: 'report.html', content_type: 'text/html', size: bytes.length, sha256: sha });
  const put = await fetch(art.upload.url, { method: 'PUT', body: bytes });
  check(put.ok, `uploaded: ${put.status}`);
  await api('ann@example.com', 'POST', `/workspaces/${ws.id}/runs/${runId}/artifacts/${art.id}/complete`, {});
  await page.goto(`${server.base}/w/${ws.id}/runs/${runId}`);
  await signIn(page, 'ann@example.com');
  const frame = page.frameLocator('iframe[title="Run report"]');
  await frame.getByRole('heading', { name: 'Totally a report' }).waitFor();
  await sleep(500);
  check((await page.title()) === 'Pluto Cloud', `the page's title is untouched: ${await page.title()}`);
  check((await page.locator('iframe[title="Run report"]').getAttribute('sandbox')) === '', 'the frame is sandboxed with no permissions');
  check((await frame.locator('body').getAttribute('data-ran')) === null, 'no script ran inside the frame');
  check(page.url().startsWith(server.base), `the page was not navigated away: ${page.url()}`);
  /* the bytes, asked for as a page, are a download with a sandbox policy */
  const res = await fetch(`${server.base}/api/v1/workspaces/${ws.id}/runs/${runId}/artifacts/${art.id}/content`);
  check(res.status === 401, `content without a token: ${res.status}`);
}, { allowConsole: [/Blocked script execution/, /sandboxed/, /Content Security Policy/, /Failed to load resource/] });

test('cloud: the team workflow: device sign-in, push, schedule in the page, the run, its report and a comment', async ({ page, browser, server, shot }) => {
  const ws = await team(server, 'Data team', { 'bob@example.com': 'editor', 'carol@example.com': 'viewer' });
  const { api, machine, waitFor } = server;
  /* 2. bob signs in from Pluto Duck with the device grant, approving in the cloud's page */
  const laptop = machine('laptop');
  const { code, done } = await laptop.login();
  const bob = await (await browser.newContext()).newPage();
  await bob.goto(`${server.base}/device?user_code=${code}`);
  check((await bob.getByLabel('Code').inputValue()) === code, 'the code from the link is filled in');
  await signIn(bob, 'bob@example.com');
  await bob.getByRole('button', { name: 'Approve' }).click();
  await bob.getByRole('status').filter({ hasText: /Approved: .*laptop.* is signed in/ }).waitFor({ timeout: 5000 }).catch(async (e) => {
    throw new Error(`${e.message}; bob's page: ${await bob.evaluate(() => document.body.innerText)}`);
  });
  const login = await done;
  check(login.code === 0, `cloud login ends signed in: ${login.err}`);
  laptop.pd('cloud', 'workspace', 'use', 'Data team');
  /* 3. bob pushes a pipeline */
  laptop.pd('sql', "create table accounts as select 'acct-' || i as name, 1000 + i as amount from range(4) t(i)");
  laptop.pd('analysis', 'new', 'big_accounts', '--sql', 'select name, amount * 2 as doubled from main.accounts', '-m', 'table');
  laptop.pd('cloud', 'push', 'default', '-m', 'first');
  /* ann schedules it every minute, in a time zone, in the page */
  await page.goto(`${server.base}/w/${ws.id}/schedules`);
  await signIn(page, 'ann@example.com');
  await page.getByRole('button', { name: 'New schedule' }).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByRole('button', { name: 'Create schedule' }).click();
  await dlg.getByText('choose a pipeline').waitFor();
  await dlg.getByLabel('Pipeline').selectOption({ label: 'Data_team__default' }).catch(async () => dlg.getByLabel('Pipeline').selectOption({ index: 1 }));
  await dlg.getByLabel('Name').fill('every minute');
  await dlg.getByLabel(/^Cron/).fill('* * * * *');
  await dlg.getByLabel(/^Time zone/).fill('Asia/Seoul');
  await dlg.getByRole('button', { name: 'Create schedule' }).click();
  await page.getByRole('heading', { name: 'every minute' }).waitFor();
  const next = page.getByRole('list', { name: 'Next occurrences' }).getByRole('listitem');
  await next.first().waitFor();
  check((await next.count()) === 10, `the next 10 occurrences: ${await next.count()}`);
  await shot('cloud-schedule');
  /* 4. the machine's agent runs it; ann watches the run arrive */
  await page.getByRole('button', { name: 'Run now' }).click();
  await laptop.startAgent();
  let run = null;
  await waitFor('a successful run with its report', async () => {
    const runs = await api('ann@example.com', 'GET', `/workspaces/${ws.id}/runs?state=success`);
    if (!runs.length) return false;
    const arts = await api('ann@example.com', 'GET', `/workspaces/${ws.id}/runs/${runs[0].id}/artifacts`);
    run = runs[0];
    return arts.filter((a) => a.state === 'complete').length >= 2;
  }, 90);
  const stopped = await laptop.stop();
  check(stopped === null, stopped);
  await page.getByRole('link', { name: 'Runs' }).click();
  await page.getByLabel('State').selectOption('success');
  await page.getByRole('link', { name: run.id.slice(-8) }).click();
  await page.getByRole('heading', { name: run.id }).waitFor();
  await page.getByRole('cell', { name: 'big_accounts' }).waitFor(); /* the steps, from metadata.json */
  const report = page.frameLocator('iframe[title="Run report"]');
  await report.getByText('big_accounts').first().waitFor();
  await page.getByRole('button', { name: /Show the log/ }).click();
  await page.getByLabel('Log lines').waitFor();
  await shot('cloud-run');
  /* ann comments, mentioning bob */
  await page.getByLabel('New comment').fill('Numbers look right, @bob@example.com can you check the doubling?');
  await page.getByRole('button', { name: 'Comment' }).click();
  await page.getByRole('status').filter({ hasText: 'Notified bob@example.com' }).waitFor();
  await page.locator('.mention').filter({ hasText: '@bob@example.com' }).waitFor();
  /* bob sees the mention and follows it to the run */
  await bob.goto(`${server.base}/notifications`);
  await bob.getByLabel('1 unread').waitFor();
  await bob.getByRole('link', { name: 'Open' }).click();
  await bob.getByRole('heading', { name: run.id }).waitFor();
  /* carol, a viewer, reads the run and its report but edits nothing */
  const carol = await (await browser.newContext()).newPage();
  await carol.goto(`${server.base}/w/${ws.id}/schedules`);
  await signIn(carol, 'carol@example.com');
  await carol.getByRole('link', { name: 'every minute' }).click();
  await carol.getByRole('heading', { name: 'every minute' }).waitFor();
  for (const name of ['Run now', 'Pause', 'Edit', 'Delete'])
    check((await carol.getByRole('button', { name, exact: true }).count()) === 0, `a viewer has no ${name} button`);
  await carol.goto(`${server.base}/w/${ws.id}/runs/${run.id}`);
  await carol.frameLocator('iframe[title="Run report"]').getByText('big_accounts').first().waitFor();
  /* no value of the results reached the cloud's pages */
  const text = await carol.evaluate(() => document.body.innerText);
  check(!/acct-\d|200[0-6]/.test(text), 'no data value in the run page');
  /* ann pauses the schedule */
  await page.goto(`${server.base}/w/${ws.id}/schedules`);
  await page.getByRole('link', { name: 'every minute' }).click();
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByRole('status').filter({ hasText: 'Paused' }).waitFor();
  await page.getByRole('button', { name: 'Resume' }).waitFor();
}, { timeout_s: 240 });

test("cloud: the workbench's Settings signs in to Pluto Cloud, picks a workspace, signs out", async ({ page, context, server, shot }) => {
  const ws = await team(server, 'Ops', { 'dave@example.com': 'editor' });
  const desk = server.machine('desk');
  const local = await desk.startAgent('run');
  await page.goto(`${local}/settings`);
  const panel = page.getByRole('form', { name: 'Sign in to Pluto Cloud' });
  await panel.getByLabel('Server').fill('ftp://nowhere');
  await panel.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'https://' }).waitFor();
  await panel.getByLabel('Server').fill(server.base + '/');
  await panel.getByLabel(/machine's name/).fill('desk');
  await panel.getByRole('button', { name: 'Sign in' }).click();
  const code = (await page.getByLabel('Sign-in code').textContent()).trim();
  check(/^[A-Z]{4}-[A-Z]{4}$/.test(code), `a code to approve: ${code}`);
  await shot('settings-cloud-code');
  /* the approval page opens in a new tab of the cloud, with the code in it */
  const [approval] = await Promise.all([context.waitForEvent('page'), page.getByRole('link', { name: 'Open the approval page' }).click()]);
  await approval.waitForLoadState();
  check(approval.url().startsWith(server.base + '/device?user_code=' + code), `the approval page: ${approval.url()}`);
  await signIn(approval, 'dave@example.com');
  await approval.getByRole('button', { name: 'Approve' }).click();
  await approval.getByRole('status').filter({ hasText: /Approved: pluto-duck on desk/ }).waitFor();
  await approval.close();
  /* the workbench notices by itself */
  await page.getByText('dave@example.com').waitFor({ timeout: 20000 });
  await page.getByLabel('Cloud workspace').selectOption({ label: 'Ops (editor)' });
  await page.getByRole('status').filter({ hasText: 'Using Ops' }).waitFor();
  await page.getByText('run on this machine', { exact: true }).waitFor();
  const st = await (await fetch(`${local}/api/v1/cloud/status`)).json();
  check(st.signed_in && st.workspace_id === ws.id && st.runner.polling, `the local server runs Ops' schedules: ${JSON.stringify(st)}`);
  check(desk.pd('cloud', 'status', '--format', 'json').includes('dave@example.com'), 'the CLI sees the same sign-in');
  await shot('settings-cloud-signed-in');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('form', { name: 'Sign in to Pluto Cloud' }).waitFor();
  const after = await (await fetch(`${local}/api/v1/cloud/status`)).json();
  check(!after.signed_in && !after.runner.polling, `signed out, schedules stop: ${JSON.stringify(after)}`);
  const stopped = await desk.stop();
  check(stopped === null, stopped);
}, { allowConsole: [/status of 422/] });

test('cloud: narrow screens and the device page signed out', async ({ page, server }) => {
  await page.setViewportSize({ width: 390, height: 800 });
  await page.goto(`${server.base}/device`);
  await page.getByRole('heading', { name: 'Sign in a device' }).waitFor();
  await page.getByLabel('Code').fill('BCDF-GHJK');
  await signIn(page, 'ann@example.com');
  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByRole('alert').filter({ hasText: 'no pending sign-in with the code BCDF-GHJK' }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `nothing wider than the screen: ${overflow}px`);
}, { allowConsole: [/status of 404/] });

/** A UUIDv7 (the run ids clients make). */
function uuid7() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  let ms = Date.now();
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
