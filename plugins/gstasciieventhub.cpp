// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstasciieventhub.h"

#include <utility>

GST_DEBUG_CATEGORY_STATIC(ascii_event_hub_debug);
#define GST_CAT_DEFAULT ascii_event_hub_debug

namespace gstascii {

namespace {

// "id: N\ndata: JSON\n\n": EventSource takes the id as its Last-Event-ID when it reconnects.
constexpr guint kPaceIntervalMs = 50;

std::string sse_text(guint64 seq, const std::string& json) {
  return "id: " + std::to_string(seq) + "\ndata: " + json + "\n\n";
}

}  // namespace

EventStreamHub::EventStreamHub(std::shared_ptr<HttpServer> server, EventStreamConfig config, HubCallbacks callbacks)
    : EndlessResponseHub(std::move(server), config, std::move(callbacks), "follower"),
      keep_(std::max(config.keep, 1u)),
      keepalive_us_(config.keepalive_us) {}

std::shared_ptr<EventStreamHub> EventStreamHub::start(std::shared_ptr<HttpServer> server, EventStreamConfig config,
                                                      HubCallbacks callbacks, GError** error) {
  GST_DEBUG_CATEGORY_INIT(ascii_event_hub_debug, "asciieventhub", 0, "sessionsink's Server-Sent Events");
  std::shared_ptr<EventStreamHub> hub(new EventStreamHub(std::move(server), std::move(config), std::move(callbacks)));
  return hub->ClientHub::start(error) ? hub : nullptr;
}

void EventStreamHub::push(guint64 seq, std::string json) {
  pushed_ = seq;
  auto self = std::static_pointer_cast<EventStreamHub>(shared_from_this());
  server_->run_async([self, seq, json = std::move(json)] { self->broadcast(seq, json); });
}

void EventStreamHub::end(gint64 wait_us) {
  auto self = std::static_pointer_cast<EventStreamHub>(shared_from_this());
  server_->run_sync([self] {
    if (self->stopped_) return;
    self->ended_ = true;
    for (auto& [id, client] : self->clients_) self->feed(static_cast<Follower&>(*client));
  });
  totals_.clients.wait_for_zero(wait_us);
}

void EventStreamHub::send(Follower& f, const std::string& text) {
  append_copy(f, text.data(), text.size());
  f.last_write = g_get_monotonic_time();
  soup_server_message_unpause(f.msg);
}

void EventStreamHub::feed(Follower& f) {
  if (f.cut || f.finished) return;
  if (!kept_.empty() && f.next < kept_.front().first) {
    // Fell out of what is kept (a follower far behind, or one returning after long): say so.
    send(f, ": events " + std::to_string(f.next) + " to " + std::to_string(kept_.front().first - 1) +
                " are only in session.jsonl\n\n");
    f.next = kept_.front().first;
  }
  const guint64 bound = config_.client_buffer / 2;
  const bool caught_up = kept_.empty() || f.next > kept_.back().first;
  if (caught_up && ended_) finish(f);  // after what is queued
  if (caught_up || f.queued >= bound) return;
  std::string text;
  for (auto it = kept_.begin() + std::ptrdiff_t(f.next - kept_.front().first); it != kept_.end(); ++it) {
    if (!text.empty() && f.queued + text.size() + it->second.size() > bound) break;
    text += it->second;
    f.next = it->first + 1;
    f.frames_sent++;
    totals_.frames_sent++;
  }
  send(f, text);
}

void EventStreamHub::broadcast(guint64 seq, const std::string& json) {
  if (stopped_) return;
  kept_.emplace_back(seq, sse_text(seq, json));
  while (kept_.size() > keep_) kept_.pop_front();
  for (auto& [id, client] : clients_) feed(static_cast<Follower&>(*client));
}

void EventStreamHub::pace(gint64) {
  for (auto& [id, client] : clients_) feed(static_cast<Follower&>(*client));
}

void EventStreamHub::handle_request(SoupServerMessage* msg) {
  SoupMessageHeaders* request = soup_server_message_get_request_headers(msg);
  SoupMessageHeaders* response = soup_server_message_get_response_headers(msg);
  const char* method = soup_server_message_get_method(msg);
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    soup_message_headers_replace(response, "Allow", "GET, HEAD");
    soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
    return;
  }
  if (refuse_origin(msg)) return;
  if (const char* origin = soup_message_headers_get_one(request, "Origin")) {
    soup_message_headers_replace(response, "Access-Control-Allow-Origin", origin);
    soup_message_headers_append(response, "Vary", "Origin");
  }
  soup_message_headers_replace(response, "Content-Type", "text/event-stream");
  soup_message_headers_replace(response, "Cache-Control", "no-store");
  soup_message_headers_replace(response, "X-Accel-Buffering", "no");  // nginx: pass each event on
  // The response ends only with the session: nothing more comes on the connection after it.
  soup_message_headers_replace(response, "Connection", "close");
  if (method == SOUP_METHOD_HEAD) {
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
    return;
  }
  if (refuse_when_full(msg, "Too many followers\n")) return;
  // The events after the one the follower saw last (EventSource's Last-Event-ID, or ?after=N).
  const char* last = soup_message_headers_get_one(request, "Last-Event-ID");
  const char* query = g_uri_get_query(soup_server_message_get_uri(msg));
  g_autoptr(GHashTable) params = query ? g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, nullptr) : nullptr;
  if (!last && params) last = static_cast<const char*>(g_hash_table_lookup(params, "after"));

  auto follower = std::make_unique<Follower>();
  follower->next = (last ? g_ascii_strtoull(last, nullptr, 10) : 0) + 1;
  // An id this session has not reached is from an earlier one (a page left open across sessions):
  // everything kept is new to it.
  if (follower->next > pushed_.load() + 1) follower->next = 1;
  init_client(*follower, msg, config_.client_buffer);
  begin_endless(*follower, msg);
  follower->started = true;
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  // EventSource reconnects a second after the connection drops.
  send(*follower, "retry: 1000\n\n");
  feed(*follower);
  // Those who read what is kept as fast as it comes get the rest at the pace they read.
  start_pacing(kPaceIntervalMs);
  GstStructure* details = gst_structure_new("client-connected", "client-id", G_TYPE_UINT64, follower->id, "address",
                                            G_TYPE_STRING, follower->address.c_str(), nullptr);
  add_client(std::move(follower), details);
}

void EventStreamHub::check_clients(gint64 now) {
  for (auto& [id, client] : clients_) {
    auto& f = static_cast<Follower&>(*client);
    if (f.cut || f.finished || now - f.last_write < keepalive_us_) continue;
    send(f, ": keep-alive\n\n");
  }
  EndlessResponseHub::check_clients(now);
}

}  // namespace gstascii
