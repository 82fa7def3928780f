// Flag parsing and option helpers shared by the `tlspp` subcommands.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands.h"
#include "tlspp/config.h"
#include "tlspp/error.h"
#include "tlspp/types.h"

namespace tlspp::cli {

// One accepted flag: "--alpn" with a value, or "--insecure" without.
struct FlagSpec {
  const char* name;
  bool takes_value;
  // For a flag without a separate value: also accept "--name=value" (e.g. --trace=mermaid).
  bool optional_value = false;
};

// A parsed command line: the flags in the order given, and the positional arguments.
struct Args {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> flags;

  [[nodiscard]] bool has(std::string_view name) const;
  // The last value given for `name`.
  [[nodiscard]] std::optional<std::string> value(std::string_view name) const;
  // Every value given for a repeatable flag, in order.
  [[nodiscard]] std::vector<std::string> values(std::string_view name) const;
};

// Accepts "--flag VALUE", "--flag=VALUE" and "--" (the rest is positional); anything else
// starting with "-" that is not in `spec` is an error naming it.
[[nodiscard]] Result<Args> parse_args(const std::vector<std::string>& argv, std::initializer_list<FlagSpec> spec);

// "a,b, c" -> {"a", "b", "c"} (empty items dropped).
[[nodiscard]] std::vector<std::string> split_list(std::string_view list);
// IANA names ("TLS_AES_128_GCM_SHA256"), case-insensitive.
[[nodiscard]] Result<std::vector<CipherSuite>> parse_cipher_suites(std::string_view list);
// IANA names ("x25519", "secp256r1") and the aliases P-256, P-384, P-521, prime256v1.
[[nodiscard]] Result<std::vector<NamedGroup>> parse_groups(std::string_view list);
// The two-character sequences \r and \n become CR and LF; everything else is kept.
[[nodiscard]] std::string unescape_crlf(std::string_view text);

// Applies --alpn, --groups, --ciphers and --keylog (or $SSLKEYLOGFILE) to `options`.
[[nodiscard]] Status apply_common_options(const Args& args, CommonOptions& options);

// One line for a human: the alert name only where one was involved.
[[nodiscard]] std::string describe(const Error& e);

// Prints "tlspp NAME: MESSAGE" and the command's usage line to stderr; returns exit code 2.
int usage_error(const Command& command, const std::string& message);

}  // namespace tlspp::cli
