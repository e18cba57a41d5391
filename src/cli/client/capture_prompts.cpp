// Prompt texts follow web/app.js, so the page and the client ask for the same movements.
#include "cli/client/capture_prompts.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/client/camera.h"

namespace faceid::cli::client {
namespace {

std::string seconds(int ms) {
  char text[16];
  std::snprintf(text, sizeof text, "%.1f", ms / 1000.0);
  return text;
}

}  // namespace

std::string action_instruction(const std::string& action) {
  if (action == "turn_left") return "Turn your head to your left, then back";
  if (action == "turn_right") return "Turn your head to your right, then back";
  if (action == "look_up") return "Look up, then back";
  if (action == "blink") return "Blink slowly";
  if (action == "frontal") return "Look straight at the camera";
  return action;
}

void CapturePrompts::challenge(const std::vector<std::string>& actions, int expires_in,
                               int min_frames, int max_frames, int capture_ms) const {
  if (json_) {
    nlohmann::json instructions = nlohmann::json::array();
    for (const auto& a : actions) instructions.push_back(action_instruction(a));
    out_ << nlohmann::json{{"event", "challenge"},         {"actions", actions},
                           {"instructions", instructions}, {"expires_in", expires_in},
                           {"min_frames", min_frames},     {"max_frames", max_frames},
                           {"capture_ms", capture_ms}}
                .dump()
         << std::endl;
    return;
  }
  out_ << "Liveness check: the server asks for " << actions.size()
       << " actions, in this order (answer within " << expires_in << " s):\n";
  for (std::size_t i = 0; i < actions.size(); ++i) {
    out_ << "  " << i + 1 << ". " << action_instruction(actions[i]) << "  [" << actions[i] << "]\n";
  }
  out_ << "Recording lasts " << seconds(capture_ms) << " s after " << seconds(kGetReadyMs)
       << " s to get ready; each action is announced here when it is due." << std::endl;
}

void CapturePrompts::photo() const {
  if (json_) {
    out_ << nlohmann::json{{"event", "photo"}}.dump() << std::endl;
    return;
  }
  out_ << "No liveness challenge: one photo will be taken." << std::endl;
}

void CapturePrompts::waiting_for_enter() const {
  if (json_) {
    out_ << nlohmann::json{{"event", "waiting_for_enter"}}.dump() << std::endl;
    return;
  }
  out_ << "Face the camera in good light and press Enter to start." << std::endl;
}

void CapturePrompts::get_ready() const {
  if (json_) {
    out_ << nlohmann::json{{"event", "recording"}}.dump() << std::endl;
    return;
  }
  out_ << "Get ready: look straight at the camera..." << std::endl;
}

void CapturePrompts::step(const std::string& step) const {
  if (json_) {
    out_ << nlohmann::json{{"event", "step"},
                           {"step", step},
                           {"instruction", action_instruction(step)}}
                .dump()
         << std::endl;
    return;
  }
  out_ << "> " << action_instruction(step) << std::endl;
}

void CapturePrompts::captured(std::size_t frames) const {
  if (json_) {
    out_ << nlohmann::json{{"event", "captured"}, {"frames", frames}}.dump() << std::endl;
    return;
  }
  out_ << "Captured " << frames << (frames == 1 ? " frame" : " frames")
       << "; checking with the server..." << std::endl;
}

}  // namespace faceid::cli::client
