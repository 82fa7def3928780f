// Flag parsing and option helpers shared by the `tlspp` subcommands.
#pragma once

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands.h"
#include "tlspp/config.h"
#include "tlspp/error.h"
#include "tlspp/types.h"

namespace tlspp::cli {

// One accepted flag: "--alpn" with a value, or "--insecure" without, with what `--help`
// says about it.
struct FlagSpec {
  const char* name;
  bool takes_value;
  // For a flag without a separate value: also accept "--name=value" (e.g. --trace=mermaid).
  bool optional_value = false;
  const char* metavar = "";  // what the value is, for --help: "FILE"; for optional values "[=text|mermaid]"
  const char* help = "";     // one sentence for --help (may span lines, split by '\n')
  bool repeatable = false;   // may be given more than once (otherwise twice is a usage error)
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
// starting with "-" that is not in `spec` is an error naming it, and so is a second use of
// a flag that is not repeatable.
[[nodiscard]] Result<Args> parse_args(const std::vector<std::string>& argv, std::span<const FlagSpec> spec);
[[nodiscard]] Result<Args> parse_args(const std::vector<std::string>& argv, std::initializer_list<FlagSpec> spec);

// True when `argv` asks for help: "--help" or "-h" anywhere before "--".
[[nodiscard]] bool wants_help(const std::vector<std::string>& argv);
// Prints a command's --help to stdout: its usage line, `about` (a paragraph), every flag of
// `spec` on its own line with its sentence, then `notes` (may be empty). Returns 0.
int print_help(const Command& command, std::span<const FlagSpec> spec, const char* about, const char* notes = "");
// The same for a program of its own (tlspp-bench): `usage` is all that follows "usage: ".
// A flag's sentence may hold '\n': the lines after the first are indented under it.
int print_program_help(const std::string& usage, std::span<const FlagSpec> spec, const char* about,
                       const char* notes = "");

// "a,b, c" -> {"a", "b", "c"} (empty items dropped).
[[nodiscard]] std::vector<std::string> split_list(std::string_view list);
// IANA names ("TLS_AES_128_GCM_SHA256"), case-insensitive.
[[nodiscard]] Result<std::vector<CipherSuite>> parse_cipher_suites(std::string_view list);
// IANA names ("x25519", "secp256r1") and the aliases P-256, P-384, P-521, prime256v1.
[[nodiscard]] Result<std::vector<NamedGroup>> parse_groups(std::string_view list);
// "10", "0.5": a number of seconds, more than 0 and at most a day, as milliseconds.
[[nodiscard]] Result<long> parse_seconds(std::string_view text, std::string_view flag);
// The two-character sequences \r and \n become CR and LF; everything else is kept.
[[nodiscard]] std::string unescape_crlf(std::string_view text);

// The protocol version flags every command with connections takes.
#define TLSPP_CLI_VERSION_FLAGS                                                                                \
  {"--tls1.2", false, false, "", "speak only TLS 1.2."}, {"--tls1.3", false, false, "", "speak only TLS 1.3."}, \
      {"--min-version", true, false, "1.2|1.3", "the lowest protocol version to accept (default 1.2)."},         \
      {"--max-version", true, false, "1.2|1.3", "the highest protocol version to offer (default 1.3)."}

// External PSK flags, the same on both commands (RFC 8446 §4.2.11).
#define TLSPP_CLI_PSK_FLAGS                                                                                     \
  {"--psk-identity", true, false, "ID", "the identity of an external pre-shared key (needs --psk)."},          \
      {"--psk", true, false, "HEX", "the external pre-shared key, 16 to 64 bytes in hex (needs --psk-identity)."}, \
      {"--psk-mode", true, false, "dhe_ke|ke",                                                                  \
       "use the PSK with an (EC)DHE exchange (dhe_ke, the default: forward secrecy) or alone (ke)."}

// The external PSK given by --psk-identity and --psk (none when neither is), and --psk-mode.
struct PskFlags {
  std::optional<ExternalPsk> psk;
  PskMode mode = PskMode::dhe_ke;
};
[[nodiscard]] Result<PskFlags> parse_psk_flags(const Args& args);

// Applies --tls1.2, --tls1.3, --min-version, --max-version, --alpn, --groups, --ciphers,
// --record-size-limit and --keylog (or $SSLKEYLOGFILE) to `options`.
[[nodiscard]] Status apply_common_options(const Args& args, CommonOptions& options);

// RFC 7250 pins: a --pin-spki value, 64 hex digits, the SHA-256 of a DER SubjectPublicKeyInfo.
[[nodiscard]] Result<Bytes> parse_spki_pin(std::string_view hex);
// The server's --raw-key: each of `key_files` is presented as a raw public key (RFC 7250),
// alone when `options` has no certificates yet (each key then a pair of its own), otherwise
// beside the certificate given with it. Returns one line per key for the operator: "raw
// public key FILE: SPKI SHA-256 HEX" (the value a client pins).
[[nodiscard]] Result<std::vector<std::string>> apply_raw_key_option(const std::vector<std::string>& key_files,
                                                                    ServerOptions& options);

// One line for a human: the alert name only where one was involved.
[[nodiscard]] std::string describe(const Error& e);

// A whole file as text (an io error naming the file when it cannot be read).
[[nodiscard]] Result<std::string> read_text_file(const std::string& path);
// Writes `text` to `path`, created or truncated, readable by its owner only (mode 0600,
// also when the file existed): for files holding secrets.
[[nodiscard]] Status write_private_file(const std::string& path, std::string_view text);

// Prints "tlspp NAME: MESSAGE", the command's usage line and a pointer to --help to stderr;
// returns exit code 2.
int usage_error(const Command& command, const std::string& message);

}  // namespace tlspp::cli
