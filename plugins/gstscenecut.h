// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_SCENE_CUT (gst_scene_cut_get_type())
G_DECLARE_FINAL_TYPE(GstSceneCut, gst_scene_cut, GST, SCENE_CUT, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE(scenecut);

G_END_DECLS
