// End to end: ascii-launch's demo served to the web player in headless Chromium (Debian's, driven
// by playwright-core). The canvas must show the picture (not background), change over time, and be
// redrawn at least 25 times a second at 30 fps, on the adaptive codec and on raw frames, in symbol
// cells (--style, ascii by default) drawn to the pixel as asciirender draws the same frame; the
// player's decoder must give exactly the raw cells for every tag; the sound's click-to-start
// overlay, volume and mute, and --no-audio. A screenshot is kept in tests/artifacts/.
//
// usage: node player.test.mjs path/to/ascii-launch path/to/render-cells
// SPDX-License-Identifier: LGPL-2.1-or-later
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, failed, launchBrowser, poll, startServer, stopServer } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const launcher = process.argv[2];
const renderCells = process.argv[3];
const artifacts = join(here, '..', 'artifacts');

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

// The player's decoder (codec.js) in this browser against the raw frames of the same indices, on
// the server at |url|: two sockets side by side for 3 s, every tagged frame decoded in order and
// compared cell for cell. Returns the frames compared, those that differ, and the tags seen.
async function decodeExactly(browser, url) {
  const page = await browser.newPage();
  await page.goto(url + '?codec=raw');
  const result = await page.evaluate(async () => {
    const { AdaptiveDecoder } = await import('./codec.js');
    const open = (codec) => new Promise((resolve) => {
      const ws = new WebSocket(`ws://${location.host}/ws?codec=${codec}`);
      ws.binaryType = 'arraybuffer';
      const frames = [];
      ws.onmessage = (e) => { if (typeof e.data !== 'string') frames.push(new Uint8Array(e.data)); };
      setTimeout(() => { ws.close(); resolve(frames); }, 3000);  // a collection window
    });
    const [raw, tagged] = await Promise.all([open('raw'), open('adaptive')]);
    const byIndex = new Map(raw.map((f) => [new DataView(f.buffer).getUint32(0), f]));
    const decoder = new AdaptiveDecoder(200 * 84, 4);
    let compared = 0, wrong = 0;
    for (const m of tagged) {
      const index = await decoder.decode(m);
      const r = byIndex.get(index);
      if (!r) continue;
      compared++;
      for (let i = 0; i < decoder.frame.length; i++) if (decoder.frame[i] !== r[4 + i]) { wrong++; break; }
    }
    return { compared, wrong, tags: [...new Set(tagged.map((m) => m[4]))].sort() };
  });
  await page.close();
  return result;
}

// The player draws the demo's 30 frames a second; a sanitizer-built server (several times slower,
// sharing two cores with Chromium) is held to less, since that build checks memory, not speed:
// fitting symbol cells (the default style) under AddressSanitizer gave 14.5 to 30 fps here.
const SANITIZED = (process.env.GST_ASCII_SANITIZE || 'none') !== 'none';
const MIN_FPS = SANITIZED ? 10 : 25;
// Deadlines for the picture to start: twice as long for a sanitizer-built server.
const START_MS = SANITIZED ? 40000 : 20000;

// Frames the player on |page| draws per second over a window of |ms|.
async function drawnPerSecond(page, ms) {
  const t0 = Date.now();
  const drawn0 = await page.evaluate(() => window.asciiPlayer.stats.framesDrawn);
  await new Promise((r) => setTimeout(r, ms));  // a measurement window, not synchronisation
  const drawn1 = await page.evaluate(() => window.asciiPlayer.stats.framesDrawn);
  return (drawn1 - drawn0) / ((Date.now() - t0) / 1000);
}

// One frame of symbol cells as the player drew it: the cells and the canvas's pixels, read in the
// same task as the drawing.
const drawnFrame = () => new Promise((resolve) => {
  const player = window.asciiPlayer;
  player.onFrameDrawn = (f) => {
    player.onFrameDrawn = null;
    const c = document.getElementById('screen');
    const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const base64 = (u8) => {
      let s = '';
      for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
      return btoa(s);
    };
    resolve({ cells: base64(f.data.subarray(4)), pixels: base64(pixels), cw: player.renderer.cw,
              ch: player.renderer.ch, width: c.width, height: c.height, init: player.init });
  };
});

// The same cells drawn by asciirender (render-cells, built with the project), as RGBA bytes.
function asciirender(frame) {
  const dir = mkdtempSync(join(tmpdir(), 'render-'));
  try {
    const { cols, rows, mode } = frame.init;
    writeFileSync(join(dir, 'cells'), Buffer.from(frame.cells, 'base64'));
    execFileSync(renderCells, [join(dir, 'cells'), `${cols}`, `${rows}`, `${mode}`, `${frame.cw}`, `${frame.ch}`,
      join(dir, 'rgba')], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60000 });
    return readFileSync(join(dir, 'rgba'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// A sanitizer-built server fitting symbol cells runs several times slower than real time on these
// two cores (1.8 to 30 fps across runs), so there the demo is served in ASCILINE's cells; symbol
// cells are drawn, and compared with asciirender, by the pixel test below in both builds.
if (SANITIZED) console.log('# sanitizer build: the demo in ASCILINE\'s cells; symbol cells in the pixel test');
const { child, url } = await startServer(launcher, ['--preset', 'high', ...(SANITIZED ? ['--style', 'asciline'] : [])]);
// Sound needs a click here, as in a browser the user has not used on this site before.
const browser = await launchBrowser(['--autoplay-policy=document-user-activation-required']);
try {
  let page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => check(false, `no page error (${e.message})`));
  await page.goto(url);
  await poll(() => page.evaluate(() => window.asciiPlayer && window.asciiPlayer.stats.framesDrawn > 10), START_MS,
    'the first frames');
  const grid = await page.evaluate(() => [window.asciiPlayer.init.cols, window.asciiPlayer.init.rows]);
  check(grid[0] === 200 && grid[1] === 84, `INIT parsed: ${grid.join('x')}`);

  const a = await page.evaluate(canvasSummary);
  const fps = await drawnPerSecond(page, 5000);
  const b = await page.evaluate(canvasSummary);

  check(a.lit > 0.2, `the canvas shows the picture: ${(a.lit * 100).toFixed(1)} % of pixels lit`);
  check(a.hash !== b.hash, 'the picture changes over time');
  check(fps >= MIN_FPS, `frames drawn per second: ${fps.toFixed(1)} (>= ${MIN_FPS} of 30)`);
  const stats = await page.evaluate(() => window.asciiPlayer.stats);
  check(stats.badMessages === 0, `no malformed messages (${stats.badMessages})`);
  const codec = await page.evaluate(() => window.asciiPlayer.codec);
  check(codec === 'adaptive', `the player asked for the adaptive codec (${codec})`);
  const symbols = await page.evaluate(() => window.asciiPlayer.init.symbols);
  check(symbols === !SANITIZED, SANITIZED ? 'the player gets ASCILINE cells (--style asciline)' :
      'the player gets symbol cells (ascii style by default)');

  // The same stream as raw frames (?codec=raw), drawn the same, at many times the bytes. One page at
  // a time, as above: two full-size canvases beside a sanitizer-built server share two cores, and
  // the frame rate measured would be theirs, not the player's.
  const adaptive = await page.evaluate(() => window.asciiPlayer.stats);
  await page.close();
  const rawPage = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await rawPage.goto(url + '?codec=raw');
  await poll(() => rawPage.evaluate(() => window.asciiPlayer && window.asciiPlayer.stats.framesDrawn > 60), START_MS,
    'raw frames');
  const rawFps = await drawnPerSecond(rawPage, 3000);
  const raw = await rawPage.evaluate(() => ({ ...window.asciiPlayer.stats, codec: window.asciiPlayer.codec }));
  check(raw.codec === 'raw' && raw.badMessages === 0 && rawFps >= MIN_FPS, `?codec=raw plays: ${rawFps.toFixed(1)} fps`);
  check(adaptive.kbps < raw.kbps * 0.2, `adaptive frames take ${(100 * adaptive.kbps / raw.kbps).toFixed(1)} % of ` +
      `the raw bytes (${adaptive.kbps.toFixed(0)} against ${raw.kbps.toFixed(0)} kbit/s)`);
  await rawPage.close();
  console.log(`# received ${stats.framesReceived}, drawn ${stats.framesDrawn}, skipped ${stats.framesSkipped}`);

  // The browser refuses sound on a fresh page: the overlay asks for a click, which starts it; the
  // picture then follows the sound's clock. Volume and mute are remembered across visits.
  // (Nothing is evaluated in the page before the refusal: Playwright's evaluate counts as a gesture.)
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const refused = page.waitForEvent('console', { predicate: (m) => m.text().includes('blocks sound'), timeout: 15000 });
  await page.goto(url);
  await refused;
  check(await page.isVisible('#overlay'), 'sound blocked by the autoplay rule: the click-to-start overlay is shown');
  await page.click('#overlay');
  await poll(() => page.evaluate(() => window.asciiPlayer.audio.state === 'playing' &&
      window.asciiPlayer.stats.clock === 'audio'), 10000, 'sound after the click');
  check(await page.evaluate(() => document.getElementById('overlay').hidden), 'after a click: sound plays, ' +
      'the overlay is gone and the picture follows the audio clock');
  await page.click('#mute');
  await page.evaluate(() => { const v = document.getElementById('volume'); v.value = '0.35'; v.dispatchEvent(new Event('input')); });
  await page.click('#mute');
  await page.reload();
  await poll(() => page.evaluate(() => window.asciiPlayer && window.asciiPlayer.stats.framesDrawn > 0), START_MS,
    'the picture after a reload');
  const kept = await page.evaluate(() => [document.getElementById('audio').volume, document.getElementById('audio').muted]);
  check(Math.abs(kept[0] - 0.35) < 1e-6 && kept[1] === true, `volume and mute remembered: ${kept.join(', ')}`);

  mkdirSync(artifacts, { recursive: true });
  await page.keyboard.press('s');  // the stats overlay, so the screenshot shows the numbers too
  await page.screenshot({ path: join(artifacts, 'player.png') });
  console.log(`# screenshot: ${join(artifacts, 'player.png')}`);

  // The demo's sound, as any HTTP client sees it.
  const abort = new AbortController();
  const sound = await fetch(new URL('audio', url), { signal: abort.signal });
  const start = parseFloat(sound.headers.get('x-audio-start'));
  check(sound.status === 200 && sound.headers.get('content-type') === 'audio/aac' && start >= 0,
    `/audio: ${sound.status} ${sound.headers.get('content-type')}, X-Audio-Start ${start}`);
  abort.abort();
} catch (e) {
  check(false, e.message);
} finally {
  await browser.close();
  await stopServer(child);
}

// codec.js against raw frames on pictures that between them use every tag: the bars (runs), the
// sync demo (black with flashes: deltas and runs), the zone plate (zlib), and a stream that is not
// tagged (raw frames as tag 0).
for (const args of [['--demo', 'bars'], ['--demo', 'sync'], ['--demo', 'motion'], ['--codec', 'raw']]) {
  const browser = await launchBrowser();
  try {
    // ASCILINE's cells are what codec.js is checked on here: no symbol cells to fit.
    const server = await startServer(launcher, [...args, '--no-audio', '--style', 'asciline']);
    const r = await decodeExactly(browser, server.url);
    check(r.compared >= 30 && r.wrong === 0, `${args.join(' ')}: codec.js decodes ${r.compared} tagged frames ` +
        `(tags ${r.tags.join(', ')}) to exactly the raw cells (${r.wrong} differ)`);
    await stopServer(server.child);
  } catch (e) {
    check(false, e.message);
  } finally {
    await browser.close();
  }
}

// Every symbol set drawn by the player is what asciirender draws for the same frame, to the pixel.
{
  const browser = await launchBrowser();
  try {
    const server = await startServer(launcher, ['--style', 'ascii+blocks+sextant+octant+edge', '--no-audio']);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(server.url);
    await poll(() => page.evaluate(() => window.asciiPlayer && window.asciiPlayer.stats.framesDrawn > 5), START_MS,
      'symbol frames');
    const frame = await page.evaluate(drawnFrame);
    const cells = Buffer.from(frame.cells, 'base64');
    const sets = new Set();
    for (let i = 0; i < cells.length; i += 8) sets.add(cells[i]);
    const canvas = Buffer.from(frame.pixels, 'base64');
    const rendered = asciirender(frame);
    let differ = 0;
    for (let i = 0; i < canvas.length; i++) if (canvas[i] !== rendered[i]) differ++;
    check(rendered.length === canvas.length && differ === 0, `the canvas (${frame.width}x${frame.height}, cells ` +
        `${frame.cw}x${frame.ch}) matches asciirender's picture of the same frame: ${differ} bytes differ; ` +
        `symbol sets drawn: ${[...sets].sort().join(', ')}`);
    check(sets.size >= 4 && sets.has(5), `the frame uses several symbol sets, edges among them ` +
        `(${[...sets].join(', ')})`);
    await page.close();
    await stopServer(server.child);
  } catch (e) {
    check(false, e.message);
  } finally {
    await browser.close();
  }
}

// --no-audio: the picture only.
try {
  const quiet = await startServer(launcher, ['--no-audio', '--preset', 'low']);
  const sound = await fetch(new URL('audio', quiet.url));
  check(sound.status === 404, `with --no-audio, /audio is not served (${sound.status})`);
  await stopServer(quiet.child);
} catch (e) {
  check(false, e.message);
}
process.exit(failed() ? 1 : 0);
