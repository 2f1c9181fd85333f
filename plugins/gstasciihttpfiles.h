// The web player's files, served from a document root by the HTTP server for every path no sink
// owns, and the plain-text answers every route gives for what it refuses.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <libsoup/soup.h>

#include <string>

namespace gstascii {

// Answers GET and HEAD for the file at the percent-encoded |path| under |root| (an absolute path
// with symlinks resolved): nothing outside |root|, no hidden files, index.html for a folder.
void serve_file(const std::string& root, SoupServerMessage* msg, const char* path);

// The content type served for a file name, from its extension ("index.html" -> "text/html;
// charset=utf-8"); "application/octet-stream" when unknown.
const char* content_type_for(const std::string& name);

// Sets |status| and a short text/plain body (the status phrase when |text| is null).
void respond_text(SoupServerMessage* msg, guint status, const char* text = nullptr);
// 200 with |json| (application/json, never cached); other methods than GET and HEAD get 405.
void respond_json(SoupServerMessage* msg, const char* json);

// The canonical absolute form of |path| (symlinks resolved), or "" when it does not exist.
std::string real_path(const std::string& path);

}  // namespace gstascii
