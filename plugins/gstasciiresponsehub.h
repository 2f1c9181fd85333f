// What the hubs of endless HTTP responses share (HttpStreamHub: adtsmux-out's listeners; TtyHub:
// asciittysink's terminals): each client is one chunked response that libsoup writes while the
// kind appends to it. This level keeps the bytes queued and not yet written (which each kind
// bounds in its own way), cuts off a client that reads nothing for client-timeout, and owns the
// message's life: its signals, its statistics and the "client-disconnected" report.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>
#include <libsoup/soup.h>

#include <atomic>

#include "gstasciiclienthub.h"

namespace gstascii {

class EndlessResponseHub : public ClientHub {
 public:
  // Clients cut off after their response had started (too slow, a lost frame, a restarted
  // timeline ...), any thread.
  guint64 responses_cut() const { return responses_cut_.load(); }

 protected:
  struct Response : Client {
    ~Response() override;
    SoupServerMessage* msg = nullptr;  // our reference
    bool started = false;              // status and headers set: body chunks may follow
    bool finished = false;             // the body is complete: nothing more is appended
    bool cut = false;                  // cut off: waiting for libsoup to finish the message
    guint64 queued = 0;                // body bytes handed to libsoup and not yet written
    gint64 last_progress = 0;          // monotonic µs of the last write (or of the queue becoming non-empty)
    gulong wrote_handler = 0;
    gulong finished_handler = 0;
  };

  using ClientHub::ClientHub;

  // Server thread, from here on. Takes |msg| as |response|'s endless response: chunked, and libsoup
  // lets go of each chunk once written. Call after init_client().
  void begin_endless(Response& response, SoupServerMessage* msg);
  // Queues |bytes| (counted as sent); the caller unpauses the message.
  void append(Response& response, GBytes* bytes);
  void append_copy(Response& response, const void* data, gsize size);
  // Ends |response| after what is queued; one that never started gets 204 No Content.
  void finish(Response& response);
  // Ends |response|'s connection at once: with the socket shut, libsoup's next write (the closing
  // chunk, at the latest) fails, so it finishes the message even when the peer reads nothing. One
  // that never started gets 503.
  void cut_off(Response& response, const char* why);

  void close_client(Client& client) override;
  void check_clients(gint64 now) override;
  void add_stats(const Client& client, GstStructure* stats) const override;

 private:
  static void on_wrote_body_data(SoupServerMessage* msg, guint size, gpointer ref);
  static void on_finished(SoupServerMessage* msg, gpointer ref);

  std::atomic<guint64> responses_cut_{0};
};

}  // namespace gstascii
