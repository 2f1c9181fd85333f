// A local server that speaks OpenAI's /v1/audio/transcriptions (as whisper.cpp's server and the
// faster-whisper servers do), for the transcriber's tests: a real libsoup server on 127.0.0.1 on
// a thread of its own. It checks each upload (a multipart form with a WAV "file", "model",
// "language" and "response_format") and answers each try of each chunk as the test says.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

class TranscriptionServer {
 public:
  // How to answer: a status, a body, and how long to wait before answering.
  struct Reply {
    guint status = 200;
    std::string body;
    guint delay_ms = 0;
  };
  // |answer| gets the chunk's file name and which try this is (1, 2, ...).
  using Answer = std::function<Reply(const std::string& chunk, int attempt)>;

  explicit TranscriptionServer(Answer answer) : answer_(std::move(answer)) {
    context_ = g_main_context_new();
    loop_ = g_main_loop_new(context_, FALSE);
    g_main_context_push_thread_default(context_);
    server_ = soup_server_new(nullptr, nullptr);
    soup_server_add_handler(server_, "/v1/audio/transcriptions", on_request, this, nullptr);
    GError* error = nullptr;
    fail_unless(soup_server_listen_local(server_, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error), "%s",
                error ? error->message : "");
    GSList* uris = soup_server_get_uris(server_);
    port_ = g_uri_get_port(static_cast<GUri*>(uris->data));
    g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
    g_main_context_pop_thread_default(context_);
    thread_ = g_thread_new("transcription-server", run, this);
  }
  ~TranscriptionServer() {
    g_main_context_invoke(
        context_,
        [](gpointer loop) -> gboolean {
          g_main_loop_quit(static_cast<GMainLoop*>(loop));
          return G_SOURCE_REMOVE;
        },
        loop_);
    g_thread_join(thread_);
    g_object_unref(server_);
    g_main_loop_unref(loop_);
    g_main_context_unref(context_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1/audio/transcriptions"; }
  // What was wrong with the uploads (empty when each was whole).
  std::vector<std::string> problems() {
    std::lock_guard<std::mutex> lock(mutex_);
    return problems_;
  }
  int tries(const std::string& chunk) {
    std::lock_guard<std::mutex> lock(mutex_);
    return tries_[chunk];
  }
  // The form fields of the last upload of |chunk|.
  std::map<std::string, std::string> fields(const std::string& chunk) {
    std::lock_guard<std::mutex> lock(mutex_);
    return fields_[chunk];
  }

 private:
  static gpointer run(gpointer data) {
    auto* self = static_cast<TranscriptionServer*>(data);
    g_main_context_push_thread_default(self->context_);
    g_main_loop_run(self->loop_);
    g_main_context_pop_thread_default(self->context_);
    return nullptr;
  }

  void problem(const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex_);
    problems_.push_back(what);
  }

  static void on_request(SoupServer*, SoupServerMessage* msg, const char*, GHashTable*, gpointer data) {
    auto* self = static_cast<TranscriptionServer*>(data);
    if (g_strcmp0(soup_server_message_get_method(msg), "POST") != 0) {
      self->problem("a request that is not a POST");
      soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
      return;
    }
    SoupMessageBody* request = soup_server_message_get_request_body(msg);
    GBytes* body = soup_message_body_flatten(request);
    SoupMultipart* form = soup_multipart_new_from_message(soup_server_message_get_request_headers(msg), body);
    g_bytes_unref(body);
    if (!form) {
      self->problem("an upload that is not multipart");
      soup_server_message_set_status(msg, SOUP_STATUS_BAD_REQUEST, nullptr);
      return;
    }
    char* filename = nullptr;
    char* type = nullptr;
    GBytes* file = nullptr;
    // (It takes the form and frees it.)
    GHashTable* fields = soup_form_decode_multipart(form, "file", &filename, &type, &file);
    std::string chunk = filename ? filename : "";
    std::map<std::string, std::string> values;
    if (fields) {
      GHashTableIter it;
      gpointer key, value;
      g_hash_table_iter_init(&it, fields);
      while (g_hash_table_iter_next(&it, &key, &value))
        values[static_cast<const char*>(key)] = static_cast<const char*>(value);
      g_hash_table_unref(fields);
    }
    gsize size = 0;
    const auto* wav = file ? static_cast<const char*>(g_bytes_get_data(file, &size)) : nullptr;
    if (!wav || size < 44 || memcmp(wav, "RIFF", 4) != 0 || memcmp(wav + 8, "WAVE", 4) != 0)
      self->problem(chunk + ": the file is not a WAV");
    if (g_strcmp0(type, "audio/wav") != 0) self->problem(chunk + ": the file is not audio/wav");
    if (values["response_format"] != "verbose_json") self->problem(chunk + ": no response_format=verbose_json");
    int attempt = 0;
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      attempt = ++self->tries_[chunk];
      values["size"] = std::to_string(size);
      self->fields_[chunk] = values;
    }
    g_free(filename);
    g_free(type);
    if (file) g_bytes_unref(file);
    const Reply reply = self->answer_(chunk, attempt);
    auto respond = [](SoupServerMessage* m, const Reply& r) {
      soup_server_message_set_response(m, "application/json", SOUP_MEMORY_COPY, r.body.data(), r.body.size());
      soup_server_message_set_status(m, r.status, nullptr);
    };
    if (reply.delay_ms == 0) {
      respond(msg, reply);
      return;
    }
    // A slow engine: the answer comes later (the client has given up by then).
    soup_server_message_pause(msg);
    struct Later {
      SoupServerMessage* msg;
      Reply reply;
      void (*respond)(SoupServerMessage*, const Reply&);
    };
    auto later = std::make_unique<Later>(Later{SOUP_SERVER_MESSAGE(g_object_ref(msg)), reply, respond});
    GSource* timer = g_timeout_source_new(reply.delay_ms);
    g_source_set_callback(
        timer,
        [](gpointer data) -> gboolean {
          auto* l = static_cast<Later*>(data);
          l->respond(l->msg, l->reply);
          soup_server_message_unpause(l->msg);
          return G_SOURCE_REMOVE;
        },
        later.release(),
        [](gpointer data) {
          std::unique_ptr<Later> l(static_cast<Later*>(data));
          g_object_unref(l->msg);
        });
    g_source_attach(timer, g_main_context_get_thread_default());
    g_source_unref(timer);
  }

  Answer answer_;
  GMainContext* context_ = nullptr;
  GMainLoop* loop_ = nullptr;
  GThread* thread_ = nullptr;
  SoupServer* server_ = nullptr;
  guint port_ = 0;
  std::mutex mutex_;
  std::vector<std::string> problems_;
  std::map<std::string, int> tries_;
  std::map<std::string, std::map<std::string, std::string>> fields_;
};
