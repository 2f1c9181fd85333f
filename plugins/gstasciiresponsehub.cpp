// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstasciiresponsehub.h"

GST_DEBUG_CATEGORY_STATIC(ascii_response_hub_debug);
#define GST_CAT_DEFAULT ascii_response_hub_debug

namespace gstascii {

namespace {

void init_debug() {
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    GST_DEBUG_CATEGORY_INIT(ascii_response_hub_debug, "asciiresponsehub", 0,
                            "endless HTTP responses of adtsmux-out and asciittysink");
    g_once_init_leave(&done, 1);
  }
}

}  // namespace

EndlessResponseHub::Response::~Response() {
  if (wrote_handler) g_signal_handler_disconnect(msg, wrote_handler);
  if (finished_handler) g_signal_handler_disconnect(msg, finished_handler);
  g_clear_object(&msg);
}

void EndlessResponseHub::begin_endless(Response& r, SoupServerMessage* msg) {
  init_debug();
  r.msg = SOUP_SERVER_MESSAGE(g_object_ref(msg));
  r.last_progress = g_get_monotonic_time();
  soup_message_headers_set_encoding(soup_server_message_get_response_headers(msg), SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate(soup_server_message_get_response_body(msg), FALSE);
  r.wrote_handler = g_signal_connect_data(msg, "wrote-body-data", G_CALLBACK(on_wrote_body_data), client_ref(r.id),
                                          free_client_ref, GConnectFlags(0));
  r.finished_handler = g_signal_connect_data(msg, "finished", G_CALLBACK(on_finished), client_ref(r.id),
                                             free_client_ref, GConnectFlags(0));
}

void EndlessResponseHub::append(Response& r, GBytes* bytes) {
  const gsize size = g_bytes_get_size(bytes);
  if (r.queued == 0) r.last_progress = g_get_monotonic_time();
  soup_message_body_append_bytes(soup_server_message_get_response_body(r.msg), bytes);
  r.queued += size;
  r.bytes_sent += size;
  totals_.bytes_sent += size;
}

void EndlessResponseHub::append_copy(Response& r, const void* data, gsize size) {
  if (r.queued == 0) r.last_progress = g_get_monotonic_time();
  soup_message_body_append(soup_server_message_get_response_body(r.msg), SOUP_MEMORY_COPY, data, size);
  r.queued += size;
  r.bytes_sent += size;
  totals_.bytes_sent += size;
}

void EndlessResponseHub::finish(Response& r) {
  if (r.finished || r.cut) return;
  r.finished = true;
  if (r.started) {
    soup_message_body_complete(soup_server_message_get_response_body(r.msg));
  } else {
    soup_server_message_set_status(r.msg, SOUP_STATUS_NO_CONTENT, nullptr);
  }
  soup_server_message_unpause(r.msg);
}

void EndlessResponseHub::cut_off(Response& r, const char* why) {
  if (r.cut) return;
  r.cut = true;
  if (r.started) responses_cut_++;
  GST_INFO("%s %s %" G_GUINT64_FORMAT ": cut off (%s)", config_.path.c_str(), noun_, r.id, why);
  if (!r.started) soup_server_message_set_status(r.msg, SOUP_STATUS_SERVICE_UNAVAILABLE, nullptr);
  if (r.socket) g_socket_shutdown(r.socket, TRUE, TRUE, nullptr);
  if (r.started && !r.finished) soup_message_body_complete(soup_server_message_get_response_body(r.msg));
  soup_server_message_unpause(r.msg);
}

void EndlessResponseHub::close_client(Client& client) {
  cut_off(static_cast<Response&>(client), "server stopping");
}

void EndlessResponseHub::check_clients(gint64 now) {
  if (config_.client_timeout == 0) return;
  const gint64 limit = static_cast<gint64>(config_.client_timeout / GST_USECOND);
  for (auto& [id, client] : clients_) {
    auto& r = static_cast<Response&>(*client);
    if (!r.cut && r.queued > 0 && now - r.last_progress > limit) cut_off(r, "read nothing for too long");
  }
}

void EndlessResponseHub::add_stats(const Client& client, GstStructure* stats) const {
  gst_structure_set(stats, "queued-bytes", G_TYPE_UINT64, static_cast<const Response&>(client).queued, nullptr);
}

void EndlessResponseHub::on_wrote_body_data(SoupServerMessage*, guint size, gpointer ref) {
  auto [self, r] = resolve<Response>(ref);
  if (!r) return;
  r->queued = size > r->queued ? 0 : r->queued - size;
  r->last_progress = g_get_monotonic_time();
}

void EndlessResponseHub::on_finished(SoupServerMessage*, gpointer ref) {
  auto [self, r] = resolve<Response>(ref);
  if (!r) return;
  GstStructure* gone =
      gst_structure_new("client-disconnected", "client-id", G_TYPE_UINT64, r->id, "address", G_TYPE_STRING,
                        r->address.c_str(), "cut-off", G_TYPE_BOOLEAN, r->cut && r->started, nullptr);
  auto* hub = static_cast<EndlessResponseHub*>(self.get());
  // libsoup still uses the message after "finished"; let go of it from the main loop.
  std::shared_ptr<Client> owned = hub->remove_client(r->id, gone);
  hub->server_->run_async([owned] {});
}

}  // namespace gstascii
