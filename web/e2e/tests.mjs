// tests.mjs - the end-to-end tests: each one a user's task in the browser against a
// real server (see run.mjs), asserting what the user would see.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

export const tests = [];
const test = (name, run, opts = {}) => tests.push({ name, run, ...opts });

function check(ok, what) {
  if (!ok) throw new Error(`expected: ${what}`);
}

async function typeSql(page, sql) {
  const editor = page.locator('.cm-content');
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await editor.fill(sql);
}

test('sql: run a query and see its rows; chart, history, export', async ({ page, server, shot }) => {
  await page.goto(server.base + '/sql');
  await typeSql(page, 'select status, count(*) as n, sum(amount) as total from orders group by 1 order by 1');
  await page.keyboard.press('Control+Enter');
  await page.getByTestId('result-status').waitFor();
  const want = server.pd('sql', '--format', 'csv', 'select count(distinct status) from orders').trim().split('\n')[1];
  check((await page.getByTestId('result-status').textContent()).startsWith(`${want} rows`), `${want} rows`);
  check((await page.getByRole('row').count()) === Number(want) + 1, 'a header and one row per status');
  check(await page.getByRole('gridcell', { name: 'completed', exact: true }).isVisible(), 'a completed row');
  await shot('sql-result');
  await page.getByRole('tab', { name: 'Chart' }).click();
  check(await page.locator('svg.chart rect').count() >= Number(want), 'a bar per status');
  await shot('sql-chart');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const file = await (await download).path();
  const csv = (await import('node:fs')).readFileSync(file, 'utf8');
  check(csv.startsWith('status,n,total'), 'a CSV with a header');
  await page.getByRole('tab', { name: 'History' }).click();
  await page.getByText('group by 1 order by 1').first().waitFor();
  await shot('sql-history');
});

test('sql: an error shows its message; cancel stops a long query', async ({ page, server }) => {
  await page.goto(server.base + '/sql');
  await typeSql(page, 'select * from no_such_table');
  await page.getByRole('button', { name: 'Run' }).click();
  await page.getByRole('alert').waitFor();
  check((await page.getByRole('alert').textContent()).includes('no_such_table'), 'the server message');
  await typeSql(page, 'select count(*) from range(100000000000) t(a) where a % 7 = 3');
  await page.getByRole('button', { name: 'Run' }).click();
  await page.getByRole('button', { name: 'Cancel' }).waitFor({ state: 'visible' });
  await page.waitForTimeout(300);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('alert').filter({ hasText: /cancel/i }).waitFor({ timeout: 15000 });
}, { allowConsole: [/status of 4\d\d/] });

test('sql: a 100k-row result scrolls without freezing the page', async ({ page, server, shot }) => {
  await page.goto(server.base + '/sql');
  await typeSql(page, 'select range as n, md5(range::varchar) as h, range * 1.5 as x from range(100000)');
  const t0 = Date.now();
  await page.keyboard.press('Control+Enter');
  await page.getByTestId('result-status').waitFor({ timeout: 60000 });
  const loaded = Date.now() - t0;
  check((await page.getByTestId('result-status').textContent()).startsWith('100,000 rows'), '100,000 rows');
  // only the rows in view are in the page
  check((await page.locator('.grid .r').count()) < 100, 'fewer than 100 rows in the DOM');
  // frame times while scrolling to the end
  const frames = await page.evaluate(async () => {
    const grid = document.querySelector('.grid');
    const times = [];
    let last = performance.now();
    for (let i = 0; i < 60; i++) {
      grid.scrollTop += grid.scrollHeight / 60;
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      times.push(now - last);
      last = now;
    }
    times.sort((a, b) => a - b);
    return { median: times[30], p95: times[56], max: times[59] };
  });
  await page.getByRole('gridcell', { name: '99999', exact: true }).waitFor();
  await shot('sql-100k');
  console.log(`  100k rows: result shown in ${loaded} ms; scroll frame times median ${frames.median.toFixed(1)} ms, p95 ${frames.p95.toFixed(1)} ms, max ${frames.max.toFixed(1)} ms`);
  check(frames.max < 1000, 'no frame over a second');
});
