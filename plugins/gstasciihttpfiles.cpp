// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstasciihttpfiles.h"

#include <limits.h>
#include <stdlib.h>

#include <cstring>
#include <utility>

#include "glyph_font.h"
#include "symbol_cell.h"

namespace gstascii {

namespace {

// Files the program carries rather than reads from the document root: the bitmaps the web player
// draws symbol cells' letters and edges with, the very ones asciirender draws (a byte a row,
// leftmost pixel in the top bit: 95 x 16 bytes for ' ' to '~', 256 x 16 for the edges), so the
// two agree to the pixel.
constexpr const char* kGlyphFontPath = "/glyphs-8x16.bin";
constexpr const char* kEdgeShapesPath = "/edges-8x16.bin";

}  // namespace

std::string real_path(const std::string& path) {
  char resolved[PATH_MAX];
  return realpath(path.c_str(), resolved) ? std::string(resolved) : std::string();
}

void respond_text(SoupServerMessage* msg, guint status, const char* text) {
  if (!text) text = soup_status_get_phrase(status);
  soup_server_message_set_status(msg, status, nullptr);
  soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, text, strlen(text));
}

void respond_json(SoupServerMessage* msg, const char* json) {
  const char* method = soup_server_message_get_method(msg);
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow", "GET, HEAD");
    respond_text(msg, SOUP_STATUS_METHOD_NOT_ALLOWED);
    return;
  }
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control", "no-store");
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY, json, strlen(json));
}

void serve_file(const std::string& root, SoupServerMessage* msg, const char* path) {
  const char* method = soup_server_message_get_method(msg);
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow", "GET, HEAD");
    respond_text(msg, SOUP_STATUS_METHOD_NOT_ALLOWED);
    return;
  }
  // The path arrives percent-encoded; an encoded "/" or NUL cannot name a file of ours.
  g_autofree gchar* decoded = g_uri_unescape_string(path, "/");
  if (!decoded || decoded[0] != '/') {
    respond_text(msg, SOUP_STATUS_BAD_REQUEST);
    return;
  }
  SoupMessageHeaders* headers = soup_server_message_get_response_headers(msg);
  const bool glyphs = strcmp(decoded, kGlyphFontPath) == 0, edges = strcmp(decoded, kEdgeShapesPath) == 0;
  if (glyphs || edges) {
    soup_message_headers_replace(headers, "Cache-Control", "no-cache");
    const auto* bytes = glyphs ? gstascii::glyph_font() : gstascii::edge_shapes();
    const gsize size = glyphs ? gstascii::kGlyphFontBytes : gsize(gstascii::kEdgeCount) * gstascii::kGlyphHeight;
    soup_server_message_set_response(msg, "application/octet-stream", SOUP_MEMORY_STATIC,
                                     reinterpret_cast<const char*>(bytes), size);
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
    return;
  }
  // No "..", no hidden files: the name must stay inside the root before anything touches the disk.
  g_auto(GStrv) segments = g_strsplit(decoded + 1, "/", -1);
  std::string relative;
  for (gchar** s = segments; *s; s++) {
    if (**s == '\0') continue;
    if (**s == '.') {
      respond_text(msg, strcmp(*s, "..") == 0 ? SOUP_STATUS_FORBIDDEN : SOUP_STATUS_NOT_FOUND);
      return;
    }
    relative += "/";
    relative += *s;
  }
  std::string file = root + relative;
  if (g_file_test(file.c_str(), G_FILE_TEST_IS_DIR)) file += "/index.html";
  // And after symlinks are followed, it must still be inside the root.
  std::string resolved = real_path(file);
  if (resolved.empty() || resolved.compare(0, root.size() + 1, root + "/") != 0 ||
      !g_file_test(resolved.c_str(), G_FILE_TEST_IS_REGULAR)) {
    respond_text(msg, SOUP_STATUS_NOT_FOUND);
    return;
  }
  g_autoptr(GError) error = nullptr;
  GMappedFile* mapped = g_mapped_file_new(resolved.c_str(), FALSE, &error);
  if (!mapped) {
    respond_text(msg, SOUP_STATUS_FORBIDDEN);
    return;
  }
  g_autoptr(GBytes) bytes = g_mapped_file_get_bytes(mapped);
  g_mapped_file_unref(mapped);  // |bytes| keeps the mapping
  soup_message_headers_replace(headers, "Content-Type", content_type_for(resolved));
  // The player is small and changes with the program: always revalidate.
  soup_message_headers_replace(headers, "Cache-Control", "no-cache");
  soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
  soup_message_body_append_bytes(soup_server_message_get_response_body(msg), bytes);
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
}

const char* content_type_for(const std::string& name) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/vnd.microsoft.icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".ttf", "font/ttf"},
      {".aac", "audio/aac"},
      {".wasm", "application/wasm"},
  };
  size_t dot = name.rfind('.');
  if (dot != std::string::npos) {
    g_autofree gchar* ext = g_ascii_strdown(name.c_str() + dot, -1);
    for (const auto& [suffix, type] : kTypes) {
      if (strcmp(ext, suffix) == 0) return type;
    }
  }
  return "application/octet-stream";
}

}  // namespace gstascii
