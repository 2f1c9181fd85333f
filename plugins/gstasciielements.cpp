// SPDX-License-Identifier: LGPL-2.1-or-later
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstasciielements.h"

#include "gstadtsmuxout.h"
#include "gstasciiansienc.h"
#include "gstasciihlssink.h"
#include "gstascilinepay.h"
#include "gstasciimap.h"
#include "gstasciirender.h"
#include "gstasciittysink.h"
#include "gstscenecut.h"
#include "gstsessionsink.h"
#include "gstwebsocketsink.h"

gboolean gst_ascii_register_elements(GstPlugin* plugin) {
  gboolean ok = FALSE;
  ok |= GST_ELEMENT_REGISTER(asciimap, plugin);
  ok |= GST_ELEMENT_REGISTER(asciirender, plugin);
  ok |= GST_ELEMENT_REGISTER(asciiansienc, plugin);
  ok |= GST_ELEMENT_REGISTER(ascilinepay, plugin);
  ok |= GST_ELEMENT_REGISTER(websocketsink, plugin);
  ok |= GST_ELEMENT_REGISTER(asciihlssink, plugin);
  ok |= GST_ELEMENT_REGISTER(adtsmux_out, plugin);
  ok |= GST_ELEMENT_REGISTER(asciittysink, plugin);
  ok |= GST_ELEMENT_REGISTER(scenecut, plugin);
  ok |= GST_ELEMENT_REGISTER(sessionsink, plugin);
  return ok;
}

gboolean gst_ascii_register_static(void) {
  // The program's own elements replace those of an installed copy of the plugin, so the tool
  // always runs the code it was built with.
  static gboolean registered = FALSE;
  if (registered) return TRUE;
  registered = TRUE;
  return gst_plugin_register_static(
      GST_VERSION_MAJOR, GST_VERSION_MINOR, "ascii", "Character-cell art from video, and the ASCILINE wire format",
      gst_ascii_register_elements, PACKAGE_VERSION, GST_LICENSE, PACKAGE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN);
}
