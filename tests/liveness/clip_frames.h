// Frames for the liveness end-to-end tests, made at test time with ffmpeg from the shared
// test data (never committed): every third frame of a live webcam clip (10 per second, as the
// sign-in page sends them, at most 640 px wide), and perspective warps of a still photo.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "support/server_process.h"
#include "support/temp_dir.h"

namespace faceid::testing {

inline std::string sequence_path(const std::string& clip) {
  return std::string(FACEID_TESTDATA_DIR) + "/liveness/sequences/" + clip;
}

inline bool run_ffmpeg(const std::string& args) {
  const std::string cmd = std::string(FACEID_FFMPEG) + " -nostdin -loglevel error -y " + args;
  return std::system(cmd.c_str()) == 0;
}

// Every third frame of `clip` into dir/stem_NNNN.jpg; frame k of the result is source frame 3k.
inline bool cut_every_third_frame(const std::string& clip, const TempDir& dir,
                                  const std::string& stem) {
  return run_ffmpeg("-i " + sequence_path(clip) +
                    " -vf \"select=not(mod(n\\,3)),scale='min(640,iw)':-2\" -vsync vfr -q:v 3"
                    " -start_number 0 " +
                    dir.file(stem + "_%04d.jpg"));
}

// The frame of `stem` cut from source frame n (a multiple of 3).
inline std::string clip_frame(const TempDir& dir, const std::string& stem, int n) {
  char name[32];
  std::snprintf(name, sizeof name, "_%04d.jpg", n / 3);
  return read_file(dir.file(stem + name));
}

// `photo` (640 px wide) seen on a sheet tilted away by `amount` (0..0.45) on its right side
// (+) or its left side (-): the perspective a photo held at an angle shows.
inline std::string tilted_photo(const std::string& photo, double amount, const TempDir& dir) {
  const std::string out = dir.file("tilt_" + std::to_string(amount) + ".jpg");
  const std::string d = std::to_string(std::abs(amount));
  std::string corners;
  if (amount >= 0) {
    corners = "x0=0:y0=0:x1=W*(1-" + d + "):y1=H*" + d + ":x2=0:y2=H:x3=W*(1-" + d + "):y3=H*(1-" +
              d + ")";
  } else {
    corners = "x0=W*" + d + ":y0=H*" + d + ":x1=W:y1=0:x2=W*" + d + ":y2=H*(1-" + d + "):x3=W:y3=H";
  }
  if (!run_ffmpeg("-i " + photo + " -vf \"scale=640:-2,perspective=" + corners +
                  ":sense=destination\" -q:v 3 " + out)) {
    return {};
  }
  return read_file(out);
}

}  // namespace faceid::testing
