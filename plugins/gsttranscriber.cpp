// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gsttranscriber.h"

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

GST_DEBUG_CATEGORY_STATIC(transcriber_debug);
#define GST_CAT_DEFAULT transcriber_debug

namespace gstascii {

namespace {

constexpr int kNiceness = 10;  // below the recording, as the slide text reader
constexpr const char* kEndpointPath = "/v1/audio/transcriptions";

std::string trimmed(const char* text) {
  std::string s = text ? text : "";
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

bool parse_transcription(const std::string& reply, const AudioChunk& chunk, std::vector<TranscriptSegment>* segments,
                         std::string* error) {
  segments->clear();
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) err = nullptr;
  if (!json_parser_load_from_data(parser, reply.data(), gssize(reply.size()), &err)) {
    *error = std::string("the reply is not JSON: ") + err->message;
    return false;
  }
  JsonNode* root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    *error = "the reply is not a JSON object";
    return false;
  }
  JsonObject* object = json_node_get_object(root);
  JsonNode* list = json_object_get_member(object, "segments");
  if (list && JSON_NODE_HOLDS_ARRAY(list)) {
    JsonArray* array = json_node_get_array(list);
    for (guint i = 0; i < json_array_get_length(array); i++) {
      JsonNode* node = json_array_get_element(array, i);
      JsonObject* seg = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : nullptr;
      JsonNode* start = seg ? json_object_get_member(seg, "start") : nullptr;
      JsonNode* end = seg ? json_object_get_member(seg, "end") : nullptr;
      JsonNode* text = seg ? json_object_get_member(seg, "text") : nullptr;
      if (!start || !end || !text || json_node_get_value_type(text) != G_TYPE_STRING || !JSON_NODE_HOLDS_VALUE(start) ||
          !JSON_NODE_HOLDS_VALUE(end)) {
        *error = "segment " + std::to_string(i) + " of the reply lacks start, end or text";
        return false;
      }
      TranscriptSegment s{chunk.start + json_node_get_double(start), chunk.start + json_node_get_double(end),
                          trimmed(json_node_get_string(text))};
      if (!s.text.empty()) segments->push_back(std::move(s));
    }
    return true;
  }
  JsonNode* text = json_object_get_member(object, "text");
  if (text && json_node_get_value_type(text) == G_TYPE_STRING) {
    TranscriptSegment s{chunk.start, chunk.end, trimmed(json_node_get_string(text))};
    if (!s.text.empty()) segments->push_back(std::move(s));
    return true;
  }
  *error = "the reply has neither segments nor text";
  return false;
}

// ---- the engines --------------------------------------------------------------------------------

class Transcriber::Engine {
 public:
  virtual ~Engine() = default;
  // What |chunk| says; false with |error| set, and |retry| whether another try may help.
  virtual bool transcribe(const AudioChunk& chunk, GCancellable* cancel, std::vector<TranscriptSegment>* segments,
                          std::string* error, bool* retry) = 0;
};

namespace {

// POSTs the chunk as multipart/form-data (file, model, language, response_format=verbose_json),
// as OpenAI's API and the servers that copy it take it. OPENAI_API_KEY, when set, is sent as the
// bearer token a hosted API wants.
class EndpointEngine : public Transcriber::Engine {
 public:
  // On the thread that will use it (libsoup works on the thread-default main context).
  EndpointEngine(std::string url, const TranscriberConfig& config)
      : url_(std::move(url)), model_(config.model), language_(config.language) {
    session_ = soup_session_new_with_options("timeout", config.timeout_s, "idle-timeout", 60u, "user-agent",
                                             "gst-ascii", nullptr);
    if (const char* key = g_getenv("OPENAI_API_KEY")) key_ = key;
  }
  ~EndpointEngine() override { g_object_unref(session_); }

  bool transcribe(const AudioChunk& chunk, GCancellable* cancel, std::vector<TranscriptSegment>* segments,
                  std::string* error, bool* retry) override {
    gchar* contents = nullptr;
    gsize size = 0;
    g_autoptr(GError) err = nullptr;
    if (!g_file_get_contents(chunk.path.c_str(), &contents, &size, &err)) {
      *error = err->message;
      *retry = false;
      return false;
    }
    g_autoptr(GBytes) wav = g_bytes_new_take(contents, size);
    SoupMultipart* form = soup_multipart_new(SOUP_FORM_MIME_TYPE_MULTIPART);
    soup_multipart_append_form_file(form, "file", chunk.name.c_str(), "audio/wav", wav);
    soup_multipart_append_form_string(form, "model", model_.c_str());
    if (!language_.empty()) soup_multipart_append_form_string(form, "language", language_.c_str());
    soup_multipart_append_form_string(form, "response_format", "verbose_json");
    g_autoptr(SoupMessage) msg = soup_message_new_from_multipart(url_.c_str(), form);
    soup_multipart_free(form);
    if (!key_.empty()) {
      soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization", ("Bearer " + key_).c_str());
    }
    g_autoptr(GBytes) body = soup_session_send_and_read(session_, msg, cancel, &err);
    if (!body) {
      *error = err->message;
      *retry = !g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      return false;
    }
    gsize length = 0;
    const auto* data = static_cast<const char*>(g_bytes_get_data(body, &length));
    const std::string reply(data ? data : "", length);
    const guint status = soup_message_get_status(msg);
    if (status != SOUP_STATUS_OK) {
      *error = "HTTP " + std::to_string(status) + " " + GST_STR_NULL(soup_message_get_reason_phrase(msg)) + ": " +
               reply.substr(0, 200);
      // A server error, a timeout or too many requests may pass; a bad request will not.
      *retry = status >= 500 || status == SOUP_STATUS_REQUEST_TIMEOUT || status == 429 /* too many requests */;
      return false;
    }
    *retry = true;  // a half-written reply may be a server restarting
    return parse_transcription(reply, chunk, segments, error);
  }

 private:
  const std::string url_, model_, language_;
  std::string key_;
  SoupSession* session_ = nullptr;
};

// filesrc ! wavparse ! audioconvert ! audioresample ! 16 kHz mono ! pocketsphinx ! fakesink, to
// EOS: its final hypothesis is one segment of the chunk's length. The pipeline stays in READY
// between chunks, so PocketSphinx loads its model (and prints its settings) once.
class SphinxEngine : public Transcriber::Engine {
 public:
  explicit SphinxEngine(guint timeout_s) : timeout_s_(timeout_s) {
    pipeline_ = gst_pipeline_new("sphinx");
    gst_object_ref_sink(pipeline_);
    const char* factories[] = {"filesrc",    "wavparse",     "audioconvert", "audioresample",
                               "capsfilter", "pocketsphinx", "fakesink"};
    GstElement* previous = nullptr;
    for (const char* factory : factories) {
      GstElement* e = gst_element_factory_make(factory, nullptr);
      if (!e) {
        missing_ = factory;
        return;
      }
      gst_bin_add(GST_BIN(pipeline_), e);
      if (previous) gst_element_link(previous, e);
      if (!previous) source_ = e;
      if (g_str_equal(factory, "capsfilter")) {
        g_autoptr(GstCaps) caps = gst_caps_from_string("audio/x-raw,rate=16000,channels=1");
        g_object_set(e, "caps", caps, nullptr);
      }
      previous = e;
    }
  }
  ~SphinxEngine() override {
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(pipeline_);
  }

  bool transcribe(const AudioChunk& chunk, GCancellable*, std::vector<TranscriptSegment>* segments, std::string* error,
                  bool* retry) override {
    *retry = false;
    if (!missing_.empty()) {
      *error = "the " + missing_ + " element is missing";
      return false;
    }
    g_object_set(source_, "location", chunk.path.c_str(), nullptr);
    g_autoptr(GstBus) bus = gst_element_get_bus(pipeline_);
    gst_element_set_state(pipeline_, GST_STATE_PLAYING);
    std::string heard;
    bool ended = false;
    const gint64 deadline = g_get_monotonic_time() + gint64(timeout_s_) * G_TIME_SPAN_SECOND;
    while (!ended && g_get_monotonic_time() < deadline) {
      g_autoptr(GstMessage) msg = gst_bus_timed_pop_filtered(
          bus, 100 * GST_MSECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT));
      if (!msg) continue;
      if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT) {
        const GstStructure* s = gst_message_get_structure(msg);
        gboolean final = FALSE;
        if (gst_structure_has_name(s, "pocketsphinx") && gst_structure_get_boolean(s, "final", &final) && final)
          heard = trimmed(gst_structure_get_string(s, "hypothesis"));
        continue;
      }
      if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        g_autoptr(GError) err = nullptr;
        gst_message_parse_error(msg, &err, nullptr);
        *error = std::string("PocketSphinx: ") + err->message +
                 " (on Debian: apt install gstreamer1.0-pocketsphinx pocketsphinx-en-us)";
        gst_element_set_state(pipeline_, GST_STATE_NULL);
        return false;
      }
      ended = true;
    }
    gst_element_set_state(pipeline_, GST_STATE_READY);
    gst_bus_set_flushing(bus, TRUE);  // what the chunk left on the bus goes with it
    gst_bus_set_flushing(bus, FALSE);
    if (!ended) {
      *error = "PocketSphinx took longer than " + std::to_string(timeout_s_) + " s";
      return false;
    }
    segments->clear();
    if (!heard.empty()) segments->push_back({chunk.start, chunk.end, heard});
    return true;
  }

 private:
  const guint timeout_s_;
  GstElement* pipeline_ = nullptr;  // ours
  GstElement* source_ = nullptr;    // the pipeline's
  std::string missing_;
};

}  // namespace

// ---- the transcriber ------------------------------------------------------------------------------

Transcriber::Transcriber(std::string dir, TranscriberConfig config, Done done)
    : dir_(std::move(dir)),
      config_(std::move(config)),
      done_(std::move(done)),
      cancel_(g_cancellable_new()),
      queue_(config_.max_pending, WorkQueue<AudioChunk>::WhenFull::kPushOutOldest) {}

std::unique_ptr<Transcriber> Transcriber::start(std::string dir, TranscriberConfig config, Done done,
                                                std::string* error) {
  GST_DEBUG_CATEGORY_INIT(transcriber_debug, "transcriber", 0, "sessionsink's transcripts");
  if (config.engine == "sphinx") {
    g_autoptr(GstElementFactory) factory = gst_element_factory_find("pocketsphinx");
    if (!factory) {
      *error = "PocketSphinx is not installed (on Debian: apt install gstreamer1.0-pocketsphinx pocketsphinx-en-us)";
      return nullptr;
    }
  } else {
    g_autoptr(GUri) uri = g_uri_parse(config.engine.c_str(), G_URI_FLAGS_NONE, nullptr);
    const char* scheme = uri ? g_uri_get_scheme(uri) : nullptr;
    if (!uri || (g_strcmp0(scheme, "http") != 0 && g_strcmp0(scheme, "https") != 0) || !g_uri_get_host(uri)) {
      *error = "\"" + config.engine + "\" is neither an http(s) URL of a transcription endpoint nor \"sphinx\"";
      return nullptr;
    }
    // A bare server address gets the OpenAI path.
    const char* path = g_uri_get_path(uri);
    if (!path || !*path || g_strcmp0(path, "/") == 0) {
      g_autoptr(GUri) full = g_uri_build(G_URI_FLAGS_NONE, scheme, g_uri_get_userinfo(uri), g_uri_get_host(uri),
                                         g_uri_get_port(uri), kEndpointPath, g_uri_get_query(uri), nullptr);
      g_autofree gchar* text = g_uri_to_string(full);
      config.engine = text;
    }
  }
  config.attempts = std::max(config.attempts, 1u);
  config.max_pending = std::max(config.max_pending, 1u);
  std::unique_ptr<Transcriber> t(new Transcriber(std::move(dir), std::move(config), std::move(done)));
  t->thread_ = std::thread([raw = t.get()] { raw->run(); });
  return t;
}

Transcriber::~Transcriber() {
  queue_.close();
  g_cancellable_cancel(cancel_);
  if (thread_.joinable()) thread_.join();
  g_object_unref(cancel_);
}

void Transcriber::push(const AudioChunk& chunk) {
  if (queue_.closed()) return;
  for (const AudioChunk& old : queue_.push(chunk))
    record_failed(old, std::to_string(config_.max_pending) + " newer chunks came while it waited");
}

void Transcriber::drain(gint64 timeout_us) {
  queue_.drain(timeout_us);
}

void Transcriber::record_failed(const AudioChunk& chunk, const std::string& why) {
  ChunkTranscript t;
  t.chunk = chunk;
  t.status = "failed";
  t.error = why;
  record(t);
}

void Transcriber::run() {
  if (setpriority(PRIO_PROCESS, pid_t(syscall(SYS_gettid)), kNiceness) != 0) GST_DEBUG("cannot lower the priority");
  // libsoup does its I/O on this thread's own main context.
  GMainContext* context = g_main_context_new();
  g_main_context_push_thread_default(context);
  if (config_.engine == "sphinx") {
    engine_ = std::make_unique<SphinxEngine>(config_.timeout_s);
  } else {
    engine_ = std::make_unique<EndpointEngine>(config_.engine, config_);
  }
  while (std::optional<AudioChunk> chunk = queue_.take(false)) {
    transcribe(*chunk);
    queue_.finished();
  }
  for (const AudioChunk& chunk : queue_.take_all()) record_failed(chunk, "the session ended before it was transcribed");
  engine_.reset();
  g_main_context_pop_thread_default(context);
  g_main_context_unref(context);
}

void Transcriber::transcribe(const AudioChunk& chunk) {
  ChunkTranscript t;
  t.chunk = chunk;
  gint64 backoff = config_.first_backoff_us;
  for (guint attempt = 1; attempt <= config_.attempts; attempt++) {
    t.attempts = attempt;
    bool retry = false;
    std::string why;
    const gint64 start = g_get_monotonic_time();
    if (engine_->transcribe(chunk, cancel_, &t.segments, &why, &retry)) {
      t.status = "done";
      t.error.clear();
      GST_DEBUG("%s: %zu segments in %.0f ms", chunk.name.c_str(), t.segments.size(),
                (g_get_monotonic_time() - start) / 1000.0);
      break;
    }
    t.error = why;
    GST_WARNING("%s, try %u of %u: %s", chunk.name.c_str(), attempt, config_.attempts, why.c_str());
    if (!retry || attempt == config_.attempts || !queue_.sleep_unless_closed(backoff)) break;
    backoff *= 2;
  }
  if (t.status.empty()) t.status = "failed";
  record(t);
}

// transcript/chunk_00001.json (replaced atomically), the text appended to transcript.txt, then the
// owner is told.
void Transcriber::record(ChunkTranscript& t) {
  const std::string base = t.chunk.name.substr(0, t.chunk.name.rfind('.'));
  t.json_path = dir_ + "/" + base + ".json";
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_member(b, "chunk", t.chunk.name);
  json_member(b, "audio", t.chunk.path);
  json_member(b, "start", t.chunk.start);
  json_member(b, "end", t.chunk.end);
  json_member(b, "engine", config_.engine == "sphinx" ? std::string("pocketsphinx") : config_.engine);
  json_member(b, "status", t.status);
  json_member(b, "attempts", gint64(t.attempts));
  if (!t.error.empty()) json_member(b, "error", t.error);
  json_builder_set_member_name(b, "segments");
  json_builder_begin_array(b);
  for (const TranscriptSegment& s : t.segments) {
    json_builder_begin_object(b);
    json_member(b, "start", s.start);
    json_member(b, "end", s.end);
    json_member(b, "text", s.text);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_member(b, "text", t.text());
  json_builder_end_object(b);
  std::string why;
  if (!write_json_file(t.json_path, b, &why)) GST_WARNING("cannot write %s: %s", t.json_path.c_str(), why.c_str());
  if (!t.segments.empty()) {
    // One line a segment: "[HH:MM:SS.s - HH:MM:SS.s] text", in session time.
    std::string lines;
    for (const TranscriptSegment& s : t.segments) {
      char head[64];
      auto clock = [](double t, char* out, size_t n) {
        const long tenths = long(t * 10 + 0.5);
        g_snprintf(out, gulong(n), "%02ld:%02ld:%02ld.%ld", tenths / 36000, tenths / 600 % 60, tenths / 10 % 60,
                   tenths % 10);
      };
      char from[24], to[24];
      clock(s.start, from, sizeof from);
      clock(s.end, to, sizeof to);
      g_snprintf(head, sizeof head, "[%s - %s] ", from, to);
      lines += head + s.text + "\n";
    }
    const std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen((dir_ + "/transcript.txt").c_str(), "a"), std::fclose);
    if (!out || std::fwrite(lines.data(), 1, lines.size(), out.get()) != lines.size())
      GST_WARNING("cannot append to %s/transcript.txt", dir_.c_str());
  }
  if (done_) done_(t);
}

}  // namespace gstascii
