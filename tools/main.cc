// tlspp: a TLS 1.3 client, server, demo and benchmark in one command.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "commands.h"

namespace tlspp::cli {

namespace {
std::vector<Command>& registry() {
  static std::vector<Command> r;
  return r;
}

void usage(std::FILE* out) {
  std::fprintf(out, "usage: tlspp COMMAND [options]\n\ncommands:\n");
  auto cmds = commands();
  std::sort(cmds.begin(), cmds.end(), [](const Command& a, const Command& b) { return std::strcmp(a.name, b.name) < 0; });
  for (const auto& c : cmds) std::fprintf(out, "  %-10s %s\n      tlspp %s\n", c.name, c.summary, c.usage);
}
}  // namespace

Registration::Registration(Command c) { registry().push_back(c); }
const std::vector<Command>& commands() { return registry(); }

}  // namespace tlspp::cli

int main(int argc, char** argv) {
  using namespace tlspp::cli;
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (const auto& c : commands()) {
    if (!std::strcmp(c.name, argv[1])) return c.run(std::vector<std::string>(argv + 2, argv + argc));
  }
  std::fprintf(stderr, "tlspp: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}
