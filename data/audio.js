// gst-ascii web player: the sound from /audio (AAC in ADTS, served by adtsmux-out), and the clock
// the picture follows while it plays.
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The response's X-Audio-Start header is the stream time of its first sample, on the timeline of
// the frame indices (frame i is at i / fps). Played through Media Source Extensions, the audio
// element's currentTime counts from that first sample, so start + currentTime is the stream time
// being heard now. A plain <audio src> would hide the header, so it is the fallback only where MSE
// cannot play ADTS; the picture then keeps the wall clock.

const PREBUFFER_S = 0.2;   // sound held before playing starts, against network jitter
const MAX_AHEAD_S = 1.0;   // more than this buffered ahead: skip forward, we fell behind live
const KEEP_BEHIND_S = 10;  // played sound kept in the SourceBuffer (the rest is removed)
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 8000;
const NO_AUDIO_RETRY_MS = 5000;
const MAX_PENDING_CHUNKS = 256;  // about 5 s of ADTS frames not yet appended
const STORE = 'gst-ascii.';
const MAX_INTERPOLATION_S = 0.05;  // the audio clock runs on between currentTime's steps this far at most
const ADTS_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

export class AudioClock {
  constructor(element, onChange) {
    this.el = element;
    this.onChange = onChange;   // called with a short state name when it changes
    this.state = 'connecting';  // connecting | none | blocked | buffering | playing | unsynced | error
    this.start = null;          // stream time (s) of the current response's first sample
    this.decoderDelay = 0;      // s: an AAC decoder outputs each frame one frame late (MDCT overlap)
    this.backoff = BACKOFF_MIN_MS;
    this.history = [];          // recent state changes, for the stats overlay and tests
    this.generation = 0;        // bumps on every (re)connect; stale loops stop
    this.from = null;           // stream time (s) the sound is asked from (/audio?start=); null: live
    this.finite = false;        // a file: a response that ends is the end, not a reason to reconnect
    this.lastPosition = -1;     // currentTime when last read, and when (performance.now(), s) it
    this.lastPositionAt = 0;    // last changed
    this.el.volume = clamp(parseFloat(localStorage.getItem(STORE + 'volume') ?? '1'), 0, 1);
    this.el.muted = localStorage.getItem(STORE + 'muted') === '1';
    this.mse = typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported('audio/aac');
    this.connect();
  }

  // The stream time being heard now, or null while the sound cannot lead the picture.
  time() {
    if (this.state !== 'playing' || this.el.paused || this.el.readyState < 2) return null;
    // currentTime moves in steps (the audio renderer's buffers, tens of ms in Chromium); between
    // steps the wall clock since the last one fills in, at most one step's worth, so a frame is
    // shown when its time comes rather than at the next step.
    const position = this.el.currentTime;
    const now = performance.now() / 1000;
    if (position !== this.lastPosition) {
      this.lastPosition = position;
      this.lastPositionAt = now;
    }
    const since = Math.min(now - this.lastPositionAt, MAX_INTERPOLATION_S) * this.el.playbackRate;
    return this.start + position + since - this.decoderDelay;
  }

  // Sets the volume (0..1) and mute, and remembers them for the next visit.
  setVolume(volume, muted) {
    this.el.volume = clamp(volume, 0, 1);
    this.el.muted = muted;
    localStorage.setItem(STORE + 'volume', String(this.el.volume));
    localStorage.setItem(STORE + 'muted', muted ? '1' : '0');
  }

  // The user's click (the browser's autoplay rule): start the sound.
  unblock() {
    if (this.state === 'blocked') this.play();
  }

  // Drops the current response and connects again (the sound lags the picture too much, or ended).
  restart(why) {
    this.abort?.abort();
    this.set('connecting', why);
    const delay = this.backoff;
    this.backoff = Math.min(BACKOFF_MAX_MS, this.backoff * 2);
    const generation = ++this.generation;
    setTimeout(() => { if (generation === this.generation) this.connect(); }, delay);
  }

  // The sound from |from| (s) of the stream, or live with null: a viewer who sought or resumed.
  seek(from) {
    this.abort?.abort();
    this.from = from;
    this.backoff = BACKOFF_MIN_MS;
    this.set('connecting', from === null ? 'live' : `from ${from.toFixed(2)} s`);
    this.connect();
  }

  // Stops the sound until the next seek() (a viewer who paused).
  suspend() {
    this.abort?.abort();
    ++this.generation;
    this.el.pause();
    this.set('paused');
  }

  set(state, why) {
    if (state === this.state) return;
    this.state = state;
    this.history.push(`${(performance.now() / 1000).toFixed(2)} ${state}${why ? ` (${why})` : ''}`);
    if (this.history.length > 50) this.history.shift();
    this.onChange?.(state);
  }

  async connect() {
    const generation = ++this.generation;
    this.abort = new AbortController();
    let response;
    try {
      response = await fetch(this.url(), { cache: 'no-store', signal: this.abort.signal });
    } catch (e) {
      if (generation === this.generation) this.restart('network');
      return;
    }
    if (generation !== this.generation) return;
    if (response.status === 404 || response.status === 204) {
      // No sound in this stream (or not yet): the picture plays on the wall clock.
      this.set('none');
      setTimeout(() => { if (generation === this.generation) this.connect(); }, NO_AUDIO_RETRY_MS);
      return;
    }
    const start = parseFloat(response.headers.get('X-Audio-Start'));
    if (!response.ok || !response.body || !Number.isFinite(start)) {
      this.restart('bad response');
      return;
    }
    if (!this.mse) {
      // No way to read the stream ourselves: let the element play it, unsynced.
      this.abort.abort();
      this.el.src = this.url();
      this.set('unsynced');
      this.play();
      return;
    }
    this.start = start;
    await this.pump(response.body.getReader(), generation);
  }

  url() { return this.from === null ? '/audio' : `/audio?start=${this.from.toFixed(3)}`; }

  // Feeds the response into a fresh MediaSource until it ends, then reconnects (a file's ends
  // for good: its sound plays out).
  async pump(reader, generation) {
    const source = new MediaSource();
    const url = URL.createObjectURL(source);
    this.el.src = url;
    await new Promise((resolve) => source.addEventListener('sourceopen', resolve, { once: true }));
    URL.revokeObjectURL(url);
    const buffer = source.addSourceBuffer('audio/aac');
    buffer.mode = 'sequence';  // ADTS carries no timestamps: samples are counted from 0
    this.set('buffering');
    const pending = [];
    const append = () => {
      if (buffer.updating || !pending.length || source.readyState !== 'open') return;
      try {
        buffer.appendBuffer(pending[0]);
        pending.shift();
      } catch (e) {
        if (e.name !== 'QuotaExceededError') throw e;
        this.trim(buffer, true);
      }
    };
    buffer.addEventListener('updateend', () => {
      append();
      this.keepUp(buffer);
    });
    let ended = false;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        ended = done;
        if (done || generation !== this.generation) break;
        if (!pending.length && buffer.buffered.length === 0) this.decoderDelay = adtsFrameSeconds(value);
        pending.push(value);
        append();
        // The element takes nothing (a broken decoder, a hidden tab's throttling): start afresh
        // rather than hold the stream in memory.
        if (pending.length > MAX_PENDING_CHUNKS) {
          this.restart('not consuming');
          return;
        }
      }
    } catch (e) {
      // aborted or cut off: reconnect below
    }
    if (generation !== this.generation) return;
    if (ended && this.finite) {
      if (source.readyState === 'open' && !buffer.updating && !pending.length) source.endOfStream();
      return;
    }
    this.backoff = this.state === 'playing' ? BACKOFF_MIN_MS : this.backoff;
    this.restart('stream ended');
  }

  // After each append: start once enough is buffered, skip ahead when far behind live, and drop
  // what has been played long ago.
  keepUp(buffer) {
    const b = buffer.buffered;
    if (!b.length) return;
    const end = b.end(b.length - 1);
    const ahead = end - this.el.currentTime;
    if (this.state === 'buffering' && ahead >= PREBUFFER_S) {
      // A live stream's response starts with a burst of recent sound: start near its end, at the
      // live edge, not half a second behind it.
      if (this.from === null && ahead > 2 * PREBUFFER_S) this.el.currentTime = end - PREBUFFER_S;
      this.play();
    }
    // (While blocked too, so that the sound starts near live when the user clicks.)
    if ((this.state === 'playing' || this.state === 'blocked') && ahead > MAX_AHEAD_S) {
      this.el.currentTime = end - PREBUFFER_S;
    }
    if (!buffer.updating) this.trim(buffer, false);
  }

  trim(buffer, urgent) {
    const b = buffer.buffered;
    if (!b.length || buffer.updating) return;
    const keep = urgent ? 1 : KEEP_BEHIND_S;
    const until = this.el.currentTime - keep;
    if (until > b.start(0) + (urgent ? 0 : KEEP_BEHIND_S)) buffer.remove(b.start(0), until);
  }

  play() {
    const wanted = this.state === 'unsynced' ? 'unsynced' : 'playing';
    this.el.play().then(() => {
      this.backoff = BACKOFF_MIN_MS;
      this.set(wanted);
    }, (e) => {
      // Browsers refuse sound before the user has interacted with the page.
      if (e.name === 'NotAllowedError') {
        this.set('blocked');
        console.info('gst-ascii: the browser blocks sound until the page is clicked');
      }
    });
  }
}

// The duration of the ADTS frame at the start of |bytes| (1024 samples at its sample rate), 0 if
// it does not start with one.
function adtsFrameSeconds(bytes) {
  if (bytes.length < 7 || bytes[0] !== 0xff || (bytes[1] & 0xf0) !== 0xf0) return 0;
  const rate = ADTS_RATES[(bytes[2] >> 2) & 0x0f];
  return rate ? 1024 / rate : 0;
}

function clamp(v, lo, hi) { return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : hi; }
