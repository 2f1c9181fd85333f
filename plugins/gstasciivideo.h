// Video caps in the plain terms of the core library (gst/): what the elements hand to it.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/video/video.h>

#include "area_average.h"
#include "grid_fit.h"

namespace gstascii {

// Describes a negotiated video layout to the averager in plain numbers.
inline FrameLayout frame_layout_from_info(const GstVideoInfo* info) {
  FrameLayout layout;
  const bool gray = GST_VIDEO_INFO_IS_GRAY(info);
  layout.model = gray ? ColourModel::kGray : (GST_VIDEO_INFO_IS_YUV(info) ? ColourModel::kYuv : ColourModel::kRgb);
  layout.n_components = gray ? 1 : 3;
  for (int c = 0; c < layout.n_components; c++) {
    ComponentLayout& comp = layout.comp[c];
    comp.plane = GST_VIDEO_INFO_COMP_PLANE(info, c);
    comp.offset = GST_VIDEO_INFO_COMP_POFFSET(info, c);
    comp.pixel_stride = GST_VIDEO_INFO_COMP_PSTRIDE(info, c);
    comp.width = GST_VIDEO_INFO_COMP_WIDTH(info, c);
    comp.height = GST_VIDEO_INFO_COMP_HEIGHT(info, c);
  }
  if (layout.model == ColourModel::kYuv) {
    gdouble kr = 0.299, kb = 0.114;
    if (!gst_video_color_matrix_get_Kr_Kb(info->colorimetry.matrix, &kr, &kb)) {
      kr = 0.299;  // unknown matrix: BT.601, what most SD and web video uses
      kb = 0.114;
    }
    layout.kr = kr;
    layout.kb = kb;
    layout.full_range = info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;
  }
  return layout;
}

// The picture's size and pixel shape.
inline PictureShape picture_shape_from_info(const GstVideoInfo* info) {
  return PictureShape{GST_VIDEO_INFO_WIDTH(info), GST_VIDEO_INFO_HEIGHT(info), GST_VIDEO_INFO_PAR_N(info),
                      GST_VIDEO_INFO_PAR_D(info)};
}

}  // namespace gstascii
