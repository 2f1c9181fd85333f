// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ASCILINE_PAY (gst_asciline_pay_get_type())
G_DECLARE_FINAL_TYPE(GstAscilinePay, gst_asciline_pay, GST, ASCILINE_PAY, GstElement)

#define GST_TYPE_ASCILINE_INIT_FORM (gst_asciline_init_form_get_type())
GType gst_asciline_codec_get_type(void);
#define GST_TYPE_ASCILINE_CODEC (gst_asciline_codec_get_type())
GType gst_asciline_init_form_get_type(void);

GST_ELEMENT_REGISTER_DECLARE(ascilinepay);

G_END_DECLS
