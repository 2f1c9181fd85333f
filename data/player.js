// gst-ascii web player: watches an ASCILINE stream from /ws on this page's own server.
// No build step. Cells are drawn from a glyph atlas rendered once per cell size, straight into
// an ImageData, so a 200 x 84 grid costs one putImageData a frame, not 16,800 fillText calls.
// It asks for symbol cells (gst-ascii's extension: a symbol and two colours a cell, INIT field 5 =
// 2), drawn exactly as asciirender draws them: mosaics as geometry, letters and edges from the same
// 8 x 16 bitmaps (glyphs-8x16.bin and edges-8x16.bin, served beside this page), only the cells
// that changed.
// With sound (/audio), the sound is the master clock: frame i is shown when the audio heard is at
// i / fps, frames more than 100 ms late are dropped, early ones are held. Without it, the wall clock.
// SPDX-License-Identifier: LGPL-2.1-or-later

import { AudioClock } from './audio.js';
import { AdaptiveDecoder, adaptiveSupported } from './codec.js';
import { HlsSource } from './hls.js';
import { WsTimeline } from './timeshift.js';

const CELL_ASPECT = 0.75;   // cell width / height: 200 x 84 cells of a 16:9 picture
const JITTER_S = 0.08;      // how far behind the newest frame we play, to absorb network jitter
const MAX_QUEUE_S = 0.5;    // more than this buffered: jump ahead rather than lag
const LATE_S = 0.1;         // audio clock: a frame this late is dropped...
const STILL_S = 0.5;        // ...unless the picture has not changed for this long
const LEAD_S = 0.008;       // audio clock: shown up to half a display refresh early (never 50 ms)
const AUDIO_MAX_LEAD_S = 3; // frames this far ahead of the sound: the sound is stuck, reconnect it
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 8000;

const canvas = document.getElementById('screen');
const ctx = canvas.getContext('2d', { alpha: false });
const statusEl = document.getElementById('status');
const statsEl = document.getElementById('stats');
const audioEl = document.getElementById('audio');
const overlayEl = document.getElementById('overlay');
const muteEl = document.getElementById('mute');
const volumeEl = document.getElementById('volume');
const playEl = document.getElementById('play');
const backEl = document.getElementById('back');
const forwardEl = document.getElementById('forward');
const seekEl = document.getElementById('seek');
const timeEl = document.getElementById('time');
const liveEl = document.getElementById('live');

// ---- INIT ------------------------------------------------------------------------------------
// INIT:{fps}:{mode}:{cols}:{rows}[:{pixel}:{queue}:{duration}:{start}:{is_live}...]
function parseInit(text) {
  const f = text.split(':');
  if (f[0] !== 'INIT' || f.length < 5) return null;
  const init = {
    fps: parseFloat(f[1]), mode: parseInt(f[2], 10), cols: parseInt(f[3], 10), rows: parseInt(f[4], 10),
    pixel: f[5] === '1', symbols: f[5] === '2', duration: parseFloat(f[7] || '0'), start: parseFloat(f[8] || '0'), live: f[9] === '1',
  };
  const ok = init.fps > 0 && init.fps <= 1000 && init.cols >= 1 && init.cols <= 4096 && init.rows >= 1 &&
      init.rows <= 4096 && init.mode >= 1 && init.mode <= 6;
  return ok ? init : null;
}

// ---- Drawing ---------------------------------------------------------------------------------
class Renderer {
  constructor() { this.cw = 0; this.ch = 0; this.init = null; }

  // Picks the largest cell size that fits the window and (re)builds the atlas and the image.
  configure(init) {
    this.init = init;
    const ch = Math.max(4, Math.min(48, Math.floor(Math.min(innerHeight / init.rows,
        innerWidth / (init.cols * CELL_ASPECT)))));
    const cw = Math.max(3, Math.round(ch * CELL_ASPECT));
    if (cw !== this.cw || ch !== this.ch) this.buildAtlas(cw, ch);
    canvas.width = init.cols * this.cw;
    canvas.height = init.rows * this.ch;
    this.image = ctx.createImageData(canvas.width, canvas.height);
    this.pixels = new Uint32Array(this.image.data.buffer);
    this.pixels.fill(0xff000000);
    this.previous = null;  // a new picture: every symbol cell is drawn
  }

  // One coverage mask per printable ASCII character, 0..256 so that full coverage keeps the colour.
  buildAtlas(cw, ch) {
    this.cw = cw; this.ch = ch;
    const atlas = document.createElement('canvas');
    atlas.width = cw * 95; atlas.height = ch;
    const a = atlas.getContext('2d', { willReadFrequently: true });
    a.fillStyle = '#fff';
    a.textBaseline = 'middle';
    a.textAlign = 'center';
    a.font = `${Math.round(ch * 0.95)}px ui-monospace, "DejaVu Sans Mono", monospace`;
    const scaleX = Math.min(1, cw / a.measureText('M').width);
    for (let i = 0; i < 95; i++) {
      a.save();
      a.translate(i * cw + cw / 2, ch / 2);
      a.scale(scaleX, 1);
      a.fillText(String.fromCharCode(32 + i), 0, 0);
      a.restore();
    }
    const data = a.getImageData(0, 0, atlas.width, ch).data;
    this.masks = new Array(256).fill(null);
    for (let i = 1; i < 95; i++) {
      const mask = new Uint16Array(cw * ch);
      let any = false;
      for (let y = 0; y < ch; y++) {
        for (let x = 0; x < cw; x++) {
          const v = data[(y * atlas.width + i * cw + x) * 4 + 3];
          mask[y * cw + x] = v + (v >> 7);
          any ||= v > 0;
        }
      }
      if (any) this.masks[32 + i] = mask;
    }
  }

  // Symbol cells: for every pixel of a cell, its glyph pixel (x * 8 / w, y * 16 / h) and its
  // sub-cell in each mosaic set (half 1 x 2, quadrant 2 x 2, sextant 2 x 3, octant 2 x 4), in
  // integers, as the core's renderer computes them.
  buildSymbolMasks(cw, ch) {
    // A mask per bitmap of 8 x 16 (letters: set 0; edges: set 5), scaled to the cell.
    const masks = (bitmaps, count) => {
      const out = [];
      for (let g = 0; g < count; g++) {
        const mask = new Uint8Array(cw * ch);
        for (let y = 0; y < ch; y++) {
          const bits = bitmaps ? bitmaps[g * 16 + Math.floor((y * 16) / ch)] : 0;
          for (let x = 0; x < cw; x++) mask[y * cw + x] = (bits >> (7 - Math.floor((x * 8) / cw))) & 1;
        }
        out.push(mask);
      }
      return out;
    };
    this.symbolGlyphs = masks(glyphFont, 95);
    this.symbolEdges = edgeShapes ? masks(edgeShapes, 256) : null;
    const grids = [null, [1, 2], [2, 2], [2, 3], [2, 4]];
    this.symbolBits = grids.map((grid) => {
      if (!grid) return null;
      const [cols, rows] = grid;
      const bits = new Uint8Array(cw * ch);
      for (let y = 0; y < ch; y++) {
        for (let x = 0; x < cw; x++) bits[y * cw + x] = Math.floor((y * rows) / ch) * cols + Math.floor((x * cols) / cw);
      }
      return bits;
    });
    this.symbolsFor = `${cw}x${ch}`;
    this.previous = null;
  }

  // [set, code, fg R, G, B, bg R, G, B] per cell, from |offset|; cells equal to the last frame drawn
  // are left as they are.
  drawSymbols(bytes, offset) {
    const { cols, rows } = this.init;
    const { cw, ch, pixels } = this;
    if (this.symbolsFor !== `${cw}x${ch}`) this.buildSymbolMasks(cw, ch);
    const stride = canvas.width;
    const previous = this.previous;
    const limits = [95, 4, 16, 64, 256];
    let o = offset;
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < cols; col++, o += 8) {
        const i = o - offset;
        if (previous && previous[i] === bytes[o] && previous[i + 1] === bytes[o + 1] && previous[i + 2] === bytes[o + 2] &&
            previous[i + 3] === bytes[o + 3] && previous[i + 4] === bytes[o + 4] && previous[i + 5] === bytes[o + 5] &&
            previous[i + 6] === bytes[o + 6] && previous[i + 7] === bytes[o + 7]) continue;
        const set = bytes[o], code = bytes[o + 1];
        const fg = (0xff000000 | (bytes[o + 4] << 16) | (bytes[o + 3] << 8) | bytes[o + 2]) >>> 0;
        const bg = (0xff000000 | (bytes[o + 7] << 16) | (bytes[o + 6] << 8) | bytes[o + 5]) >>> 0;
        let p = row * ch * stride + col * cw;
        let m = 0;
        if ((set === 0 && code >= 32 && code < 127) || (set === 5 && this.symbolEdges)) {
          const mask = set === 0 ? this.symbolGlyphs[code - 32] : this.symbolEdges[code];
          for (let y = 0; y < ch; y++, p += stride) {
            for (let x = 0; x < cw; x++) pixels[p + x] = mask[m++] ? fg : bg;
          }
        } else if (set >= 1 && set <= 4 && code < limits[set]) {
          const bits = this.symbolBits[set];
          for (let y = 0; y < ch; y++, p += stride) {
            for (let x = 0; x < cw; x++) pixels[p + x] = (code >> bits[m++]) & 1 ? fg : bg;
          }
        } else {
          for (let y = 0; y < ch; y++, p += stride) pixels.fill(bg, p, p + cw);  // a symbol we do not know
        }
      }
    }
    this.previous = bytes.slice(offset, offset + cols * rows * 8);
    ctx.putImageData(this.image, 0, 0);
  }

  // One cell: a glyph mask tinted with a colour, or black.
  cell(col, row, code, r, g, b) {
    const { cw, ch, pixels } = this;
    const stride = canvas.width;
    let p = row * ch * stride + col * cw;
    const mask = this.masks[code];
    if (mask === null || mask === undefined) {
      for (let y = 0; y < ch; y++, p += stride) pixels.fill(0xff000000, p, p + cw);
      return;
    }
    let m = 0;
    for (let y = 0; y < ch; y++, p += stride) {
      for (let x = 0; x < cw; x++) {
        const k = mask[m++];
        pixels[p + x] = k === 0 ? 0xff000000 :
            (0xff000000 | (((b * k) >> 8) << 16) | (((g * k) >> 8) << 8) | ((r * k) >> 8)) >>> 0;
      }
    }
  }

  // [char, R, G, B] per cell, from |offset|.
  drawCells(bytes, offset) {
    const { cols, rows } = this.init;
    let o = offset;
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < cols; col++, o += 4) this.cell(col, row, bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]);
    }
    ctx.putImageData(this.image, 0, 0);
  }

  // [B, G, R] per cell: solid blocks.
  drawPixels(bytes, offset) {
    const { cols, rows } = this.init;
    const { cw, ch, pixels } = this;
    const stride = canvas.width;
    let o = offset;
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < cols; col++, o += 3) {
        const v = (0xff000000 | (bytes[o] << 16) | (bytes[o + 1] << 8) | bytes[o + 2]) >>> 0;
        let p = row * ch * stride + col * cw;
        for (let y = 0; y < ch; y++, p += stride) pixels.fill(v, p, p + cw);
      }
    }
    ctx.putImageData(this.image, 0, 0);
  }

  // Mode 1: the rows of text, light grey.
  drawText(lines) {
    const { cols, rows } = this.init;
    for (let row = 0; row < rows; row++) {
      const line = lines[row] || '';
      for (let col = 0; col < cols; col++) this.cell(col, row, line.charCodeAt(col) || 32, 204, 204, 204);
    }
    ctx.putImageData(this.image, 0, 0);
  }
}

// ---- Player ----------------------------------------------------------------------------------
class Player {
  constructor() {
    this.renderer = new Renderer();
    this.init = null;
    this.queue = [];        // frames waiting for their time: {index, data}
    this.base = null;       // wall time (s) at which frame 0 would be shown
    this.lastDrawnAt = 0;   // performance.now() / 1000 of the last frame drawn
    this.backoff = BACKOFF_MIN_MS;
    this.stats = { framesReceived: 0, framesDrawn: 0, framesSkipped: 0, framesLate: 0, badMessages: 0, bytes: 0,
                   connects: 0, lastIndex: -1, fps: 0, kbps: 0, clock: 'wall' };
    this.onFrameDrawn = null;  // test hook: called with {index, data, clock, source, wall} after each draw
    this.shownIndex = -1;      // the frame on screen
    this.undecoded = 0;        // tagged frames received and not decoded yet (the buffer report's depth)
    // ?src=PLAYLIST: the stream from HLS (asciihlssink's, or a copy behind a cache), each viewer
    // with its own pause and seek; otherwise the live stream from /ws with the sound from /audio.
    const params = new URLSearchParams(location.search);
    this.src = params.get('src');
    if (this.src) {
      this.hls = new HlsSource(this.src, audioEl, {
        symbols: !!glyphFont && params.get('cells') !== 'asciline',
        onMessage: (m) => this.message(m),
        onReset: () => { this.initText = null; },
        onChange: (state) => this.audioState(state),
      });
      this.audio = this.hls;
      this.timeline(this.hls);
    } else {
      this.audio = new AudioClock(audioEl, (state) => this.audioState(state));
      // The WebSocket stream's own pause and seek, offered once an INIT says it is a file or live.
      this.shift = new WsTimeline(this, this.audio);
    }
    this.controls();
    this.window = { t: performance.now(), drawn: 0, bytes: 0 };
    addEventListener('resize', () => { if (this.init) this.renderer.configure(this.init); });
    addEventListener('keydown', (e) => this.key(e));
    canvas.addEventListener('dblclick', () => this.fullscreen());
    setInterval(() => this.report(), 250);
    requestAnimationFrame((t) => this.tick(t));
    if (!this.hls) this.connect();
  }

  // Play / pause, -10 s / +10 s, the seek bar (time, duration, fetched, live edge), go live: of the
  // HLS source, or of the WebSocket stream (WsTimeline).
  timeline(source) {
    if (this.control) return;
    this.control = source;
    document.body.classList.add('timeline');
    if (source === this.hls) {
      this.codec = 'adaptive';
      if (!adaptiveSupported()) this.status('this browser cannot inflate zlib: HLS needs the adaptive codec');
    }
    const hls = source;
    playEl.addEventListener('click', () => this.togglePause());
    backEl.addEventListener('click', () => this.skip(-10));
    forwardEl.addEventListener('click', () => this.skip(10));
    liveEl.addEventListener('click', () => (hls.goLive ? hls.goLive() : hls.seek(hls.duration - 3)));
    seekEl.addEventListener('input', () => { this.scrubbing = true; });
    seekEl.addEventListener('change', () => { this.scrubbing = false; hls.seek(parseFloat(seekEl.value)); });
    const clock = (t) => `${Math.floor(t / 60)}:${String(Math.floor(t % 60)).padStart(2, '0')}`;
    setInterval(() => {
      const now = hls.time() ?? 0;
      const duration = hls.duration;
      seekEl.max = String(duration);
      if (!this.scrubbing) seekEl.value = String(now);
      seekEl.style.setProperty('--buffered', duration ? `${(100 * hls.buffered) / duration}%` : '0%');
      timeEl.textContent = `${clock(now)} / ${clock(duration)}${hls.live ? ' (live)' : ''}`;
      playEl.textContent = hls.paused ? '▶' : '❚❚';
      liveEl.hidden = !hls.live;
    }, 200);
  }

  togglePause() {
    if (this.control) this.control.pause(!this.control.paused);
  }

  skip(seconds) {
    if (this.control) this.control.seek((this.control.time() ?? 0) + seconds);
  }

  // For WsTimeline: a control message on the socket, an empty queue, the time on screen.
  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  flush() {
    this.stats.framesSkipped += this.queue.length;
    this.queue = [];
    this.base = null;
  }

  resumeAt(time) { this.base = performance.now() / 1000 - time; }

  shownTime() { return this.init && this.shownIndex >= 0 ? this.shownIndex / this.init.fps : 0; }

  connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    // The adaptive codec when the browser can inflate zlib (a fraction of the bytes); ?codec=raw on
    // the page's URL asks for raw frames.
    const params = new URLSearchParams(location.search);
    this.codec = params.get('codec') === 'raw' || !adaptiveSupported() ? 'raw' : 'adaptive';
    // Symbol cells once their glyphs are here (?cells=asciline on the page's URL: ASCILINE's cells).
    const cells = glyphFont && params.get('cells') !== 'asciline' ? '&cells=symbol' : '';
    const ws = new WebSocket(`${scheme}://${location.host}/ws?codec=${this.codec}${cells}`);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => { this.backoff = BACKOFF_MIN_MS; this.stats.connects++; this.status('waiting for the stream…'); };
    ws.onmessage = (e) => this.message(e.data);
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      const why = e.code === 1000 ? 'stream ended' : 'disconnected';
      this.status(`${why}; reconnecting in ${(this.backoff / 1000).toFixed(1)} s`);
      document.body.classList.remove('playing');
      setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(BACKOFF_MAX_MS, this.backoff * 2);
    };
  }

  message(data) {
    if (typeof data === 'string') {
      this.stats.bytes += data.length;
      if (data.startsWith('INIT:')) {
        // HLS repeats the INIT at every segment: the same one continues the timeline.
        if (this.hls && data === this.initText) return;
        this.initText = data;
        return this.start(data);
      }
      if (this.shift?.message(data)) return;
      if (data.startsWith('Error:')) return this.status(data);
      if (!this.init || this.init.mode !== 1 || this.shift?.waiting) return;  // and others need no action here
      const nl = data.indexOf('\n');
      const index = parseInt(data.slice(0, nl), 10);
      if (nl < 0 || !(index >= 0)) { this.stats.badMessages++; return; }
      return this.enqueue(index, data.slice(nl + 1).split('\n'));
    }
    this.stats.bytes += data.byteLength;
    if (this.shift?.waiting) return;  // from before a seek the server has not answered yet
    if (!this.init || data.byteLength < 4) { this.stats.badMessages++; return; }
    if (this.decoder) return this.decodeTagged(new Uint8Array(data));
    const cells = this.init.cols * this.init.rows;
    const expected = 4 + cells * (this.init.symbols ? 8 : this.init.pixel ? 3 : 4);
    if (data.byteLength !== expected) { this.stats.badMessages++; return; }
    this.enqueue(new DataView(data).getUint32(0), new Uint8Array(data));
  }

  // Tagged frames decode in arrival order (a DELTA needs the frame before it), asynchronously; each
  // decoded frame is copied out as [index][cells] for the queue. After a bad message the decoder
  // waits for the next frame that is not a DELTA.
  decodeTagged(msg) {
    const decoder = this.decoder;
    this.undecoded++;
    this.decoding = this.decoding.then(async () => {
      this.undecoded--;
      if (decoder !== this.decoder) return;  // a new INIT came in between
      try {
        const index = await decoder.decode(msg);
        if (index === null || decoder !== this.decoder) return;
        const frame = new Uint8Array(4 + decoder.frame.length);
        new DataView(frame.buffer).setUint32(0, index);
        frame.set(decoder.frame, 4);
        this.enqueue(index, frame);
      } catch (e) {
        this.stats.badMessages++;
        decoder.reset();
      }
    });
  }

  start(text) {
    const init = parseInit(text);
    if (!init) { this.stats.badMessages++; return; }
    this.init = init;
    this.queue = [];
    this.base = null;
    // Tagged frames only for character and symbol cells (pixel and text frames are never tagged).
    this.decoder = this.codec === 'adaptive' && (init.symbols || (!init.pixel && init.mode !== 1)) ?
        new AdaptiveDecoder(init.cols * init.rows, init.symbols ? 8 : 4) : null;
    this.decoding = Promise.resolve();
    this.renderer.configure(init);
    if (this.shift) {
      this.shift.configure(init);
      if (this.shift.usable) this.timeline(this.shift);
    }
    this.status('');
    document.body.classList.add('playing');
  }

  enqueue(index, data) {
    const s = this.stats;
    s.framesReceived++;
    const fps = this.init.fps;
    const now = performance.now() / 1000;
    if (this.shift && !this.shift.saw(index / fps, fps)) return;
    const clock = this.audio.time();
    if (clock !== null) {
      // The sound leads: hold every frame until it is due, within limits.
      if (index < s.lastIndex - fps) { s.framesSkipped += this.queue.length; this.queue = []; }
      if (index / fps - clock > AUDIO_MAX_LEAD_S) {
        // The sound is stuck: again, from where the picture is (when this viewer has its own time).
        if (this.shift && !this.shift.atLive) this.audio.seek(index / fps);
        else this.audio.restart('behind the picture');
      }
      s.lastIndex = index;
      this.queue.push({ index, data });
      while (this.queue.length > fps * (AUDIO_MAX_LEAD_S + 1)) { this.queue.shift(); s.framesSkipped++; }
      this.base = now + JITTER_S - index / fps;  // where the wall clock takes over if the sound stops
      return;
    }
    // (Re)anchor the clock on the first frame, after a jump back (a new timeline), or when the
    // frame would wait longer than MAX_QUEUE_S (we fell behind: catch up rather than lag).
    const due = this.base === null ? null : this.base + index / fps;
    if (due === null || index < s.lastIndex - fps || due - now > MAX_QUEUE_S + JITTER_S) {
      this.base = now + JITTER_S - index / fps;
      this.stats.framesSkipped += this.queue.length;
      this.queue = [];
    } else if (due < now - JITTER_S) {
      // Much later than planned: the network or the server slowed. Play later from now on.
      this.base += Math.min(0.25, now - due - JITTER_S);
    }
    s.lastIndex = index;
    this.queue.push({ index, data });
  }

  tick() {
    requestAnimationFrame((t) => this.tick(t));
    if (!this.init) return;
    if (this.shift?.paused) return this.showPaused();
    if (this.base === null) return;
    const now = performance.now() / 1000;
    const fps = this.init.fps;
    const audio = this.audio.time();
    // Stream time now: the sound heard, else the wall clock's plan.
    const clock = audio !== null ? audio : now - this.base;
    this.stats.clock = audio !== null ? 'audio' : 'wall';
    let frame = null;
    while (this.queue.length && this.queue[0].index / fps <= clock + (audio !== null ? LEAD_S : 0)) {
      if (frame) this.stats.framesSkipped++;
      frame = this.queue.shift();
    }
    // The newest frame due is stale: show nothing rather than lag, unless nothing has been shown
    // for a while (a server slower than real time, whose every frame comes late against the sound:
    // a late picture beats a still one).
    if (frame && audio !== null && clock - frame.index / fps > LATE_S && now - this.lastDrawnAt < STILL_S) {
      this.stats.framesLate++;
      frame = null;
    }
    if (!frame) return;
    this.lastDrawnAt = now;
    this.draw(frame, clock, now);
  }

  // Paused: the picture at the paused time, once it is here (after a seek while paused).
  showPaused() {
    const at = this.shift.pausedAt * this.init.fps + 0.5;
    let frame = null;
    while (this.queue.length && this.queue[0].index <= at) frame = this.queue.shift();
    if (frame && frame.index !== this.shownIndex) this.draw(frame, this.shift.pausedAt, performance.now() / 1000);
  }

  draw(frame, clock, now) {
    this.shownIndex = frame.index;
    if (Array.isArray(frame.data)) this.renderer.drawText(frame.data);
    else if (this.init.symbols) this.renderer.drawSymbols(frame.data, 4);
    else if (this.init.pixel) this.renderer.drawPixels(frame.data, 4);
    else this.renderer.drawCells(frame.data, 4);
    this.stats.framesDrawn++;
    this.onFrameDrawn?.({ index: frame.index, data: frame.data, clock, source: this.stats.clock, wall: now });
  }

  // Sound states: the click-to-start overlay when the browser blocks sound, the volume controls
  // when there is sound at all.
  audioState(state) {
    overlayEl.hidden = state !== 'blocked';
    document.body.classList.toggle('has-audio', state !== 'none' && state !== 'connecting');
  }

  controls() {
    const show = () => {
      muteEl.textContent = audioEl.muted || audioEl.volume === 0 ? '♪ off' : '♪ on';
      volumeEl.value = String(audioEl.volume);
    };
    show();
    audioEl.addEventListener('volumechange', show);
    muteEl.addEventListener('click', () => this.audio.setVolume(audioEl.volume, !audioEl.muted));
    volumeEl.addEventListener('input', () => this.audio.setVolume(parseFloat(volumeEl.value), false));
    // Any click or key is the interaction the browser's autoplay rule asks for.
    addEventListener('pointerdown', () => this.audio.unblock());
    addEventListener('keydown', () => this.audio.unblock());
  }

  // Every 250 ms: tell the server how many frames wait to be decoded (ASCILINE's "buffer" message:
  // past 15 twice running, it moves this viewer on to the next sync frame), refresh stats.
  report() {
    const s = this.stats;
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ type: 'buffer', depth: this.undecoded }));
    }
    const t = performance.now();
    if (t - this.window.t >= 1000) {
      const dt = (t - this.window.t) / 1000;
      s.fps = (s.framesDrawn - this.window.drawn) / dt;
      s.kbps = ((s.bytes - this.window.bytes) * 8) / 1000 / dt;
      this.window = { t, drawn: s.framesDrawn, bytes: s.bytes };
    }
    if (!statsEl.hidden) {
      const i = this.init;
      const fps = i ? i.fps : 0;
      statsEl.textContent = [
        i ? `${i.cols} x ${i.rows}  mode ${i.mode}  ${fps.toFixed(2)} fps${i.live ? '  live' : ''}  ${this.codec}${i.symbols ? '  symbols' : ''}` :
            'no stream',
        `drawn   ${s.fps.toFixed(1)} fps`,
        `buffer  ${this.queue.length} frames (${fps ? ((this.queue.length / fps) * 1000).toFixed(0) : 0} ms)`,
        `rate    ${s.kbps.toFixed(0)} kbit/s`,
        `skipped ${s.framesSkipped}   late ${s.framesLate}   bad ${s.badMessages}`,
        `clock   ${s.clock}   sound ${this.audio.state}` +
            (this.audio.time() !== null ? `  at ${this.audio.time().toFixed(3)} s` : ''),
      ].join('\n');
    }
  }

  key(e) {
    if (this.control && e.key === ' ') { e.preventDefault(); this.togglePause(); }
    else if (this.control && e.key === 'ArrowLeft') this.skip(-10);
    else if (this.control && e.key === 'ArrowRight') this.skip(10);
    else if (e.key === 'f') this.fullscreen();
    else if (e.key === 'm') this.audio.setVolume(audioEl.volume, !audioEl.muted);
    else if (e.key === 's') { statsEl.hidden = !statsEl.hidden; this.report(); }
  }

  fullscreen() {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen().catch(() => {});
  }

  status(text) { statusEl.textContent = text; }
}

// The bitmaps of symbol cells: letters (95 x 16 bytes, ' ' to '~') and edges (256 x 16). Without
// the letters the player asks for ASCILINE's cells; without the edges it draws them flat.
async function bitmaps(name, size) {
  try {
    const reply = await fetch(name);
    const bytes = new Uint8Array(await reply.arrayBuffer());
    return reply.ok && bytes.length === size ? bytes : null;
  } catch (e) {
    return null;
  }
}
const [glyphFont, edgeShapes] = await Promise.all([bitmaps('glyphs-8x16.bin', 95 * 16),
  bitmaps('edges-8x16.bin', 256 * 16)]);

// The player is reachable as window.asciiPlayer (its stats are what the end-to-end test reads).
window.asciiPlayer = new Player();
