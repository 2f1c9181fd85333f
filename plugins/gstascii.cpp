// The loadable gst-ascii plugin (libgstascii.so).
// SPDX-License-Identifier: LGPL-2.1-or-later
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstasciielements.h"

static gboolean plugin_init(GstPlugin* plugin) {
  return gst_ascii_register_elements(plugin);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, ascii,
                  "Character-cell art from video, and the ASCILINE wire format", plugin_init, PACKAGE_VERSION,
                  GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
