// End to end A/V sync: ascii-launch --demo sync (the picture flashes white exactly when a beep
// starts, once a second) played by the web player in headless Chromium with sound allowed.
//
// For a viewer from the start and one joining 5 s late, the player's audio clock when each flash
// is drawn, against the beep's time on the stream timeline (whole seconds), must average within
// 50 ms: the picture follows the sound's clock, and the clock (X-Audio-Start + currentTime) puts
// the late joiner on the same timeline.
//
// It also finds when each beep is heard (its onset in the element's decoded output, through Web
// Audio, mapped to page time with getOutputTimestamp) and prints flash drawn - beep heard. That
// checks the clock against the sound itself (start header, decoder delay): -10 to -30 ms on a quiet
// machine. It is printed, not asserted: headless Chromium's audio output has no device and, when
// the machine is busy, drifts from real time by tens of ms a second. The test asserts only that the
// beeps are heard.
//
// usage: node sync.test.mjs path/to/ascii-launch
// SPDX-License-Identifier: LGPL-2.1-or-later
import { check, failed, launchBrowser, poll, startServer, stopServer } from './lib.mjs';

const launcher = process.argv[2];
const FLASHES = 5;
const TOLERANCE_S = 0.05;

// Runs in the page before its scripts: records flashes as drawn, and beep onsets as heard.
const instrument = () => {
  window.syncLog = { flashes: [], beeps: [], audioState: 'none' };
  const hook = (player) => {
    let bright = false;
    player.onFrameDrawn = (f) => {
      if (!(f.data instanceof Uint8Array)) return;
      let sum = 0, n = 0;
      for (let o = 4 + 1; o < f.data.length; o += 4 * 17, n++) sum += f.data[o];  // R of every 17th cell
      const now = sum / n > 128;
      if (now && !bright) {
        window.syncLog.flashes.push({ index: f.index, clock: f.clock, source: f.source, wall: f.wall * 1000 });
      }
      bright = now;
    };
  };
  let player;
  Object.defineProperty(window, 'asciiPlayer', { configurable: true, get: () => player,
    set: (v) => { player = v; hook(v); } });

  // The element's sound goes through a worklet that finds each beep's first loud sample.
  const worklet = `registerProcessor('onset', class extends AudioWorkletProcessor {
    constructor() { super(); this.quiet = 0; }
    process(inputs, outputs) {
      const input = inputs[0], output = outputs[0];
      for (let c = 0; c < output.length; c++) if (input[c]) output[c].set(input[c]);
      const ch = input[0];
      if (!ch) return true;
      for (let i = 0; i < ch.length; i++) {
        if (Math.abs(ch[i]) > 0.1) {
          if (this.quiet > sampleRate * 0.5) this.port.postMessage((currentFrame + i) / sampleRate);
          this.quiet = 0;
        } else {
          this.quiet++;
        }
      }
      return true;
    }
  });`;
  addEventListener('DOMContentLoaded', async () => {
    const ctx = new AudioContext();
    await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([worklet], { type: 'text/javascript' })));
    const node = new AudioWorkletNode(ctx, 'onset', { outputChannelCount: [2] });
    ctx.createMediaElementSource(document.getElementById('audio')).connect(node).connect(ctx.destination);
    node.port.onmessage = (e) => {
      // The sample at context time t leaves the speakers at this page time.
      const ts = ctx.getOutputTimestamp();
      window.syncLog.beeps.push(ts.performanceTime + (e.data - ts.contextTime) * 1000);
    };
    window.syncLog.audioState = ctx.state;
  });
};

// Pairs each flash with the nearest beep heard; returns the offsets (s) of both measures.
function offsets(log) {
  const flashes = log.flashes.filter((f) => f.source === 'audio').slice(1);  // the first may be partial
  const byClock = flashes.map((f) => f.clock - Math.round(f.clock));
  const heard = [];
  for (const f of flashes) {
    let best = null;
    for (const b of log.beeps) if (best === null || Math.abs(f.wall - b) < Math.abs(f.wall - best)) best = b;
    if (best !== null && Math.abs(f.wall - best) < 500) heard.push((f.wall - best) / 1000);
  }
  return { flashes, byClock, heard };
}

const mean = (v) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
const ms = (v) => v.map((x) => (x * 1000).toFixed(0)).join(' ');

async function viewer(browser, url, name) {
  const page = await browser.newPage({ viewport: { width: 800, height: 500 } });
  page.on('pageerror', (e) => check(false, `${name}: no page error (${e.message})`));
  await page.addInitScript(instrument);
  await page.goto(url);
  return page;
}

async function measure(page, name) {
  await poll(() => page.evaluate((n) => window.syncLog.flashes.filter((f) => f.source === 'audio').length > n,
    FLASHES), 30000, `${name}: ${FLASHES + 1} flashes on the audio clock`);
  const log = await page.evaluate(() => window.syncLog);
  const state = await page.evaluate(() => window.asciiPlayer.audio.state);
  const { flashes, byClock, heard } = offsets(log);
  console.log(`# ${name}: flashes at frames ${flashes.map((f) => f.index).join(' ')}; sound ${state}`);
  console.log(`# ${name}: audio clock at flash - beep time (ms): ${ms(byClock)}`);
  console.log(`# ${name}: flash drawn - beep heard (ms): ${ms(heard)}`);
  const meanClock = mean(byClock.map(Math.abs));
  check(byClock.length >= FLASHES - 1 && meanClock <= TOLERANCE_S,
    `${name}: flashes drawn on the beat of the audio clock, mean |offset| ${(meanClock * 1000).toFixed(1)} ms`);
  check(heard.length >= FLASHES - 2, `${name}: the beeps are heard (${heard.length} matched to flashes; mean ` +
    `flash drawn - beep heard ${(mean(heard) * 1000).toFixed(1)} ms)`);
}

const { child, url } = await startServer(launcher, ['--demo', 'sync', '--preset', 'high']);
const browser = await launchBrowser(['--autoplay-policy=no-user-gesture-required']);
try {
  const started = Date.now();
  const first = await viewer(browser, url, 'from the start');
  await measure(first, 'from the start');
  // The late joiner arrives 5 s into the stream.
  await new Promise((r) => setTimeout(r, Math.max(0, 5000 - (Date.now() - started))));
  const late = await viewer(browser, url, 'joining 5 s late');
  await measure(late, 'joining 5 s late');
  // (Its response begins with a burst of recent sound, so it starts earlier; what it hears is live.)
  const heard = await late.evaluate(() => window.asciiPlayer.audio.time());
  check(heard >= 4.5, `the late joiner hears ${heard?.toFixed(3)} s of the stream, live`);
} catch (e) {
  check(false, e.message);
} finally {
  await browser.close();
  await stopServer(child);
}
process.exit(failed() ? 1 : 0);
