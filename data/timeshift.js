// gst-ascii web player: this viewer's own pause and seek on the WebSocket stream. The server
// (websocketsink with a store, as ascii-launch runs it) then feeds this viewer from the stored
// stream at its own pace, and /audio?start= gives the sound from the same time; a file is played
// so from its start (on demand), a live stream from where the viewer paused or went back to,
// within its window, until "live" takes it back to the broadcast.
// Messages (JSON on the socket): {"type":"pause","paused":B[,"time":S]}, {"type":"seek","time":S,"requestId":K}
// (answered with TEXT "SEEKED:K:<seconds>" before the frames of the new time) and {"type":"live"}.
// The same face as HlsSource's timeline: time(), duration, buffered, live, paused, pause(), seek().
// SPDX-License-Identifier: LGPL-2.1-or-later

export class WsTimeline {
  // |player|: send(object), flush(), resumeAt(time) and shownTime(); |audio|: the AudioClock.
  constructor(player, audio) {
    this.player = player;
    this.audio = audio;
    this.paused = false;
    this.pausedAt = 0;        // stream time (s) shown while paused, or sought
    this.requestId = 0;
    this.pending = null;      // the seek not yet answered: frames before its SEEKED are old
    this.before = null;       // where the viewer was when it sought (pending): {atLive, time}
    this.fileDuration = 0;    // INIT field 7: a file's length; 0 when live
    this.liveStream = false;  // INIT field 9
    this.atLive = true;       // on the broadcast (a live stream's edge), not reading the store
    this.skipBefore = -1;     // frames before this time (s) are only decoded: the burst that leads to it
    this.edge = 0;            // live: the newest stream time seen at the edge, and when (s)
    this.edgeAt = 0;
  }

  // A new INIT: what kind of stream this is.
  configure(init) {
    this.fileDuration = init.live ? 0 : init.duration;
    this.liveStream = init.live;
    this.audio.finite = this.fileDuration > 0;
  }

  // Whether the controls mean anything: a file, or a live stream (whose window the server keeps).
  get usable() { return this.fileDuration > 0 || this.liveStream; }
  get live() { return this.liveStream; }
  get duration() {
    if (!this.liveStream) return this.fileDuration;
    return this.atLive ? this.player.shownTime() : this.edge + (performance.now() / 1000 - this.edgeAt);
  }
  get buffered() { return this.duration; }
  // Whether frames arriving now are from before a seek the server has not answered yet.
  get waiting() { return this.pending !== null; }

  time() {
    if (this.paused || this.pending !== null) return this.pausedAt;
    return this.audio.time() ?? this.player.shownTime();
  }

  // A frame arrived at |time| s: whether to show it. After a seek or pause the server starts at the
  // sync frame before the time asked for; those first frames are decoded, not shown.
  saw(time, fps) {
    // (Not while paused: frames then come from the store, behind the edge.)
    if (this.atLive && !this.paused) {
      this.edge = time;
      this.edgeAt = performance.now() / 1000;
    }
    if (this.skipBefore < 0) return true;
    if (time < this.skipBefore - 0.5 / fps) return false;
    this.skipBefore = -1;
    return true;
  }

  pause(paused) {
    if (paused === this.paused) return;
    if (paused) {
      this.pausedAt = this.time();
      if (this.atLive) this.skipBefore = this.pausedAt;  // the server goes back to its sync frame
    }
    this.paused = paused;
    // Resuming, it says where: the server paces this viewer from there.
    this.player.send(paused ? { type: 'pause', paused } : { type: 'pause', paused, time: this.pausedAt });
    if (paused) {
      this.audio.suspend();
    } else {
      this.atLive = false;  // the server reads the store for this viewer from now on
      this.player.resumeAt(this.pausedAt);  // the wall clock goes on from here until the sound is back
      this.audio.seek(this.pausedAt);
    }
  }

  seek(time) {
    const end = this.duration;
    const to = Math.max(0, end > 0 ? Math.min(time, end - 0.1) : time);
    // Where it was: a live stream refuses a seek outside its window, and the viewer stays there.
    if (this.pending === null) this.before = { atLive: this.atLive, time: this.time() };
    this.pending = ++this.requestId;
    this.atLive = false;
    this.pausedAt = to;
    this.player.send({ type: 'seek', time: to, requestId: this.pending });
    this.player.flush();
    if (!this.paused) this.audio.suspend();  // until SEEKED says where the new timeline starts
  }

  goLive() {
    this.pending = null;
    this.paused = false;
    this.atLive = true;
    this.skipBefore = -1;
    this.player.send({ type: 'live' });
    this.player.flush();
    this.audio.seek(null);
  }

  // A TEXT message that is not a frame or an INIT; true when it was ours.
  message(text) {
    if (text.startsWith('SEEKED:')) {
      const [, id, seconds] = text.split(':');
      if (parseInt(id, 10) !== this.pending) return true;  // an older seek's answer
      this.pending = null;
      this.pausedAt = parseFloat(seconds);
      this.skipBefore = this.pausedAt;
      if (!this.paused) this.audio.seek(this.pausedAt);
      return true;
    }
    if (text.startsWith('Error:') && this.pending !== null) {
      // Refused (outside a live window, or nothing stored): on as before the seek.
      this.pending = null;
      this.atLive = this.before.atLive;
      this.pausedAt = this.before.time;
      if (!this.paused) this.audio.seek(this.atLive ? null : this.player.shownTime());
      return false;
    }
    return false;
  }
}
