// gst-ascii core: the text in a picture (a slide, a page of code, a terminal), read with
// Tesseract, for agents that read a session's words rather than its pictures.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace tesseract {
class TessBaseAPI;
}

namespace gstascii {

struct ReadText {
  std::string text;         // lines as Tesseract found them, blank runs squeezed, trimmed
  double confidence = 0.0;  // Tesseract's mean word confidence, 0..100 (0 with no text)
  bool cancelled = false;   // |cancel| was set before it finished: no text
};

// One Tesseract engine: use it from one thread at a time.
class TextReader {
 public:
  TextReader();
  ~TextReader();
  TextReader(const TextReader&) = delete;
  TextReader& operator=(const TextReader&) = delete;

  // Loads the model of |language| (Tesseract's names: "eng", "deu", "eng+deu"); false with
  // |error| set when its data is not installed (Debian: tesseract-ocr-LANG).
  bool open(const std::string& language, std::string* error);
  // An 8-bit grey picture (a Y plane) of |width| x |height|, rows |stride| bytes apart. Another
  // thread may set |cancel| to stop a read under way (Tesseract looks at it word by word).
  ReadText read(const std::uint8_t* gray, int width, int height, std::size_t stride,
                const std::atomic<bool>* cancel = nullptr);

 private:
  std::unique_ptr<tesseract::TessBaseAPI> api_;
};

// Tidies Tesseract's text: trailing spaces and form feeds off each line, runs of blank lines
// squeezed to one, none at the start or end.
std::string tidy_read_text(const std::string& raw);

}  // namespace gstascii
