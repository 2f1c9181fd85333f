// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

#include "gstasciiserversink.h"

G_BEGIN_DECLS

#define GST_TYPE_ADTS_MUX_OUT (gst_adts_mux_out_get_type())
G_DECLARE_FINAL_TYPE(GstAdtsMuxOut, gst_adts_mux_out, GST, ADTS_MUX_OUT, GstAsciiServerSink)

GST_ELEMENT_REGISTER_DECLARE(adtsmux_out);

G_END_DECLS
