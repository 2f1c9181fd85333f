// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstasciittyhub.h"

#include <cstdio>
#include <utility>

#include "gstasciihttpfiles.h"

GST_DEBUG_CATEGORY_STATIC(ascii_tty_hub_debug);
#define GST_CAT_DEFAULT ascii_tty_hub_debug

namespace gstascii {

namespace {

// Frames the server thread may have waiting before one is dropped (and every viewer waits for the
// next whole picture): seconds of frames, so only a stuck server thread reaches it.
constexpr int kMaxPendingFrames = 120;

}  // namespace

struct TtyHub::Viewer : EndlessResponseHub::Response {
  bool waiting = true;  // for a whole picture to start (again) at
  bool header_sent = false;
};

TtyHub::TtyHub(std::shared_ptr<HttpServer> server, TtyHubConfig config, HubCallbacks callbacks)
    : EndlessResponseHub(std::move(server), config, std::move(callbacks), "terminal"), size_(config.size) {}

TtyHub::~TtyHub() {
  if (header_) g_bytes_unref(header_);
}

std::shared_ptr<TtyHub> TtyHub::start(std::shared_ptr<HttpServer> server, TtyHubConfig config, HubCallbacks callbacks,
                                      GError** error) {
  GST_DEBUG_CATEGORY_INIT(ascii_tty_hub_debug, "asciittyhub", 0, "asciittysink's terminal viewers");
  std::shared_ptr<TtyHub> hub(new TtyHub(std::move(server), std::move(config), std::move(callbacks)));
  return hub->ClientHub::start(error) ? hub : nullptr;
}

void TtyHub::set_header(GBytes* header) {
  auto self = std::static_pointer_cast<TtyHub>(shared_from_this());
  g_bytes_ref(header);
  server_->run_async([self, header] {
    if (self->header_) g_bytes_unref(self->header_);
    self->header_ = header;
  });
}

void TtyHub::push(GBytes* frame, bool whole) {
  if (pending_.fetch_add(1) >= kMaxPendingFrames) {
    pending_--;
    lost_frame_ = true;
    return;
  }
  auto self = std::static_pointer_cast<TtyHub>(shared_from_this());
  g_bytes_ref(frame);
  server_->run_async([self, frame, whole] {
    self->pending_--;
    self->broadcast(frame, whole);
    g_bytes_unref(frame);
  });
}

void TtyHub::end_of_stream() {
  auto self = std::static_pointer_cast<TtyHub>(shared_from_this());
  server_->run_async([self] {
    if (self->stopped_) return;
    self->ended_ = true;
    for (auto& [id, client] : self->clients_) self->finish(static_cast<Viewer&>(*client));
  });
}

void TtyHub::handle_request(SoupServerMessage* msg) {
  SoupMessageHeaders* response = soup_server_message_get_response_headers(msg);
  const char* method = soup_server_message_get_method(msg);
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    soup_message_headers_replace(response, "Allow", "GET, HEAD");
    respond_text(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Method Not Allowed\n");
    return;
  }
  // Another grid: the sink that draws it answers.
  const char* query = g_uri_get_query(soup_server_message_get_uri(msg));
  g_autoptr(GHashTable) params = query ? g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, nullptr) : nullptr;
  const char* size = params ? static_cast<const char*>(g_hash_table_lookup(params, "size")) : nullptr;
  const std::string path = g_uri_get_path(soup_server_message_get_uri(msg));
  if (size && size != size_ && path == config_.path) {
    if (server_->hand_to(config_.path + "/" + size, msg)) return;
    std::string text = std::string("No such size: ") + size + ". Sizes:";
    if (!size_.empty()) text += " " + size_;
    for (const std::string& p : server_->routes_under(config_.path + "/"))
      text += " " + p.substr(config_.path.size() + 1);
    respond_text(msg, SOUP_STATUS_NOT_FOUND, (text + "\n").c_str());
    return;
  }
  if (ended_) {
    respond_text(msg, SOUP_STATUS_NOT_FOUND, "The stream has ended\n");
    return;
  }
  if (refuse_origin(msg)) return;
  soup_message_headers_replace(response, "Content-Type", "text/plain; charset=utf-8");
  soup_message_headers_replace(response, "Cache-Control", "no-store");
  // An nginx in front must pass each frame on at once.
  soup_message_headers_replace(response, "X-Accel-Buffering", "no");
  if (method == SOUP_METHOD_HEAD) {
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
    return;
  }
  if (refuse_when_full(msg, "Too many terminals\n")) return;
  auto viewer = std::make_unique<Viewer>();
  init_client(*viewer, msg, config_.client_buffer);
  begin_endless(*viewer, msg);
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  viewer->started = true;
  soup_server_message_pause(msg);
  GstStructure* details = gst_structure_new("client-connected", "client-id", G_TYPE_UINT64, viewer->id, "address",
                                            G_TYPE_STRING, viewer->address.c_str(), nullptr);
  add_client(std::move(viewer), details);
  // It starts at a whole picture: ask for one now rather than wait for the next in course.
  want_keyframe();
}

void TtyHub::broadcast(GBytes* frame, bool whole) {
  if (stopped_ || ended_) return;
  const bool skip_all = lost_frame_.exchange(false);  // a frame lost here: every screen needs a whole picture
  const gsize size = g_bytes_get_size(frame);
  bool want_whole = false;
  for (auto& [id, client] : clients_) {
    auto& v = static_cast<Viewer&>(*client);
    if (v.cut || v.finished) continue;
    if (skip_all && !v.waiting) {
      v.waiting = true;
      skips_++;
    }
    // Too far behind for this frame: it waits for the next whole picture, which replaces
    // everything it missed. (A viewer with nothing queued takes any frame, so a whole picture
    // larger than the buffer still gets through: the bound is client-buffer and one frame.)
    if (v.queued > 0 && v.queued + size > config_.client_buffer) {
      if (!v.waiting) {
        GST_DEBUG("terminal %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT " bytes behind, skips ahead", v.id, v.queued);
        skips_++;
      }
      v.waiting = true;
      v.frames_dropped++;
      want_whole = true;
      continue;
    }
    if (v.waiting && !whole) {
      v.frames_dropped++;
      want_whole = true;
      continue;
    }
    if (v.waiting && !v.header_sent && header_) append(v, header_);
    v.header_sent = true;
    v.waiting = false;
    append(v, frame);
    v.frames_sent++;
    totals_.frames_sent++;
    soup_server_message_unpause(v.msg);
  }
  if (want_whole) want_keyframe();
}

}  // namespace gstascii
