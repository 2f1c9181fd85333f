// SPDX-License-Identifier: LGPL-2.1-or-later
#include "text_reader.h"

#include <tesseract/baseapi.h>
#include <tesseract/ocrclass.h>

#include <algorithm>

namespace gstascii {

TextReader::TextReader() = default;
TextReader::~TextReader() {
  if (api_) api_->End();
}

bool TextReader::open(const std::string& language, std::string* error) {
  auto api = std::make_unique<tesseract::TessBaseAPI>();
  // Tesseract says what it could not open on stderr; the caller says it again, plainly.
  if (api->Init(nullptr, language.c_str(), tesseract::OEM_LSTM_ONLY) != 0) {
    *error = "Tesseract has no model for the language \"" + language + "\" (on Debian: apt install tesseract-ocr-" +
             language.substr(0, language.find('+')) + ")";
    return false;
  }
  // Whole pages of text in any layout.
  api->SetPageSegMode(tesseract::PSM_AUTO);
  api->SetVariable("debug_file", "/dev/null");
  api_ = std::move(api);
  return true;
}

ReadText TextReader::read(const std::uint8_t* gray, int width, int height, std::size_t stride,
                          const std::atomic<bool>* cancel) {
  ReadText result;
  if (!api_ || width < 1 || height < 1) return result;
  api_->SetImage(gray, width, height, 1, int(stride));
  // Screens are about 96 pixels an inch; saying so keeps Tesseract from guessing (and warning).
  api_->SetSourceResolution(96);
  tesseract::ETEXT_DESC monitor;
  if (cancel) {
    monitor.cancel = [](void* flag, int) { return static_cast<const std::atomic<bool>*>(flag)->load(); };
    monitor.cancel_this = const_cast<std::atomic<bool>*>(cancel);
  }
  if (api_->Recognize(&monitor) != 0 || (cancel && cancel->load())) {
    result.cancelled = cancel && cancel->load();
    api_->Clear();
    return result;
  }
  // GetUTF8Text's text is Tesseract's new[] array.
  const std::unique_ptr<char[]> text(api_->GetUTF8Text());
  result.text = tidy_read_text(text ? text.get() : "");
  result.confidence = result.text.empty() ? 0.0 : double(std::max(api_->MeanTextConf(), 0));
  api_->Clear();
  return result;
}

std::string tidy_read_text(const std::string& raw) {
  std::string out;
  bool blank_pending = false;
  std::size_t pos = 0;
  while (pos <= raw.size()) {
    std::size_t end = raw.find('\n', pos);
    if (end == std::string::npos) end = raw.size();
    std::string line = raw.substr(pos, end - pos);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\f' || line.back() == '\r'))
      line.pop_back();
    if (line.empty()) {
      blank_pending = !out.empty();
    } else {
      if (blank_pending) out += '\n';
      out += line;
      out += '\n';
      blank_pending = false;
    }
    pos = end + 1;
  }
  return out;
}

}  // namespace gstascii
