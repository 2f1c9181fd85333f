// End to end: ascii-launch's demo served to the web player in headless Chromium (Debian's, driven
// by playwright-core). The canvas must show the picture (not background), change over time, and be
// redrawn at least 25 times a second at 30 fps. A screenshot is kept in tests/artifacts/.
//
// usage: node player.test.mjs path/to/ascii-launch
// SPDX-License-Identifier: LGPL-2.1-or-later
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const launcher = process.argv[2];
const artifacts = join(here, '..', 'artifacts');
let failures = 0;

function check(ok, what) {
  console.log(`${ok ? 'ok' : 'FAIL'} - ${what}`);
  if (!ok) failures++;
}

// Starts ascii-launch on an ephemeral port and resolves with the URL it prints.
function startServer() {
  const child = spawn(launcher, ['--port', '0', '--preset', 'high'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('ascii-launch printed no URL in 20 s')), 20000);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/open (http:\/\/\S+\/)/);
      if (m) { clearTimeout(timer); resolve({ child, url: m[1] }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`ascii-launch exited (${code})`)); });
  });
}

function waitExit(child, ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ms);
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve(code ?? signal); });
  });
}

async function poll(fn, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Fraction of canvas pixels that are not background, and a cheap hash of the picture.
const canvasSummary = () => {
  const c = document.getElementById('screen');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let lit = 0, hash = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] + d[i + 1] + d[i + 2] > 48) lit++;
    hash = (hash * 31 + d[i] + d[i + 1] * 7 + d[i + 2] * 13) | 0;
  }
  return { lit: lit / (d.length / 4), hash, width: c.width, height: c.height };
};

const { child, url } = await startServer();
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => check(false, `no page error (${e.message})`));
  await page.goto(url);
  await poll(() => page.evaluate(() => window.asciiPlayer && window.asciiPlayer.stats.framesDrawn > 10), 20000,
    'the first frames');
  const grid = await page.evaluate(() => [window.asciiPlayer.init.cols, window.asciiPlayer.init.rows]);
  check(grid[0] === 200 && grid[1] === 84, `INIT parsed: ${grid.join('x')}`);

  const a = await page.evaluate(canvasSummary);
  const t0 = Date.now();
  const drawn0 = await page.evaluate(() => window.asciiPlayer.stats.framesDrawn);
  await new Promise((r) => setTimeout(r, 5000));  // a measurement window, not synchronisation
  const drawn1 = await page.evaluate(() => window.asciiPlayer.stats.framesDrawn);
  const seconds = (Date.now() - t0) / 1000;
  const b = await page.evaluate(canvasSummary);
  const fps = (drawn1 - drawn0) / seconds;

  check(a.lit > 0.2, `the canvas shows the picture: ${(a.lit * 100).toFixed(1)} % of pixels lit`);
  check(a.hash !== b.hash, 'the picture changes over time');
  check(fps >= 25, `frames drawn per second: ${fps.toFixed(1)} (>= 25 of 30)`);
  const stats = await page.evaluate(() => window.asciiPlayer.stats);
  check(stats.badMessages === 0, `no malformed messages (${stats.badMessages})`);
  console.log(`# received ${stats.framesReceived}, drawn ${stats.framesDrawn}, skipped ${stats.framesSkipped}`);

  mkdirSync(artifacts, { recursive: true });
  await page.keyboard.press('s');  // the stats overlay, so the screenshot shows the numbers too
  await page.screenshot({ path: join(artifacts, 'player.png') });
  console.log(`# screenshot: ${join(artifacts, 'player.png')}`);
} catch (e) {
  check(false, e.message);
} finally {
  await browser.close();
  child.kill('SIGINT');
  const code = await waitExit(child, 10000);
  check(code === 0, `ascii-launch stops cleanly on Ctrl-C (exit ${code})`);
}
process.exit(failures ? 1 : 0);
