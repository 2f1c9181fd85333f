// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstsessionoutputs.h"

#include <utility>

namespace gstascii {

namespace {

// Scene frames that may wait for their slide text to be read; a newer one pushes the oldest out.
constexpr unsigned kMaxPendingOcr = 2;
// How long the end of a session waits for the transcripts of its last chunks.
constexpr gint64 kTranscriptsEndWait = 30 * G_TIME_SPAN_SECOND;
// ... and for its last events to reach the followers.
constexpr gint64 kEventsEndWait = 1 * G_TIME_SPAN_SECOND;

}  // namespace

SessionOutputs::SessionOutputs(SessionConfig config, Callbacks callbacks)
    : config_(std::move(config)), callbacks_(std::move(callbacks)) {}

SessionOutputs::~SessionOutputs() {
  writer_.reset();
  ocr_.reset();
  if (index_) index_->set_chunk_listener({});
  transcriber_.reset();
  if (hub_) hub_->stop();
}

std::shared_ptr<SessionOutputs> SessionOutputs::open(const SessionConfig& config, GstAsciiServer* events_server,
                                                     Callbacks callbacks, std::string* error) {
  std::shared_ptr<SessionOutputs> s(new SessionOutputs(config, std::move(callbacks)));
  auto cannot_write = [cb = s->callbacks_](const std::string& path, const char* why) {
    cb.warning(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE, "Cannot write " + path + ": " + why);
  };
  s->index_ = std::make_shared<SessionIndex>(config.location, cannot_write);
  if (!s->index_->create(error)) return nullptr;
  s->events_ = std::make_shared<SessionEvents>(config.location + "/session.jsonl", cannot_write);
  if (!s->events_->open(error)) return nullptr;
  if (events_server && !s->serve_events(events_server, error)) return nullptr;
  if (!config.ocr_language.empty()) s->start_ocr();
  if (!config.transcribe.engine.empty()) s->start_transcriber();
  return s;
}

// The events as Server-Sent Events on the server the application gave.
bool SessionOutputs::serve_events(GstAsciiServer* server, std::string* error) {
  g_autoptr(GError) err = nullptr;
  EventStreamConfig config;
  config.path = config_.events_path;
  if (gst_ascii_server_start(server, &err))
    hub_ = EventStreamHub::start(gst_ascii_server_get_http(server), config, {}, &err);
  if (!hub_) {
    *error = std::string("Cannot serve the session's events: ") + err->message;
    return false;
  }
  auto hub = hub_;
  events_->set_listener([hub](guint64 seq, const std::string& json) { hub->push(seq, json); });
  return true;
}

// Each chunk of sound, once written, to the speech engine.
void SessionOutputs::start_transcriber() {
  std::string why;
  transcriber_ = Transcriber::start(
      index_->dir() + "/transcript", config_.transcribe, [this](const ChunkTranscript& t) { transcribed(t); }, &why);
  if (!transcriber_) {
    callbacks_.warning(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS, "No transcripts: " + why);
    return;
  }
  Transcriber* raw = transcriber_.get();
  index_->set_chunk_listener([raw](const AudioChunk& chunk) { raw->push(chunk); });
}

// The slide text reader, from the session's start: its model loads while the session waits for
// its first pictures. Without a model for the language it says so once, and each frame's text is
// "failed", with why.
void SessionOutputs::start_ocr() {
  ocr_ = std::make_unique<FrameOcr>(
      index_, config_.ocr_language, kMaxPendingOcr, [this](const FrameEntry& f) { frame_read(f); },
      [this](const std::string& why) {
        callbacks_.warning(GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_INIT, "The slide text (OCR) is off: " + why);
      });
}

void SessionOutputs::start_writer() {
  if (ocr_) ocr_->resume();
  SceneFrameWriter::Callbacks callbacks;
  callbacks.saved = [this](const FrameEntry& f) { frame_saved(f); };
  callbacks.failed = [this](const std::string& path, const std::string& reason) {
    callbacks_.warning(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE, "Scene frame " + path + " not saved: " + reason);
  };
  writer_ = std::make_unique<SceneFrameWriter>(index_, config_.ascii_cols, config_.max_pending, callbacks, ocr_.get());
}

void SessionOutputs::stop_reading() {
  if (ocr_) ocr_->cancel();
}

void SessionOutputs::stop_writer() {
  writer_.reset();
}

bool SessionOutputs::push_picture(GstSample* sample, double time) {
  return !writer_ || writer_->push(sample, time);
}

void SessionOutputs::drain_pictures(gint64 timeout_us) {
  if (writer_) writer_->drain(timeout_us);
}

void SessionOutputs::frame_saved(const FrameEntry& f) {
  // A frame whose text is being read goes on the timeline once it is, with it.
  if (f.ocr_status.empty() && !ended_) events_->add_frame_saved(f);
  callbacks_.post(gst_structure_new("sessionsink-frame-saved", "id", G_TYPE_STRING, f.id.c_str(), "location",
                                    G_TYPE_STRING, f.path.c_str(), "text-location", G_TYPE_STRING, f.text_path.c_str(),
                                    "timestamp", G_TYPE_DOUBLE, f.timestamp, "reason", G_TYPE_STRING, f.reason.c_str(),
                                    "score", G_TYPE_DOUBLE, f.score, nullptr));
}

void SessionOutputs::frame_read(const FrameEntry& f) {
  if (!ended_) events_->add_frame_saved(f);
  callbacks_.post(gst_structure_new("sessionsink-frame-read", "id", G_TYPE_STRING, f.id.c_str(), "status",
                                    G_TYPE_STRING, f.ocr_status.c_str(), "location", G_TYPE_STRING, f.ocr_path.c_str(),
                                    "text", G_TYPE_STRING, f.ocr_text.c_str(), "confidence", G_TYPE_DOUBLE,
                                    f.ocr_confidence, nullptr));
}

void SessionOutputs::transcribed(const ChunkTranscript& t) {
  if (!ended_) events_->add_transcript(t);
  const std::string text = t.text();
  callbacks_.post(gst_structure_new("sessionsink-transcript", "chunk", G_TYPE_STRING, t.chunk.name.c_str(), "location",
                                    G_TYPE_STRING, t.json_path.c_str(), "status", G_TYPE_STRING, t.status.c_str(),
                                    "text", G_TYPE_STRING, text.c_str(), "error", G_TYPE_STRING, t.error.c_str(),
                                    "attempts", G_TYPE_UINT, t.attempts, nullptr));
}

void SessionOutputs::session_started() {
  if (ended_) return;
  const std::string dir = index_->dir();
  events_->add("session_started", 0.0, [&](JsonBuilder* b) { json_member(b, "location", dir); });
}

void SessionOutputs::segment_closed(const SegmentEntry& segment) {
  if (!ended_) events_->add_segment_closed(segment);
}

bool SessionOutputs::add_event(const char* type, double time, const GstStructure* fields) {
  if (ended_) return false;
  events_->add_structure(type, time, fields);
  return true;
}

void SessionOutputs::end() {
  if (ended_) return;
  writer_.reset();
  ocr_.reset();      // what the drain at EOS left unread is listed as dropped
  index_->finish();  // the last chunks are written: the transcriber has them
  if (transcriber_) {
    transcriber_->drain(kTranscriptsEndWait);
    index_->set_chunk_listener({});
    transcriber_.reset();  // what still waits is recorded as failed
  }
  ended_ = true;  // the application adds nothing after the end
  const gint64 segments = gint64(index_->segments()), frames = gint64(index_->frames()),
               chunks = gint64(index_->chunks());
  events_->add("session_ended", events_->latest_time(), [&](JsonBuilder* b) {
    json_member(b, "segments", segments);
    json_member(b, "frames", frames);
    json_member(b, "audio_chunks", chunks);
  });
  events_->set_listener({});
  if (hub_) {
    hub_->end(kEventsEndWait);
    hub_->stop();
    hub_.reset();
  }
}

}  // namespace gstascii
