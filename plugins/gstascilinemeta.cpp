// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstascilinemeta.h"

#include <memory>
#include <vector>

#include "adaptive_codec.h"
#include "gstasciiraii.h"

GType gst_asciline_raw_meta_api_get_type(void) {
  static GType type = 0;
  static const gchar* tags[] = {nullptr};
  if (g_once_init_enter(&type)) {
    g_once_init_leave(&type, gst_meta_api_type_register("GstAscilineRawMetaAPI", tags));
  }
  return type;
}

static gboolean raw_meta_init(GstMeta* meta, gpointer, GstBuffer*) {
  reinterpret_cast<GstAscilineRawMeta*>(meta)->raw = nullptr;
  return TRUE;
}

static void raw_meta_free(GstMeta* meta, GstBuffer*) {
  gst_clear_buffer(&reinterpret_cast<GstAscilineRawMeta*>(meta)->raw);
}

// Copies go with the buffer (a tee, a queue that copies); a partial copy of the message would
// not be the same frame, so only whole-buffer copies keep it.
static gboolean raw_meta_transform(GstBuffer* dest, GstMeta* meta, GstBuffer*, GQuark type, gpointer data) {
  if (!GST_META_TRANSFORM_IS_COPY(type)) return FALSE;
  auto* copy = static_cast<GstMetaTransformCopy*>(data);
  if (copy->region) return TRUE;
  gst_buffer_add_asciline_raw_meta(dest, reinterpret_cast<GstAscilineRawMeta*>(meta)->raw);
  return TRUE;
}

static const GstMetaInfo* raw_meta_info() {
  static const GstMetaInfo* info = nullptr;
  if (g_once_init_enter(&info)) {
    const GstMetaInfo* registered =
        gst_meta_register(GST_ASCILINE_RAW_META_API_TYPE, "GstAscilineRawMeta", sizeof(GstAscilineRawMeta),
                          raw_meta_init, raw_meta_free, raw_meta_transform);
    g_once_init_leave(&info, registered);
  }
  return info;
}

GstAscilineRawMeta* gst_buffer_add_asciline_raw_meta(GstBuffer* buffer, GstBuffer* raw) {
  auto* meta = reinterpret_cast<GstAscilineRawMeta*>(gst_buffer_add_meta(buffer, raw_meta_info(), nullptr));
  if (meta) meta->raw = gst_buffer_ref(raw);
  return meta;
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
