// gst-ascii web player: the ASCILINE adaptive codec (tags 0-3), decoded in arrival order.
// Each message is [u32be frame_index][u8 tag][payload]; zlib payloads are inflated with the
// browser's DecompressionStream('deflate') (zlib, RFC 1950).
// SPDX-License-Identifier: LGPL-2.1-or-later

export const TAG_RAW = 0, TAG_ZLIB = 1, TAG_DELTA = 2, TAG_RLE = 3;

export const adaptiveSupported = () => typeof DecompressionStream !== 'undefined';

// Inflates |bytes|, refusing more than |limit| bytes of output (a hostile stream cannot make us
// allocate without bound).
async function inflate(bytes, limit) {
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate')).getReader();
  const out = new Uint8Array(limit);
  let length = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out.subarray(0, length);
    if (length + value.length > limit) {
      reader.cancel().catch(() => {});
      throw new Error('inflates past the frame');
    }
    out.set(value, length);
    length += value.length;
  }
}

export class AdaptiveDecoder {
  constructor(cells, cellBytes) {
    this.cells = cells;
    this.cellBytes = cellBytes;
    this.frame = new Uint8Array(cells * cellBytes);
    this.have = false;  // a DELTA needs a frame before it
  }

  reset() { this.have = false; }

  // Decodes one message (a Uint8Array). Resolves to the frame index after updating this.frame, or
  // to null for an unknown tag (the frame is kept, as the wire format says); rejects on a
  // malformed message or a DELTA with no frame before it, leaving the frame as it was.
  async decode(msg) {
    if (msg.length < 5) throw new Error('short message');
    const index = new DataView(msg.buffer, msg.byteOffset, 4).getUint32(0);
    const tag = msg[4];
    const payload = msg.subarray(5);
    const size = this.cells * this.cellBytes;
    const c = this.cellBytes;
    switch (tag) {
      case TAG_RAW:
        if (payload.length !== size) throw new Error('raw frame of the wrong size');
        this.frame.set(payload);
        break;
      case TAG_ZLIB: {
        const cells = await inflate(payload, size);
        if (cells.length !== size) throw new Error('zlib frame of the wrong size');
        this.frame.set(cells);
        break;
      }
      case TAG_RLE: {
        const runs = await inflate(payload, this.cells * (2 + c));
        if (runs.length % (2 + c)) throw new Error('half a run');
        const next = new Uint8Array(size);
        let at = 0;
        for (let r = 0; r < runs.length; r += 2 + c) {
          const count = runs[r] | (runs[r + 1] << 8);
          if (count > this.cells - at) throw new Error('runs past the frame');
          const cell = runs.subarray(r + 2, r + 2 + c);
          for (let n = 0; n < count; n++, at++) next.set(cell, at * c);
        }
        if (at !== this.cells) throw new Error('runs short of the frame');
        this.frame = next;
        break;
      }
      case TAG_DELTA: {
        if (!this.have) throw new Error('a delta with no frame before it');
        const entries = await inflate(payload, this.cells * (4 + c));
        if (entries.length % (4 + c)) throw new Error('half a delta entry');
        const k = entries.length / (4 + c);
        const idx = new DataView(entries.buffer, entries.byteOffset, k * 4);
        let last = -1;
        for (let n = 0; n < k; n++) {
          const i = idx.getUint32(n * 4, true);
          if (i >= this.cells || i <= last) throw new Error('bad delta index');
          last = i;
        }
        for (let n = 0, v = k * 4; n < k; n++, v += c) {
          this.frame.set(entries.subarray(v, v + c), idx.getUint32(n * 4, true) * c);
        }
        break;
      }
      default:
        return null;
    }
    this.have = true;
    return index;
  }
}
