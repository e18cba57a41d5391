// `faceid client ...`: a command-line client of a FaceID server (register, login, verify,
// me, refresh, logout, delete). Prints JSON; the exit code says what happened:
// 0 success, 2 refused by the server, 3 invalid input, 4 server unreachable or unavailable,
// 1 anything else (a server error).
#pragma once

#include <memory>

namespace CLI {
class App;
}

namespace faceid::cli::client {

inline constexpr int kExitOk = 0;
inline constexpr int kExitOther = 1;
inline constexpr int kExitRefused = 2;
inline constexpr int kExitInvalidInput = 3;
inline constexpr int kExitUnreachable = 4;

class ClientCommand {
 public:
  // Adds the `client` subcommand and its own subcommands to `app`.
  static std::unique_ptr<ClientCommand> attach(CLI::App& app);
  virtual ~ClientCommand() = default;
  // True when the command line chose `client`.
  virtual bool selected() const = 0;
  // Runs the chosen client subcommand; returns the exit code.
  virtual int run() = 0;
};

}  // namespace faceid::cli::client
