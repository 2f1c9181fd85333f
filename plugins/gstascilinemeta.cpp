// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstascilinemeta.h"

#include <memory>
#include <vector>

#include "adaptive_codec.h"
#include "gstasciiraii.h"

// Both metas are a GstMeta holding one buffer: they share their functions.
namespace {
struct BufferMeta {
  GstMeta meta;
  GstBuffer* buffer;
};
static_assert(sizeof(BufferMeta) == sizeof(GstAscilineRawMeta) && sizeof(BufferMeta) == sizeof(GstAscilineSymbolMeta),
              "the metas share one layout");

GType register_api(GType* type, const char* name) {
  static const gchar* tags[] = {nullptr};
  if (g_once_init_enter(type)) g_once_init_leave(type, gst_meta_api_type_register(name, tags));
  return *type;
}

gboolean buffer_meta_init(GstMeta* meta, gpointer, GstBuffer*) {
  reinterpret_cast<BufferMeta*>(meta)->buffer = nullptr;
  return TRUE;
}

void buffer_meta_free(GstMeta* meta, GstBuffer*) {
  gst_clear_buffer(&reinterpret_cast<BufferMeta*>(meta)->buffer);
}

// Copies go with the buffer (a tee, a queue that copies); a partial copy of the message would
// not be the same frame, so only whole-buffer copies keep it.
gboolean buffer_meta_transform(GstBuffer* dest, GstMeta* meta, GstBuffer*, GQuark type, gpointer data) {
  if (!GST_META_TRANSFORM_IS_COPY(type)) return FALSE;
  auto* copy = static_cast<GstMetaTransformCopy*>(data);
  if (copy->region) return TRUE;
  auto* added = reinterpret_cast<BufferMeta*>(gst_buffer_add_meta(dest, meta->info, nullptr));
  if (added) added->buffer = gst_buffer_ref(reinterpret_cast<BufferMeta*>(meta)->buffer);
  return TRUE;
}

const GstMetaInfo* register_info(const GstMetaInfo** info, GType api, const char* name) {
  if (g_once_init_enter(info)) {
    g_once_init_leave(info, gst_meta_register(api, name, sizeof(BufferMeta), buffer_meta_init, buffer_meta_free,
                                              buffer_meta_transform));
  }
  return *info;
}

BufferMeta* add_buffer_meta(GstBuffer* buffer, const GstMetaInfo* info, GstBuffer* held) {
  auto* meta = reinterpret_cast<BufferMeta*>(gst_buffer_add_meta(buffer, info, nullptr));
  if (meta) meta->buffer = gst_buffer_ref(held);
  return meta;
}
}  // namespace

GType gst_asciline_raw_meta_api_get_type(void) {
  static GType type = 0;
  return register_api(&type, "GstAscilineRawMetaAPI");
}

GType gst_asciline_symbol_meta_api_get_type(void) {
  static GType type = 0;
  return register_api(&type, "GstAscilineSymbolMetaAPI");
}

GstAscilineRawMeta* gst_buffer_add_asciline_raw_meta(GstBuffer* buffer, GstBuffer* raw) {
  static const GstMetaInfo* info = nullptr;
  register_info(&info, GST_ASCILINE_RAW_META_API_TYPE, "GstAscilineRawMeta");
  return reinterpret_cast<GstAscilineRawMeta*>(add_buffer_meta(buffer, info, raw));
}

GstAscilineSymbolMeta* gst_buffer_add_asciline_symbol_meta(GstBuffer* buffer, GstBuffer* message) {
  static const GstMetaInfo* info = nullptr;
  register_info(&info, GST_ASCILINE_SYMBOL_META_API_TYPE, "GstAscilineSymbolMeta");
  return reinterpret_cast<GstAscilineSymbolMeta*>(add_buffer_meta(buffer, info, message));
}

GBytes* gst_asciline_raw_form(GstBuffer* tagged) {
  GstAscilineRawMeta* meta = gst_buffer_get_asciline_raw_meta(tagged);
  return meta && meta->raw ? gstascii::bytes_from_buffer(meta->raw) : nullptr;
}

GBytes* gst_asciline_tagged_form(GBytes* raw) {
  gsize size = 0;
  const auto* data = static_cast<const guint8*>(g_bytes_get_data(raw, &size));
  using Bytes = std::vector<std::uint8_t>;
  auto tagged = std::make_unique<Bytes>();
  if (!gstascii::adaptive::tag_raw_frame(data, size, tagged.get())) return nullptr;
  Bytes* held = tagged.release();
  return g_bytes_new_with_free_func(
      held->data(), held->size(), [](gpointer p) { std::unique_ptr<Bytes>(static_cast<Bytes*>(p)); }, held);
}
