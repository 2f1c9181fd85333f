// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* Registers every gst-ascii element with |plugin|. */
gboolean gst_ascii_register_elements(GstPlugin* plugin);

/* Registers the gst-ascii elements inside the calling program, so a tool built with them needs
 * no GST_PLUGIN_PATH. Call it once, from the main thread, after gst_init(). */
gboolean gst_ascii_register_static(void);

G_END_DECLS
