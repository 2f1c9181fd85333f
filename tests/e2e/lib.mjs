// Shared by the browser tests: ascii-launch as a child process, Debian's chromium, polling, TAP-ish
// output.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { spawn, spawnSync } from 'node:child_process';

// playwright-core drives Debian's chromium; without it the test fails, saying why.
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  console.error('playwright-core is not installed in tests/e2e: run tools/install-deps.sh test');
  process.exit(1);
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

let failures = 0;

export function check(ok, what) {
  console.log(`${ok ? 'ok' : 'FAIL'} - ${what}`);
  if (!ok) failures++;
}

export function failed() { return failures > 0; }

// Starts ascii-launch with |args| on an ephemeral port and resolves with the URL it prints.
// The registry is brought up to date first, by another program: the tests scan it in-process
// (GST_REGISTRY_FORK=no), and ascii-launch, which has the elements built in, must not be the one
// to load a freshly built plugin beside its own copies of them. The scanner is render-cells (the
// tests' second argument), built as the plugin is: a sanitizer build's plugin loads only into a
// program built with the sanitizer.
let registryChecked = false;
export function startServer(launcher, args) {
  if (!registryChecked && process.argv[3]) {
    spawnSync(process.argv[3], [], { stdio: 'ignore' });  // gst_init, then its usage line
    registryChecked = true;
  }
  const child = spawn(launcher, ['--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
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

export function waitExit(child, ms) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) { resolve(child.exitCode); return; }
    const timer = setTimeout(() => resolve(null), ms);
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve(code ?? signal); });
  });
}

// Ctrl-C, then the exit code is checked.
export async function stopServer(child) {
  child.kill('SIGINT');
  const code = await waitExit(child, 10000);
  check(code === 0, `ascii-launch stops cleanly on Ctrl-C (exit ${code})`);
}

export async function poll(fn, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function launchBrowser(extraArgs = []) {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...extraArgs] });
}
