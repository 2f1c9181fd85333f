// SPDX-License-Identifier: LGPL-2.1-or-later
// ascii-launch's pipeline: the server, the picture's branch (with /tty's and HLS's), the source
// (uridecodebin or the demo) and, as uridecodebin exposes them, its streams linked to their
// branches. The branches themselves are in play_branches.cpp. uridecodebin keeps its default caps
// (raw video, audio and text with any caps features): restricting them to plain video/x-raw makes
// decodebin refuse ordinary H.264, HEVC, MPEG-4 and GIF files on GStreamer 1.22 ("missing a
// plug-in").
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gio/gio.h>
#include <gst/gst.h>

#include <memory>
#include <string>

#include "play_app.h"
#include "play_branches.h"

namespace play {

namespace {

void discard(App* app, GstPad* pad) {
  discard_stream(app->pipeline, pad);
}

// libav's GIF decoder (gst-libav 1.22) stamps every picture 0: a picture whose time does not move
// on from the one before is placed after it by the earlier one's duration. Times that do move
// are left alone (a variable-rate file's durations may not match its gaps). A new segment (a
// seek, a --loop round) starts afresh.
struct PictureTimes {
  GstClockTime last = GST_CLOCK_TIME_NONE;
  GstClockTime last_duration = GST_CLOCK_TIME_NONE;
};

GstPadProbeReturn restamp_pictures(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* times = static_cast<PictureTimes*>(data);
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_SEGMENT) *times = PictureTimes();
    return GST_PAD_PROBE_OK;
  }
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  const GstClockTime pts = GST_BUFFER_PTS(buf);
  if (GST_CLOCK_TIME_IS_VALID(pts) && GST_CLOCK_TIME_IS_VALID(times->last) && pts <= times->last &&
      GST_CLOCK_TIME_IS_VALID(times->last_duration) && times->last_duration > 0) {
    buf = gst_buffer_make_writable(buf);
    GST_PAD_PROBE_INFO_DATA(info) = buf;
    GST_BUFFER_PTS(buf) = times->last + times->last_duration;
  }
  times->last = GST_BUFFER_PTS(buf);
  times->last_duration = GST_BUFFER_DURATION(buf);
  return GST_PAD_PROBE_OK;
}

// Adds |element| to the pipeline, starts it and links |pad| to its sink pad.
bool link_to(App* app, GstPad* pad, GstElement* element) {
  if (!gst_object_has_as_parent(GST_OBJECT(element), GST_OBJECT(app->pipeline)))
    gst_bin_add(GST_BIN(app->pipeline), element);
  gst_element_sync_state_with_parent(element);
  g_autoptr(GstPad) sink = gst_element_get_static_pad(element, "sink");
  return gst_pad_link(pad, sink) == GST_PAD_LINK_OK;
}

// The sound branch's AAC to the HLS sink's audio pad (requested now: a source may have no sound).
bool link_sound_to_hls(App* app, GstElement* branch) {
  if (!app->hls) return true;
  if (!gst_element_link_pads(branch, "hls", app->hls, "audio")) {
    GST_ELEMENT_ERROR(app->hls, CORE, NEGOTIATION, ("Cannot link the sound to the HLS sink"), (nullptr));
    return false;
  }
  return true;
}

// Links a stream uridecodebin exposed: the first picture to the picture's branch (through
// imagefreeze for a still), the first sound to a sound branch made for it.
void on_pad_added(GstElement* decoder, GstPad* pad, gpointer data) {
  auto* app = static_cast<App*>(data);
  const DecodedStream kind = decoded_stream(pad);
  bool linked = true;
  if (is_picture(kind) && g_atomic_int_compare_and_exchange(&app->video_linked, FALSE, TRUE)) {
    gst_pad_add_probe(pad, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                      restamp_pictures, std::make_unique<PictureTimes>().release(),
                      [](gpointer times) { std::unique_ptr<PictureTimes>(static_cast<PictureTimes*>(times)); });
    if (kind == DecodedStream::kStillPicture) {
      // imagefreeze repeats it for ever: encoded in real time, it is no file to get ahead of.
      if (app->on_demand) {
        g_atomic_int_set(&app->still_picture, TRUE);
        g_object_set(app->sink, "sync", TRUE, nullptr);
        // The sound's branch (a bin "audio" around adtsmux-out "audio"), if it is made already.
        g_autoptr(GstElement) branch = gst_bin_get_by_name(GST_BIN(app->pipeline), "audio");
        g_autoptr(GstElement) audio =
            branch && GST_IS_BIN(branch) ? gst_bin_get_by_name(GST_BIN(branch), "audio") : nullptr;
        if (audio) g_object_set(audio, "sync", TRUE, nullptr);
      }
      std::string missing;
      GstElement* freeze = add_freeze_before(app->pipeline, app->video_bin, &missing);
      if (!freeze) {
        GST_ELEMENT_ERROR(decoder, CORE, MISSING_PLUGIN, ("%s", missing.c_str()), (nullptr));
        return;
      }
      linked = link_to(app, pad, freeze);
    } else {
      linked = link_to(app, pad, app->video_bin);
    }
  } else if (kind == DecodedStream::kSound && app->opt->audio &&
             g_atomic_int_compare_and_exchange(&app->audio_linked, FALSE, TRUE)) {
    std::string missing;
    // On demand, a file's terminals hear the sound of their own playback (TtyChannel).
    SoundServed served;
    served.on_demand = app->on_demand && !g_atomic_int_get(&app->still_picture);
    served.terminals = !app->on_demand;
    GstElement* branch = make_audio_branch(served, &missing);
    if (!branch) {
      g_printerr("ascii-launch: %s: serving without sound\n", missing.c_str());
      discard(app, pad);
      return;
    }
    gst_bin_add(GST_BIN(app->pipeline), branch);
    end_branch_on_interrupt(app, branch, kAudioConvertName);
    linked = link_to(app, pad, branch) && link_sound_to_hls(app, branch);
  } else {
    discard(app, pad);
  }
  if (!linked) GST_ELEMENT_ERROR(decoder, CORE, NEGOTIATION, ("Cannot link a decoded stream"), (nullptr));
}

void on_no_more_pads(GstElement* decoder, gpointer data) {
  auto* app = static_cast<App*>(data);
  if (g_atomic_int_get(&app->video_linked)) return;
  GST_ELEMENT_ERROR(
      decoder, STREAM, WRONG_TYPE,
      ("%s", g_atomic_int_get(&app->audio_linked) ? "it has sound but no picture to draw" : "it has no picture stream"),
      (nullptr));
}

}  // namespace

bool build(App* app) {
  const PlayOptions& opt = *app->opt;
  std::string missing;
  app->pipeline = gst_pipeline_new("ascii-launch");
  {
    // One server for the picture and the sound, listening before either starts: a port in use is
    // said at once, and --port 0 is one free port for both.
    app->server = gst_ascii_server_new(opt.host.c_str(), opt.port);
    g_autoptr(GError) error = nullptr;
    if (!gst_ascii_server_start(app->server, &error)) {
      g_printerr("ascii-launch: cannot serve on %s port %u: %s%s\n", opt.host.c_str(), opt.port, error->message,
                 g_error_matches(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE) ? " (choose another with --port)" : "");
      return false;
    }
    g_autoptr(GstContext) context = gst_ascii_server_context_new(app->server, TRUE);
    gst_element_set_context(app->pipeline, context);
  }
  // A file (not looped, not cut short by --frames) is served on demand.
  app->on_demand = !opt.loop && opt.frames == 0 && g_str_has_prefix(opt.uri.c_str(), "file://");
  app->video_bin = make_video_branch(opt, app->on_demand, &missing);
  if (!app->video_bin) {
    g_printerr("ascii-launch: %s\n", missing.c_str());
    return false;
  }
  // Terminals watch at /tty (curl -N), and on --tty-port (nc): the pictures served, or for a file
  // on demand (whose pictures run ahead of real time) a playback of their own.
  if (app->on_demand) app->tty_channel = std::make_unique<TtyChannel>();
  const bool terminals = app->tty_channel ? app->tty_channel->build(opt, app->server, &missing)
                                          : add_tty_branches(app->video_bin, opt.tty_port, opt.host, &missing);
  if (!terminals) {
    g_printerr("ascii-launch: %s\n", missing.c_str());
    gst_object_unref(gst_object_ref_sink(app->video_bin));
    app->video_bin = nullptr;
    return false;
  }
  gst_bin_add(GST_BIN(app->pipeline), app->video_bin);
  app->sink = gst_bin_get_by_name(GST_BIN(app->video_bin), kSinkName);
  {
    // The same stream as HLS at /hls/ (and in --hls-dir): a file keeps every segment, a live
    // source its --dvr window or the last half minute.
    const bool file = g_str_has_prefix(opt.uri.c_str(), "file://");
    app->hls = make_hls_sink(opt, file, &missing);
    if (!app->hls) {
      g_printerr("ascii-launch: %s\n", missing.c_str());
      return false;
    }
    // A file on demand keeps all of itself for its viewers: on disk, not in memory (a film's
    // cells are gigabytes), in a folder of our own unless --hls-dir names one.
    if (app->on_demand && opt.hls_dir.empty()) {
      g_autoptr(GError) error = nullptr;
      g_autofree gchar* spool = g_dir_make_tmp("ascii-launch-XXXXXX", &error);
      if (!spool) {
        g_printerr("ascii-launch: cannot make a folder for the encoded file: %s\n", error->message);
        return false;
      }
      app->spool_dir = spool;
      g_object_set(app->hls, "location", spool, nullptr);
    }
    // On demand, a viewer who seeks past what is encoded moves the encoder (EncoderMover answers
    // the sink's ascii-store-needs), and the spans skipped are encoded after.
    g_object_set(app->hls, "fill-gaps", app->on_demand, nullptr);
    gst_bin_add(GST_BIN(app->pipeline), app->hls);
    if (!gst_element_link_pads(app->video_bin, "hls", app->hls, "video")) {
      g_printerr("ascii-launch: cannot link the picture to the HLS sink\n");
      return false;
    }
    if (app->on_demand) {
      app->mover = std::make_unique<EncoderMover>(app->pipeline);
      g_autoptr(GstPad) stored = gst_element_get_static_pad(app->hls, "video");
      if (stored) app->mover->watch_stored(stored);
      g_autoptr(GstElement) rate = gst_bin_get_by_name(GST_BIN(app->video_bin), kRateFilterName);
      g_autoptr(GstPad) cut = rate ? gst_element_get_static_pad(rate, "src") : nullptr;
      if (cut) app->mover->watch_rate_output(cut);
    }
  }

  if (!opt.uri.empty()) {
    GstElement* decoder = make_element("uridecodebin", "source", &missing);
    if (!decoder) {
      g_printerr("ascii-launch: %s\n", missing.c_str());
      return false;
    }
    g_object_set(decoder, "uri", opt.uri.c_str(), "expose-all-streams", FALSE, nullptr);
    app->decoder = decoder;
    gst_bin_add(GST_BIN(app->pipeline), decoder);
    g_signal_connect(decoder, "pad-added", G_CALLBACK(on_pad_added), app);
    g_signal_connect(decoder, "no-more-pads", G_CALLBACK(on_no_more_pads), app);
    if (app->mover) {
      g_signal_connect(decoder, "deep-element-added",
                       G_CALLBACK(+[](GstBin*, GstBin*, GstElement* element, gpointer data) {
                         static_cast<App*>(data)->mover->watch_decoder(element);
                       }),
                       app);
    }
    return true;
  }
  GstElement* video = make_demo_video(opt, &missing);
  if (!video) {
    g_printerr("ascii-launch: %s\n", missing.c_str());
    return false;
  }
  gst_bin_add(GST_BIN(app->pipeline), video);
  gst_element_link(video, app->video_bin);
  if (!opt.audio) return true;
  GstElement* audio = make_audio_branch(SoundServed(), &missing);
  GstElement* tone = audio ? make_demo_audio(opt, &missing) : nullptr;
  if (!audio || !tone) {
    if (audio) gst_object_unref(gst_object_ref_sink(audio));  // floating: never added
    g_printerr("ascii-launch: %s: serving without sound\n", missing.c_str());
    return true;
  }
  gst_bin_add_many(GST_BIN(app->pipeline), tone, audio, nullptr);
  gst_element_link(tone, audio);
  end_branch_on_interrupt(app, audio, kAudioConvertName);
  return link_sound_to_hls(app, audio);
}

}  // namespace play
