// The `tlspp` command line: each subcommand lives in its own file and registers itself
// here, so that main.cc needs no edit when one is added.
#pragma once

#include <string>
#include <vector>

namespace tlspp::cli {

struct Command {
  const char* name;     // "client"
  const char* usage;    // one line: "client HOST:PORT [--servername NAME] ..."
  const char* summary;  // one sentence for `tlspp --help`
  int (*run)(const std::vector<std::string>& args);  // args after the subcommand name
};

// Registers a command at static initialisation: `static const Registration reg{{...}};`
struct Registration {
  explicit Registration(Command c);
};

[[nodiscard]] const std::vector<Command>& commands();

}  // namespace tlspp::cli
