// The parts of ascii-launch's pipeline, built element by element (no launch strings, so no value
// from the command line is ever parsed as pipeline syntax):
//
//   picture: queue ! videorate ! capsfilter ! videoconvert ! videoflip ! asciimap ! ascilinepay ! sink
//   sound:   queue ! audioconvert ! audioresample ! capsfilter ! AAC encoder ! aacparse ! adtsmux-out
//   demo:    videotestsrc ! capsfilter,  audiotestsrc
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

#include <string>

#include "grid_fit.h"
#include "play.h"

// Every element and bin returned is a floating reference, as from gst_element_factory_make():
// gst_bin_add() takes it.

// Names of the elements the launcher looks up again.
inline constexpr const char* kRateFilterName = "rate";     // the picture's capsfilter after videorate
inline constexpr const char* kMapName = "map";             // asciimap
inline constexpr const char* kPicturesName = "pictures";   // the tee of raw pictures before asciimap
inline constexpr const char* kSinkName = "out";            // websocketsink, or fdsink with --terminal
inline constexpr const char* kHlsPath = "/hls/";           // asciihlssink's path, whose store viewers seek in
inline constexpr const char* kAudioConvertName = "aconv";  // the first element after the sound's queue

// Makes an element, or returns nullptr and sets |missing| to a line saying which package lacks it.
GstElement* make_element(const char* factory, const char* name, std::string* missing);

// The picture's branch as a bin with a "sink" ghost pad; nullptr with |missing| set if an element
// is not installed.
GstElement* make_video_branch(const PlayOptions& opt, bool on_demand, std::string* missing);

// The sound's branch as a bin with a "sink" ghost pad: AAC (libav's encoder, else voaacenc) served
// as ADTS on the pipeline's server. nullptr with |missing| set when no AAC encoder is installed.
struct SoundServed {
  bool listeners = true;   // at /audio, and to the HLS sink (a src pad "hls")
  bool on_demand = false;  // /audio from the store, each listener on its own clock (a file on demand)
  bool terminals = true;   // at /tty/audio, as it comes: the sound of /tty's picture (ascii-launch view)
};
inline constexpr const char* kTtyAudioName = "tty-audio";  // adtsmux-out of /tty/audio
inline constexpr const char* kTtyAudioPath = "/tty/audio";
GstElement* make_audio_branch(const SoundServed& served, std::string* missing);
// The picture's branch of a file's terminals (TtyChannel): the picture branch's start, up to the
// tee of raw pictures that add_tty_branches() hangs the /tty sizes on.
GstElement* make_tty_channel_video(const PlayOptions& opt, std::string* missing);
// asciihlssink for the served stream: a file's every segment (playlist type file), a live
// source's --dvr window (kLiveHlsSeconds without one), written to --hls-dir when given. The video
// and audio branches each have a src pad "hls" for it.
GstElement* make_hls_sink(const PlayOptions& opt, bool file, std::string* missing);
// A stream nobody shows (a second picture, subtitles, sound with --no-audio) still needs a sink,
// or its not-linked flow could stop the demuxer: a fakesink in |pipeline| takes it.
void discard_stream(GstElement* pipeline, GstPad* pad);

// What a stream uridecodebin exposed carries, from its pad's caps. Still pictures (a PNG, a JPEG)
// have a frame rate of 0: imagefreeze repeats the one frame, as a viewer expects.
enum class DecodedStream { kPicture, kStillPicture, kSound, kOther };
DecodedStream decoded_stream(GstPad* pad);
inline bool is_picture(DecodedStream kind) {
  return kind == DecodedStream::kPicture || kind == DecodedStream::kStillPicture;
}
// An imagefreeze added to |pipeline| and linked to |target|'s sink pad, for a still picture to go
// through; null (and |missing| says why) without it.
GstElement* add_freeze_before(GstElement* pipeline, GstElement* target, std::string* missing);

// ascii-launch --terminal's branches, each a bin with a "sink" ghost pad: the picture drawn on
// standard output (queue ! videorate ! videoconvert ! videoflip ! asciimap ! asciiansienc ! fdsink,
// at most |fps| frames a second), and the sound played here (... ! autoaudiosink).
inline constexpr const char* kAnsiName = "ansi";  // asciiansienc
GstElement* make_terminal_video_branch(int fps, const std::string& style, const std::string& colors,
                                       const std::string& symbols, std::string* missing);
GstElement* make_local_audio_branch(std::string* missing);

// The shape of the picture a pad probe's caps event describes; false for any other probe.
bool picture_shape_from_caps_event(GstPadProbeInfo* info, gstascii::PictureShape* shape);
// Sets asciimap |map| to the largest grid of |picture|'s shape in a terminal of |term_cols| x
// |term_rows| cells (each |cell_aspect| as wide as high), and asciiansienc |ansi| to centre it.
void fit_cells_to_terminal(GstElement* map, GstElement* ansi, const gstascii::PictureShape& picture, int term_cols,
                           int term_rows, double cell_aspect);

// The terminal sizes the served stream offers at /tty (the first) and /tty?size=COLSxROWS, each a
// branch of the picture tee, encoded only while a terminal watches it.
struct TtySize {
  int cols, rows;
};
inline constexpr TtySize kTtySizes[] = {{80, 24}, {120, 40}, {160, 48}, {200, 60}};
inline constexpr const char* kTtyPath = "/tty";
// Adds the /tty branches to |video_bin| (made by make_video_branch); with |tcp_port|, the first size
// is also served raw on that TCP port of |host| (nc HOST PORT).
bool add_tty_branches(GstElement* video_bin, guint tcp_port, const std::string& host, std::string* missing);

// The demo's picture and sound sources (live test patterns), each a bin with a "src" ghost pad.
GstElement* make_demo_video(const PlayOptions& opt, std::string* missing);
GstElement* make_demo_audio(const PlayOptions& opt, std::string* missing);
