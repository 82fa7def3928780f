#include "options.h"

#include "crypto/hash.h"
#include "crypto/pem.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tlspp::cli {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool Args::has(std::string_view name) const {
  return std::any_of(flags.begin(), flags.end(), [&](const auto& f) { return f.first == name; });
}

std::optional<std::string> Args::value(std::string_view name) const {
  std::optional<std::string> v;
  for (const auto& f : flags)
    if (f.first == name) v = f.second;
  return v;
}

std::vector<std::string> Args::values(std::string_view name) const {
  std::vector<std::string> v;
  for (const auto& f : flags)
    if (f.first == name) v.push_back(f.second);
  return v;
}

Result<Args> parse_args(const std::vector<std::string>& argv, std::span<const FlagSpec> spec) {
  Args out;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") {
      out.positional.insert(out.positional.end(), argv.begin() + static_cast<ptrdiff_t>(i) + 1, argv.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      out.positional.push_back(a);
      continue;
    }
    const size_t eq = a.find('=');
    const std::string name = a.substr(0, eq);
    const FlagSpec* f = nullptr;
    for (const auto& s : spec)
      if (name == s.name) f = &s;
    if (!f) return fail(Error::config("unknown option '" + name + "'"));
    // A second value would silently replace the first: say so instead.
    if (!f->repeatable && out.has(name)) return fail(Error::config("option '" + name + "' is given more than once"));
    if (!f->takes_value) {
      if (eq != std::string::npos && !f->optional_value)
        return fail(Error::config("option '" + name + "' takes no value"));
      out.flags.emplace_back(name, eq == std::string::npos ? std::string() : a.substr(eq + 1));
    } else if (eq != std::string::npos) {
      out.flags.emplace_back(name, a.substr(eq + 1));
    } else {
      if (i + 1 >= argv.size()) return fail(Error::config("option '" + name + "' needs a value"));
      out.flags.emplace_back(name, argv[++i]);
    }
  }
  return out;
}

Result<Args> parse_args(const std::vector<std::string>& argv, std::initializer_list<FlagSpec> spec) {
  return parse_args(argv, std::span<const FlagSpec>(spec.begin(), spec.size()));
}

bool wants_help(const std::vector<std::string>& argv) {
  for (const auto& a : argv) {
    if (a == "--") return false;
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

int print_help(const Command& command, std::span<const FlagSpec> spec, const char* about, const char* notes) {
  return print_program_help(std::string("tlspp ") + command.usage, spec, about, notes);
}

int print_program_help(const std::string& usage, std::span<const FlagSpec> spec, const char* about, const char* notes) {
  std::printf("usage: %s\n\n%s\n\noptions:\n", usage.c_str(), about);
  auto label = [](const FlagSpec& f) {
    std::string l = f.name;
    if (f.takes_value) l += std::string(" ") + f.metavar;
    else if (f.optional_value) l += f.metavar;
    return l;
  };
  size_t width = std::string("-h, --help").size();
  for (const auto& f : spec) width = std::max(width, label(f).size());
  for (const auto& f : spec) {
    std::string_view help = f.help;
    std::string first = label(f);
    do {
      const size_t nl = help.find('\n');
      const std::string_view line = help.substr(0, nl);
      std::printf("  %-*s  %.*s\n", static_cast<int>(width), first.c_str(), static_cast<int>(line.size()), line.data());
      first.clear();
      help = nl == std::string_view::npos ? std::string_view() : help.substr(nl + 1);
    } while (!help.empty());
  }
  std::printf("  %-*s  %s\n", static_cast<int>(width), "-h, --help", "print this help and exit.");
  if (*notes) std::printf("\n%s\n", notes);
  return 0;
}

std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    std::string_view item = list.substr(start, end - start);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = end + 1;
  }
  return out;
}

Result<std::vector<CipherSuite>> parse_cipher_suites(std::string_view list) {
  // Every suite tlspp speaks is in the default list.
  static const std::vector<CipherSuite> kKnown = CommonOptions{}.cipher_suites;
  std::vector<CipherSuite> out;
  for (const auto& item : split_list(list)) {
    const auto found = std::find_if(kKnown.begin(), kKnown.end(),
                                     [&](CipherSuite s) { return iequals(item, cipher_suite_name(s)); });
    if (found == kKnown.end())
      return fail(Error::config("unknown cipher suite '" + item +
                                "' (known: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, "
                                "TLS_CHACHA20_POLY1305_SHA256 and the TLS 1.2 suites "
                                "TLS_ECDHE_{ECDSA,RSA}_WITH_{AES_128_GCM_SHA256,AES_256_GCM_SHA384,"
                                "CHACHA20_POLY1305_SHA256})"));
    out.push_back(*found);
  }
  if (out.empty()) return fail(Error::config("empty cipher suite list"));
  return out;
}

Result<std::vector<NamedGroup>> parse_groups(std::string_view list) {
  struct Alias {
    const char* name;
    NamedGroup group;
  };
  static constexpr Alias kAliases[] = {
      {"x25519", NamedGroup::x25519},       {"x448", NamedGroup::x448},
      {"secp256r1", NamedGroup::secp256r1}, {"P-256", NamedGroup::secp256r1},
      {"prime256v1", NamedGroup::secp256r1}, {"secp384r1", NamedGroup::secp384r1},
      {"P-384", NamedGroup::secp384r1},     {"secp521r1", NamedGroup::secp521r1},
      {"P-521", NamedGroup::secp521r1},
  };
  std::vector<NamedGroup> out;
  for (const auto& item : split_list(list)) {
    const auto* found =
        std::find_if(std::begin(kAliases), std::end(kAliases), [&](const Alias& a) { return iequals(item, a.name); });
    if (found == std::end(kAliases))
      return fail(Error::config("unknown group '" + item + "' (known: x25519, secp256r1/P-256, secp384r1/P-384)"));
    out.push_back(found->group);
  }
  if (out.empty()) return fail(Error::config("empty group list"));
  return out;
}

Result<long> parse_seconds(std::string_view text, std::string_view flag) {
  const std::string t(text);
  char* end = nullptr;
  errno = 0;
  const double v = t.empty() || !std::isdigit(static_cast<unsigned char>(t[0])) ? -1 : std::strtod(t.c_str(), &end);
  if (v < 0 || errno || !end || *end)
    return fail(Error::config(std::string(flag) + " takes a number of seconds, not '" + t + "'"));
  if (v < 0.001 || v > 86400)
    return fail(Error::config(std::string(flag) + " must be between 0.001 and 86400 seconds, not '" + t + "'"));
  return static_cast<long>(v * 1000 + 0.5);
}

std::string unescape_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 'r' || text[i + 1] == 'n')) {
      out.push_back(text[i + 1] == 'r' ? '\r' : '\n');
      ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

Result<ProtocolVersion> parse_version(std::string_view text, std::string_view flag) {
  std::string t(text);
  for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "1.2" || t == "tls1.2" || t == "tlsv1.2") return ProtocolVersion::tls12;
  if (t == "1.3" || t == "tls1.3" || t == "tlsv1.3") return ProtocolVersion::tls13;
  return fail(Error::config(std::string(flag) + " takes 1.2 or 1.3, not '" + std::string(text) + "'"));
}

Status apply_version_options(const Args& args, CommonOptions& options) {
  const bool only12 = args.has("--tls1.2"), only13 = args.has("--tls1.3");
  const bool range = args.has("--min-version") || args.has("--max-version");
  if (only12 && only13) return fail(Error::config("--tls1.2 and --tls1.3 each allow only one version; give one"));
  if ((only12 || only13) && range)
    return fail(Error::config("--tls1.2/--tls1.3 set the version exactly; --min-version/--max-version would not be used"));
  if (only12 || only13) options.min_version = options.max_version = only12 ? ProtocolVersion::tls12 : ProtocolVersion::tls13;
  for (auto [flag, field] : {std::pair{"--min-version", &options.min_version}, std::pair{"--max-version", &options.max_version}})
    if (auto v = args.value(flag)) {
      auto parsed = parse_version(*v, flag);
      if (!parsed) return fail(parsed.error());
      *field = *parsed;
    }
  if (options.min_version > options.max_version)
    return fail(Error::config("--min-version is above --max-version"));
  return {};
}

Status apply_common_options(const Args& args, CommonOptions& options) {
  TLSPP_TRY(apply_version_options(args, options));
  if (auto v = args.value("--alpn")) {
    options.alpn = split_list(*v);
    if (options.alpn.empty()) return fail(Error::config("empty ALPN list"));
  }
  if (auto v = args.value("--groups")) {
    auto groups = parse_groups(*v);
    if (!groups) return fail(groups.error());
    options.groups = std::move(*groups);
  }
  if (auto v = args.value("--ciphers")) {
    auto suites = parse_cipher_suites(*v);
    if (!suites) return fail(suites.error());
    options.cipher_suites = std::move(*suites);
  }
  if (auto v = args.value("--record-size-limit")) {
    // RFC 8449 §4: 64 to 2^14 + 1 (TLS 1.3's maximum; TLS 1.2 reads more as 2^14).
    char* end = nullptr;
    errno = 0;
    const long n = std::strtol(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || errno != 0 || n < 64 || n > 16385)
      return fail(Error::config("--record-size-limit takes a number of bytes from 64 to 16385, not '" + *v + "'"));
    options.record_size_limit = static_cast<uint16_t>(n);
  }
  // An explicit --keylog wins over $SSLKEYLOGFILE, as in curl and OpenSSL.
  if (auto v = args.value("--keylog")) {
    options.keylog = keylog_to_file(*v);
    if (!options.keylog) return fail(Error::config("cannot open key log file '" + *v + "'"));
  } else if (const char* env = std::getenv("SSLKEYLOGFILE"); env && *env) {
    options.keylog = keylog_from_environment();
    if (!options.keylog) return fail(Error::config(std::string("cannot open key log file '") + env + "' ($SSLKEYLOGFILE)"));
  }
  return {};
}

Result<Bytes> parse_spki_pin(std::string_view hex) {
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Bytes out;
  if (hex.size() == 64)
    for (size_t i = 0; i < 64; i += 2) {
      const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
      if (hi < 0 || lo < 0) break;
      out.push_back(static_cast<uint8_t>(hi << 4 | lo));
    }
  if (out.size() != 32)
    return fail(Error::config("a raw public key pin is the SHA-256 of a SubjectPublicKeyInfo as 64 hex digits, not '" +
                              std::string(hex) + "'"));
  return out;
}

Result<std::vector<std::string>> apply_raw_key_option(const std::vector<std::string>& key_files, ServerOptions& options) {
  if (key_files.empty()) return fail(Error::config("--raw-key needs --key FILE (the key to present)"));
  const bool alone = options.certificates.empty();
  if (!alone && options.certificates.size() != key_files.size())
    return fail(Error::config("each --cert needs its own --key"));
  std::vector<std::string> lines;
  for (size_t i = 0; i < key_files.size(); ++i) {
    auto key = crypto::load_private_key(key_files[i]);
    if (!key) return fail(key.error());
    const auto digest = crypto::HashCtx::digest(crypto::HashAlg::sha256, key->public_key().spki());
    std::string hex;
    for (uint8_t b : digest.view()) {
      static const char* digits = "0123456789abcdef";
      hex += digits[b >> 4];
      hex += digits[b & 15];
    }
    lines.push_back("raw public key " + key_files[i] + " (" + key->describe() + "): SPKI SHA-256 " + hex);
    if (alone) {
      CertificateKeyPair pair;
      pair.key_file = key_files[i];
      pair.raw_public_key = true;
      options.certificates.push_back(std::move(pair));
    } else {
      options.certificates[i].raw_public_key = true;
    }
  }
  return lines;
}

std::string describe(const Error& e) {
  // Transport and configuration failures carry no alert worth naming, and a received
  // alert's message names it already.
  if (e.kind == ErrorKind::io || e.kind == ErrorKind::closed || e.kind == ErrorKind::truncated ||
      e.kind == ErrorKind::config || e.kind == ErrorKind::alert_received)
    return e.message;
  return e.to_string();
}

int usage_error(const Command& command, const std::string& message) {
  std::fprintf(stderr, "tlspp %s: %s\nusage: tlspp %s\n(tlspp %s --help describes every option)\n", command.name,
               message.c_str(), command.usage, command.name);
  return 2;
}

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Error(ErrorKind::io, AlertDescription::internal_error, "cannot read " + path + ": " + std::strerror(errno)));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Status write_private_file(const std::string& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const auto failed = [&](const char* what) {
    return fail(Error(ErrorKind::io, AlertDescription::internal_error,
                      std::string("cannot ") + what + " " + path + ": " + std::strerror(errno)));
  };
  if (fd < 0) return failed("create");
  // An existing file keeps its mode through O_TRUNC: narrow it before writing the secrets.
  if (::fchmod(fd, 0600) != 0) {
    const Status s = failed("restrict");
    ::close(fd);
    return s;
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const Status s = failed("write");
      ::close(fd);
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return failed("close");
  return {};
}

Result<PskFlags> parse_psk_flags(const Args& args) {
  PskFlags out;
  const auto id = args.value("--psk-identity");
  const auto key = args.value("--psk");
  if (id.has_value() != key.has_value()) return fail(Error::config("--psk-identity and --psk go together"));
  if (auto mode = args.value("--psk-mode")) {
    if (!id) return fail(Error::config("--psk-mode needs --psk-identity and --psk"));
    if (*mode == "ke") {
      out.mode = PskMode::ke;
    } else if (*mode != "dhe_ke") {
      return fail(Error::config("--psk-mode takes dhe_ke or ke, not '" + *mode + "'"));
    }
  }
  if (!id) return out;
  auto bytes = from_hex(*key);
  if (!bytes) return fail(Error::config("--psk takes an even number of hex digits"));
  ExternalPsk p;
  p.identity = *id;
  p.key = SecretBytes(*bytes);
  std::fill(bytes->begin(), bytes->end(), uint8_t{0});
  out.psk = std::move(p);
  return out;
}

}  // namespace tlspp::cli
