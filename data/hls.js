// gst-ascii web player: a stream from HLS playlists (asciihlssink's, at /hls/index.m3u8 or any copy
// behind a cache or CDN), with each viewer's own pause and seek.
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Picture segments are [u32be length][ASCILINE message] ..., the INIT first, then a sync frame:
// each is handed to the player message by message, as the WebSocket would. Sound segments are HLS
// packed audio (an ID3 timestamp, then ADTS frames), appended to a Media Source Extensions buffer
// at the stream time of their first sample (from the ID3 tag), so the audio element's currentTime
// is the stream time being heard: the clock the picture follows, as with /audio. Without sound (or
// without MSE for ADTS) a clock of its own, on the wall clock, takes its place.

const AHEAD_S = 2.5;        // segments fetched this far ahead of the clock
const KEEP_BEHIND_S = 10;   // sound kept in the SourceBuffer behind the clock
const LIVE_EDGE_S = 3;      // a live stream starts this far behind the newest segment's end...
const LOW_LATENCY_EDGE_S = 0.3;  // ...or this far, when the server streams the segment being written

// A media playlist: its segments with their start times (the sum of EXTINF before them).
function parseMediaPlaylist(text, base) {
  const lines = text.split(/\r?\n/);
  if (lines[0] !== '#EXTM3U') throw new Error('not an HLS playlist');
  let sequence = 0, duration = 0, start = 0;
  const segments = [];
  let ended = false, target = 2, kind = 'live';
  for (const line of lines) {
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) sequence = parseInt(line.slice(22), 10);
    else if (line.startsWith('#EXT-X-TARGETDURATION:')) target = parseFloat(line.slice(22));
    else if (line.startsWith('#EXT-X-PLAYLIST-TYPE:')) kind = line.slice(21).toLowerCase();
    else if (line.startsWith('#EXTINF:')) duration = parseFloat(line.slice(8));
    else if (line === '#EXT-X-ENDLIST') ended = true;
    else if (line && !line.startsWith('#')) {
      segments.push({ sequence: sequence++, start, duration, url: new URL(line, base).href });
      start += duration;
    }
  }
  return { segments, ended, target, kind };
}

// The multivariant playlist's picture variants by name, and its audio rendition.
function parseMultivariant(text, base) {
  const variants = [];
  let audio = null;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('#EXT-X-MEDIA:') && /TYPE=AUDIO/.test(line)) {
      const uri = /URI="([^"]+)"/.exec(line);
      if (uri) audio = new URL(uri[1], base).href;
    } else if (line.startsWith('#EXT-X-STREAM-INF:') && lines[i + 1]) {
      variants.push(new URL(lines[i + 1], base).href);
    }
  }
  return { variants, audio };
}

// The stream time (s) of an HLS packed-audio segment's first sample, and where its ADTS starts.
function packedAudio(bytes) {
  if (bytes.length < 10 || bytes[0] !== 0x49 || bytes[1] !== 0x44 || bytes[2] !== 0x33) return { time: null, offset: 0 };
  const size = (bytes[6] << 21) | (bytes[7] << 14) | (bytes[8] << 7) | bytes[9];
  const end = 10 + size;
  const owner = 'com.apple.streaming.transportStreamTimestamp';
  const text = new TextDecoder('latin1').decode(bytes.subarray(10, Math.min(end, bytes.length)));
  const at = text.indexOf(owner);
  let time = null;
  if (at >= 0) {
    const o = 10 + at + owner.length + 1;
    let ts = 0;
    for (let i = 0; i < 8; i++) ts = ts * 256 + bytes[o + i];
    time = (ts % 2 ** 33) / 90000;
  }
  return { time, offset: end };
}

// How many bytes at the start of |bytes| are whole ADTS frames.
function wholeAdts(bytes) {
  let at = 0;
  while (at + 7 <= bytes.length && bytes[at] === 0xff && (bytes[at + 1] & 0xf0) === 0xf0) {
    const length = ((bytes[at + 3] & 0x03) << 11) | (bytes[at + 4] << 3) | (bytes[at + 5] >> 5);
    if (length < 7 || at + length > bytes.length) break;
    at += length;
  }
  return at;
}

// The stream time of a picture segment's first frame: its index over the INIT's frame rate.
function firstFrameTime(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fps = null;
  for (let at = 0; at + 4 <= bytes.length;) {
    const n = view.getUint32(at);
    const message = bytes.subarray(at + 4, at + 4 + n);
    at += 4 + n;
    const text = new TextDecoder('latin1').decode(message.subarray(0, 32));
    if (text.startsWith('INIT:')) fps = parseFloat(text.slice(5));
    else if (fps > 0 && /^\d+\n/.test(text)) return parseInt(text, 10) / fps;  // a mode-1 text frame
    else if (fps > 0 && message.length >= 4) return new DataView(message.buffer, message.byteOffset).getUint32(0) / fps;
  }
  return null;
}

export class HlsSource {
  // |url|: a multivariant or media playlist. |symbols|: take the symbol-cell variant when there is
  // one. |onMessage| gets each picture message (INIT as text, frames as ArrayBuffer), |onReset| is
  // called before the messages of a new position (a seek), |onChange| with a short state name.
  constructor(url, element, { symbols, onMessage, onReset, onChange }) {
    this.url = new URL(url, location.href).href;
    this.el = element;
    this.symbols = symbols;
    this.onMessage = onMessage;
    this.onReset = onReset;
    this.onChange = onChange;
    this.state = 'connecting';
    this.picture = null;        // {url, segments, ended, target, kind}
    this.sound = null;          // the same for the sound, or null
    this.next = 0;              // picture: the media sequence number of the next segment to fetch
    this.soundNext = 0;         // (by number, not position: a live playlist's window slides)
    this.paused = false;
    this.generation = 0;        // bumps on every seek; fetches of an older one are dropped
    this.wallBase = null;       // without sound: performance.now() / 1000 at stream time 0
    this.pausedAt = 0;
    this.mse = typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported('audio/aac');
    this.busy = false;
    this.soundBusy = false;
    this.start();
  }

  get live() { return this.picture && !this.picture.ended && this.picture.kind !== 'event'; }
  get duration() {
    const s = this.picture?.segments;
    return s && s.length ? s[s.length - 1].start + s[s.length - 1].duration : 0;
  }
  // How far the picture is fetched (the end of the last segment handed over).
  get buffered() {
    const last = this.picture?.segments.find((s) => s.sequence === this.next - 1);
    return last ? last.start + last.duration : 0;
  }

  async start() {
    try {
      const reply = await fetch(this.url);
      const text = await reply.text();
      if (!reply.ok) throw new Error(`${reply.status} for ${this.url}`);
      let pictureUrl = this.url, soundUrl = null;
      if (text.includes('#EXT-X-STREAM-INF')) {
        const m = parseMultivariant(text, this.url);
        pictureUrl = (this.symbols && m.variants.find((v) => /symbols\.m3u8/.test(v))) ||
            m.variants.find((v) => /cells\.m3u8/.test(v)) || m.variants[0];
        soundUrl = m.audio;
      }
      this.picture = { url: pictureUrl, ...(await this.load(pictureUrl)) };
      await this.align(this.picture, (bytes) => firstFrameTime(bytes));
      if (soundUrl && this.mse) {
        this.sound = { url: soundUrl, ...(await this.load(soundUrl)) };
        await this.align(this.sound, (bytes) => packedAudio(bytes).time);
        await this.openSound();
      }
      // A live stream starts near its newest segment (at the one being written, when the server
      // streams it: low latency), a file at its start.
      const first = this.picture.segments[0]?.start ?? 0;
      if (this.live) await this.probeLowLatency();
      const edge = this.lowLatency ? LOW_LATENCY_EDGE_S : LIVE_EDGE_S;
      const from = this.live ? Math.max(first, this.duration - edge) : first;
      this.seek(from);
      this.set('playing');
      this.timer = setInterval(() => this.pump(), 100);
    } catch (e) {
      this.set('error');
      console.error('hls:', e);
    }
  }

  // Whether the server answers the segment being written (asciihlssink does; a plain static copy
  // does not): asked once, the response dropped as soon as it starts.
  async probeLowLatency() {
    const last = this.picture.segments[this.picture.segments.length - 1];
    const next = last && this.growing(this.picture, last.sequence + 1);
    if (!next) return;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 2000);
    try {
      const reply = await fetch(next.url, { signal: abort.signal });
      this.lowLatency = reply.ok;
    } catch (e) {
      this.lowLatency = false;
    }
    clearTimeout(timer);
    abort.abort();
  }

  // A media playlist. Its times count from its first listed segment; |previous| (the same
  // playlist loaded before) carries them over, so a segment keeps its time as the window slides.
  async load(url, previous) {
    const reply = await fetch(url, { cache: 'no-store' });
    if (!reply.ok) throw new Error(`${reply.status} for ${url}`);
    const playlist = parseMediaPlaylist(await reply.text(), url);
    const known = previous && playlist.segments.find((n) => previous.segments.some((o) => o.sequence === n.sequence));
    if (known) {
      const shift = previous.segments.find((o) => o.sequence === known.sequence).start - known.start;
      for (const segment of playlist.segments) segment.start += shift;
    }
    return playlist;
  }

  // Puts a playlist's times on the stream's timeline (a live window that has slid does not start
  // at 0): the stream time of its newest segment, read from the segment itself by |timeOf|.
  async align(playlist, timeOf) {
    const last = playlist.segments[playlist.segments.length - 1];
    if (!last) return;
    const time = timeOf(new Uint8Array(await (await fetch(last.url)).arrayBuffer()));
    if (time === null || !Number.isFinite(time)) return;
    const shift = time - last.start;
    for (const segment of playlist.segments) segment.start += shift;
  }

  openSound() {
    return new Promise((resolve) => {
      this.media = new MediaSource();
      this.el.src = URL.createObjectURL(this.media);
      this.media.addEventListener('sourceopen', () => {
        this.buffer = this.media.addSourceBuffer('audio/aac');
        this.buffer.mode = 'sequence';
        resolve();
      }, { once: true });
    });
  }

  set(state) {
    if (state === this.state) return;
    this.state = state;
    this.onChange?.(state);
  }

  // The stream time being shown now. While the sound is not ready (starting, or after a seek) the
  // picture holds where it is.
  time() {
    if (!this.picture) return null;
    if (this.buffer) return this.el.readyState >= 2 && !this.el.seeking ? this.el.currentTime : this.pausedAt;
    if (this.paused || this.wallBase === null) return this.pausedAt;
    return performance.now() / 1000 - this.wallBase;
  }

  setVolume(volume, muted) {
    this.el.volume = Math.min(1, Math.max(0, volume));
    this.el.muted = muted;
  }

  // The player finds the picture far ahead of the sound: nothing to reconnect here.
  restart() {}

  // The sequence number of the segment that holds |time|.
  sequenceAt(segments, time) {
    let i = 0;
    while (i + 1 < segments.length && segments[i + 1].start <= time) i++;
    return segments.length ? segments[i].sequence : 0;
  }

  // The first listed segment from sequence number |sequence| on (the oldest listed when that one
  // has left a live window), or undefined when it is not listed yet.
  from(segments, sequence) {
    return segments.find((s) => s.sequence >= sequence);
  }

  // Moves to |time|: the picture from the segment that holds it (its sync frame first, so the
  // first picture is there as soon as that segment is), the sound likewise.
  seek(time) {
    if (!this.picture) return;
    const first = this.picture.segments[0]?.start ?? 0;
    time = Math.max(first, Math.min(time, Math.max(first, this.duration - 0.05)));
    this.generation++;
    this.next = this.sequenceAt(this.picture.segments, time);
    this.onReset?.();
    this.pausedAt = time;
    if (this.buffer) {
      this.soundNext = this.sequenceAt(this.sound.segments, time);
      const generation = this.generation;
      this.whenIdle(() => {
        if (generation !== this.generation) return;
        this.buffer.abort();
        if (this.buffer.buffered.length) this.buffer.remove(0, Infinity);
        this.el.currentTime = time;
      });
    } else {
      this.wallBase = performance.now() / 1000 - time;
    }
    this.pump();
    if (!this.paused) this.play();
  }

  // Until the SourceBuffer takes an append (other appends and removals may come first); false when
  // a seek made this fetch stale meanwhile.
  async idle(generation) {
    while (this.buffer && this.buffer.updating) await new Promise((resolve) => this.whenIdle(resolve));
    return !!this.buffer && generation === this.generation;
  }

  whenIdle(fn) {
    if (!this.buffer.updating) fn();
    else this.buffer.addEventListener('updateend', fn, { once: true });
  }

  pause(paused) {
    this.paused = paused;
    if (paused) {
      this.pausedAt = this.time() ?? this.pausedAt;
      this.el.pause();
    } else {
      if (!this.buffer) this.wallBase = performance.now() / 1000 - this.pausedAt;
      this.play();
    }
  }

  play() {
    if (this.buffer) this.el.play().catch(() => this.set('blocked'));
  }

  unblock() {
    if (this.state === 'blocked') { this.set('playing'); this.play(); }
  }

  // Every 100 ms: playlists of a stream still being written, and the segments the clock needs.
  async pump() {
    const now = this.time() ?? this.pausedAt;
    // Sound that does not start within a few seconds (MSE refuses it): the wall clock instead.
    if (this.buffer && !this.paused && this.el.readyState < 2) {
      this.stalledSince ??= performance.now();
      if (performance.now() - this.stalledSince > 4000) {
        console.error('hls: the sound does not play; going on without it');
        this.buffer = null;
        this.wallBase = performance.now() / 1000 - this.pausedAt;
      }
    } else {
      this.stalledSince = null;
    }
    if (!this.picture.ended && !this.reloading && performance.now() - (this.loadedAt ?? 0) > this.picture.target * 500) {
      this.reloading = true;
      this.loadedAt = performance.now();
      try {
        Object.assign(this.picture, await this.load(this.picture.url, this.picture));
        if (this.sound) Object.assign(this.sound, await this.load(this.sound.url, this.sound));
      } catch (e) { /* the next reload tries again */ }
      this.reloading = false;
    }
    this.fetchPicture(now);
    if (this.buffer) this.fetchSound(now);
  }

  // A picture message to the player: INIT and mode-1 frames as text, others as an ArrayBuffer.
  deliver(message) {
    const head = new TextDecoder('latin1').decode(message.subarray(0, 16));
    if (head.startsWith('INIT:')) {
      this.textFrames = head.split(':')[2] === '1';  // mode 1: frames are text
      this.onMessage(new TextDecoder().decode(message));
    } else if (this.textFrames) {
      this.onMessage(new TextDecoder().decode(message));
    } else {
      this.onMessage(message.slice().buffer);
    }
  }

  // The segment after the last one listed, which a live stream's server (asciihlssink) answers
  // while it is being written: its URL and start. Null when there is none to ask for.
  growing(playlist, sequence) {
    const last = playlist.segments[playlist.segments.length - 1];
    // (Two ahead too: the one after a segment just read, before the playlist says it was listed.)
    const ahead = last ? sequence - last.sequence : 0;
    if (!this.live || this.lowLatency === false || (ahead !== 1 && ahead !== 2)) return null;
    const url = last.url.replace(/\d{8}(\.\w+)$/, (m, ext) => String(sequence).padStart(8, '0') + ext);
    const start = last.start + last.duration + (ahead - 1) * playlist.target;
    return url === last.url ? null : { sequence, url, start, growing: true };
  }

  // Reads |segment| as it arrives, handing each whole chunk of it to |take| (bytes so far, done).
  async stream(segment, generation, take) {
    const reply = await fetch(segment.url);
    if (!reply.ok) {
      if (segment.growing) this.lowLatency = false;  // a server (or cache) without it: listed segments only
      return false;
    }
    if (segment.growing) this.lowLatency = true;
    const reader = reply.body.getReader();
    let bytes = new Uint8Array(0);
    for (;;) {
      const { value, done } = await reader.read();
      if (generation !== this.generation) { reader.cancel(); return false; }
      if (value) {
        const joined = new Uint8Array(bytes.length + value.length);
        joined.set(bytes);
        joined.set(value, bytes.length);
        bytes = joined;
      }
      bytes = await take(bytes, done);
      if (done) return true;
    }
  }

  async fetchPicture(now) {
    const segment = this.from(this.picture.segments, this.next) ?? this.growing(this.picture, this.next);
    if (this.busy || !segment || segment.start > now + AHEAD_S) return;
    this.busy = true;
    const generation = this.generation;
    try {
      // Whole messages as they come; the rest waits for the next bytes.
      const ok = await this.stream(segment, generation, (bytes) => {
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        let at = 0;
        while (at + 4 <= bytes.length && at + 4 + view.getUint32(at) <= bytes.length) {
          const n = view.getUint32(at);
          this.deliver(bytes.subarray(at + 4, at + 4 + n));
          at += 4 + n;
        }
        return bytes.slice(at);
      });
      if (ok && generation === this.generation) this.next = segment.sequence + 1;
    } catch (e) {
      console.error('hls picture:', e);
    } finally {
      this.busy = false;
    }
  }

  async fetchSound(now) {
    const segment = this.from(this.sound.segments, this.soundNext) ?? this.growing(this.sound, this.soundNext);
    if (this.soundBusy || this.buffer.updating || !segment || segment.start > now + AHEAD_S) return;
    this.soundBusy = true;
    const generation = this.generation;
    try {
      // The ID3 tag first (the time of the first sample), then whole ADTS frames appended as they
      // come (the rest waits for its next bytes).
      let started = false;
      const ok = await this.stream(segment, generation, async (bytes, done) => {
        if (!started) {
          if (bytes.length < 10 || (bytes.length < packedAudio(bytes).offset && !done)) return bytes;
          const { time, offset } = packedAudio(bytes);
          if (!(await this.idle(generation))) return new Uint8Array(0);
          this.buffer.timestampOffset = time ?? segment.start;
          started = true;
          bytes = bytes.subarray(offset);
        }
        const whole = wholeAdts(bytes);
        if (!whole) return bytes;
        if (!(await this.idle(generation))) return new Uint8Array(0);
        this.buffer.appendBuffer(bytes.slice(0, whole));
        return bytes.slice(whole);
      });
      if (!ok || generation !== this.generation) return;
      this.soundNext = segment.sequence + 1;
      // Sound long played is let go.
      const behind = (this.time() ?? 0) - KEEP_BEHIND_S;
      if (behind > 0 && this.buffer.buffered.length && this.buffer.buffered.start(0) < behind) {
        this.whenIdle(() => { if (!this.buffer.updating) this.buffer.remove(0, behind); });
      }
    } catch (e) {
      console.error('hls sound:', e);
    } finally {
      this.soundBusy = false;
    }
  }
}
