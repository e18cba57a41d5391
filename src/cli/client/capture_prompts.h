// CapturePrompts: what the client tells the person in front of the camera, on stderr (stdout
// carries only the result). As plain sentences, or with --prompts json one JSON object a line
// for a program driving the client (a test, a kiosk front end).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace faceid::cli::client {

class CapturePrompts {
 public:
  CapturePrompts(std::ostream& out, bool json) : out_(out), json_(json) {}

  // The server's challenge: the actions in order, the time left to answer it.
  void challenge(const std::vector<std::string>& actions, int expires_in, int min_frames,
                 int max_frames, int capture_ms) const;
  // No challenge: one photo will be taken.
  void photo() const;
  // Asks for Enter before recording starts.
  void waiting_for_enter() const;
  // Recording started: the first frames are not used while the person settles.
  void get_ready() const;
  // The timeline entered `step` ("frontal" or an action).
  void step(const std::string& step) const;
  // Recording ended with `frames` frames, now sent to the server.
  void captured(std::size_t frames) const;

 private:
  std::ostream& out_;
  bool json_;
};

// The sentence that asks for `action` (the action name itself when it is unknown).
std::string action_instruction(const std::string& action);

}  // namespace faceid::cli::client
