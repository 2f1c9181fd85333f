// SPDX-License-Identifier: LGPL-2.1-or-later
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstasciistorereader.h"

#include "adaptive_codec.h"
#include "asciline_wire.h"
#include "symbol_cell.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

namespace gstascii {

namespace {

std::mutex registry_lock;
std::map<std::pair<const HttpServer*, std::string>, std::weak_ptr<SharedSegmentStore>>& registry() {
  static auto* stores = new std::map<std::pair<const HttpServer*, std::string>, std::weak_ptr<SharedSegmentStore>>;
  return *stores;
}

}  // namespace

std::shared_ptr<SharedSegmentStore> find_shared_store(const HttpServer* server, const std::string& path) {
  std::lock_guard<std::mutex> hold(registry_lock);
  auto& stores = registry();
  const auto at = stores.find({server, path});
  if (at == stores.end()) return nullptr;
  auto shared = at->second.lock();
  if (!shared) stores.erase(at);
  return shared;
}

void publish_shared_store(const HttpServer* server, const std::string& path,
                          const std::shared_ptr<SharedSegmentStore>& shared) {
  std::lock_guard<std::mutex> hold(registry_lock);
  auto& stores = registry();
  for (auto it = stores.begin(); it != stores.end();) it = it->second.expired() ? stores.erase(it) : std::next(it);
  stores[{server, path}] = shared;
}

std::unique_ptr<StoreReader> StoreReader::open(std::shared_ptr<SharedSegmentStore> shared, const std::string& track) {
  if (!shared) return nullptr;
  int index = -1;
  {
    std::lock_guard<std::mutex> hold(shared->lock);
    if (shared->store) index = shared->store->find_track(track);
  }
  if (index < 0) return nullptr;
  return std::unique_ptr<StoreReader>(new StoreReader(std::move(shared), index));
}

bool StoreReader::live_window(gint64* from_ns, gint64* to_ns) const {
  if (!live()) return false;
  std::lock_guard<std::mutex> hold(shared_->lock);
  if (!shared_->store) return false;
  const auto& done = shared_->store->segments(cursor_.track());
  if (done.empty()) return false;
  *from_ns = done.front().start_ns;
  *to_ns = live_edge(*shared_->store);
  return true;
}

// Where a live stream's seeks end: the segment being written, a few segments' time at most.
gint64 StoreReader::live_edge(const SegmentStore& store) const {
  const auto& done = store.segments(cursor_.track());
  return done.back().start_ns + done.back().duration_ns + 2 * store.config().target_duration_ns;
}

gint64 StoreReader::seek(gint64 time_ns, gint64 now_us) {
  std::lock_guard<std::mutex> hold(shared_->lock);
  const SegmentStore& store = *shared_->store;
  const auto& done = store.segments(cursor_.track());
  if (!done.empty()) {
    // Within what is kept. Past what is listed: a finished store's last segment; a file still
    // being encoded waits for the encoder to get there; a live stream for the segment being
    // written.
    const gint64 last_end = done.back().start_ns + done.back().duration_ns;
    gint64 latest = G_MAXINT64;
    if (store.finished()) latest = std::max(done.back().start_ns, last_end - 1);
    if (live()) latest = live_edge(store);
    time_ns = std::clamp<gint64>(time_ns, done.front().start_ns, latest);
  }
  cursor_.seek(store, time_ns);
  origin_ns_ = time_ns;
  origin_us_ = now_us;
  // Not stored yet: the clock waits until it is, and the writer may move the encoder there.
  waiting_ = !cursor_.available(store);
  if (waiting_) shared_->wanted_ns = time_ns;
  if (!waiting_) anchor(store);
  return waiting_ ? -1 : origin_ns_;
}

// The sought time is stored: the viewer's timeline starts at the frame on screen then (the last
// one at or before it in its segment), made into a keyframe by the next take().
void StoreReader::anchor(const SegmentStore& store) {
  if (const Segment* at = store.find(cursor_.track(), origin_ns_); at && !at->frames.empty()) {
    gint64 shown = at->frames.front().time_ns;
    for (const Segment::Frame& f : at->frames) {
      if (f.time_ns <= origin_ns_) shown = f.time_ns;
    }
    origin_ns_ = shown;
  }
  compose_ = store.track_info(cursor_.track()).kind == TrackKind::kPicture;
}

// |burst|: the INIT and the frames from the segment's sync frame up to origin_ns_. Gives the INIT
// with its start field at origin_ns_ and the last frame as a keyframe; the burst as it is when it
// cannot (text frames, an INIT it cannot read, a frame it cannot decode).
std::vector<StoredMessage> StoreReader::compose_start(std::vector<StoredMessage> burst) const {
  if (burst.size() < 2 || !burst.front().init) return burst;
  const StoredMessage& init_message = burst.front();
  auto init = parse_init(std::string_view(reinterpret_cast<const char*>(init_message.data()), init_message.size));
  if (!init || (!init->symbols && (init->pixel || init->mode == 1))) return burst;
  const std::size_t cells = std::size_t(init->cols) * std::size_t(init->rows);
  const std::size_t cell_bytes = init->symbols ? kSymbolCellBytes : kCellBytes;
  adaptive::Decoder decoder(cells, cell_bytes);
  for (std::size_t i = 1; i < burst.size(); i++) {
    if (burst[i].init || decoder.decode(burst[i].data(), burst[i].size) != adaptive::Decoder::Result::kFrame)
      return burst;
  }
  init->start = double(origin_ns_) / 1e9;
  const std::string text = format_init(*init, InitForm::kFull);
  auto init_bytes = std::make_shared<const std::vector<std::uint8_t>>(text.begin(), text.end());
  adaptive::Encoder encoder(cells, cell_bytes);
  auto key = std::make_shared<std::vector<std::uint8_t>>();
  encoder.encode(decoder.index(), decoder.frame().data(), true, key.get());
  const gint64 key_time = burst.back().time_ns;
  const std::size_t key_size = key->size();
  return {StoredMessage{std::move(init_bytes), 0, text.size(), init_message.time_ns, true},
          StoredMessage{std::move(key), 0, key_size, key_time, false}};
}

void StoreReader::pause(bool paused, gint64 now_us) {
  if (paused == paused_) return;
  origin_ns_ = clock_ns(now_us);
  origin_us_ = now_us;
  paused_ = paused;
}

void StoreReader::set_clock(gint64 time_ns, gint64 now_us) {
  if (waiting_) return;
  origin_ns_ = time_ns;
  origin_us_ = now_us;
}

void StoreReader::hold(int frames) {
  holding_ = true;
  preroll_left_ = frames;
}

void StoreReader::release(gint64 time_ns, gint64 now_us) {
  holding_ = false;
  origin_ns_ = time_ns;
  origin_us_ = now_us;
}

gint64 StoreReader::clock_ns(gint64 now_us) const {
  // Held, the clock stands where the viewer's timeline starts.
  if (holding_) return origin_ns_;
  return paused_ ? origin_ns_ : origin_ns_ + (now_us - origin_us_) * 1000;
}

std::vector<StoredMessage> StoreReader::take(gint64 now_us, gint64 lead_ns, std::size_t max) {
  std::vector<StoredMessage> out;
  std::lock_guard<std::mutex> hold(shared_->lock);
  if (!shared_->store) return out;
  if (waiting_) {
    if (!cursor_.available(*shared_->store)) {
      shared_->wanted_ns = origin_ns_;
      return out;
    }
    // What was sought is stored now: the clock starts now, there (or at the first frame kept).
    waiting_ = false;
    const Segment* first = shared_->store->find(cursor_.track(), origin_ns_);
    if (first) origin_ns_ = std::max(origin_ns_, first->start_ns);
    origin_us_ = now_us;
    anchor(*shared_->store);
  }
  if (compose_) {
    // Everything up to the time sought, at once, made into the INIT and one keyframe.
    compose_ = false;
    std::vector<StoredMessage> burst = std::move(out);
    while (auto m = cursor_.next(*shared_->store, origin_ns_)) burst.push_back(std::move(*m));
    out = compose_start(std::move(burst));
  }
  // Held (and playing): the preroll's frames whatever their time, then nothing.
  const bool preroll = holding_ && !paused_;
  for (const StoredMessage& m : out) preroll_left_ -= m.init ? 0 : 1;
  gint64 until = preroll ? G_MAXINT64 : clock_ns(now_us) + (paused_ ? 0 : lead_ns);
  while (out.size() < max && (!preroll || preroll_left_ > 0)) {
    auto m = cursor_.next(*shared_->store, until);
    if (cursor_.segments_skipped() != skips_followed_ && !paused_ && !preroll && !holding_) {
      // A live window slid past this viewer (while it paused, or now): its clock goes on from the
      // oldest segment kept.
      skips_followed_ = cursor_.segments_skipped();
      origin_ns_ = m ? m->time_ns : cursor_.position_ns();
      origin_us_ = now_us;
      until = origin_ns_ + lead_ns;
      if (!m) continue;
    }
    if (!m) break;
    if (!m->init) preroll_left_--;
    out.push_back(std::move(*m));
  }
  // Read up to what is stored (a file stored out of order: the edge of a run): where it waits.
  if (out.empty() && !paused_) {
    if (const gint64 awaited = cursor_.awaited(*shared_->store); awaited >= 0) shared_->wanted_ns = awaited;
  }
  return out;
}

bool StoreReader::ended() const {
  std::lock_guard<std::mutex> hold(shared_->lock);
  return shared_->store && cursor_.ended(*shared_->store);
}

}  // namespace gstascii
