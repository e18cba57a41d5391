// Which source frames of the live clip webcam_blink_turns_tfjs.mp4 show each challenge action
// (measured with bench/liveness/liveness_probe; docs/liveness.md). The clip has a blink, a
// turn to the person's right and one to their left; it has no look_up.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace faceid::testing {

// Source frame numbers (multiples of 3: the tests cut every third frame, 10 per second).
inline const std::vector<int> kTfjsFrontal = {3, 9, 15};
inline const std::map<std::string, std::vector<int>> kTfjsActions = {
    {"blink", {21, 24, 27, 30, 33, 36, 39}},
    {"turn_right", {45, 54, 63, 72, 81, 90, 99, 108}},
    {"turn_left", {138, 147, 156, 165, 174, 183, 192}},
};

// The clip's frames for `actions`, in that order, after the frontal start.
inline std::vector<int> tfjs_frames_for(const std::vector<std::string>& actions) {
  std::vector<int> out = kTfjsFrontal;
  for (const auto& a : actions) {
    const auto& seg = kTfjsActions.at(a);
    out.insert(out.end(), seg.begin(), seg.end());
  }
  return out;
}

}  // namespace faceid::testing
