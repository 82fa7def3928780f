// A reader for the example traces of RFC 8448 ("Example Handshake Traces for TLS 1.3"), so
// tests can take their vectors straight from the RFC text (TLSPP_RFC_DIR "/rfc8448.txt").
//
// The RFC lists, per top-level section, steps such as
//
//    {client}  construct a ClientHello handshake message:
//
//       ClientHello (196 octets):  01 00 00 c0 03 03 cb 34 ec b1 e7 81 63
//          ba 1c 38 ...
//
// Each step has a side, a title and labeled fields. Hex values may continue over several
// lines and across the RFC's page breaks (form feed, "Thomson ... [Page N]" footer and
// "RFC 8448 ..." header), which are skipped. A field's "(N octets)" count is checked against
// the bytes read. Parse problems are reported as GoogleTest failures (ADD_FAILURE) naming the
// line, so call these from inside a test.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tlspp/types.h"

namespace tlspp::test {

struct TraceField {
  std::string label;  // "ClientHello", "payload", "complete record", "private key", "IKM", ...
  Bytes value;        // the octets; empty for textual fields
  // The text of a field whose value is not hex, e.g. `salt:  0 (all zero octets)` gives
  // "0 (all zero octets)" and `hash (0 octets):  (empty)` gives "(empty)"; empty otherwise.
  std::string text;
};

struct TraceStep {
  // "client" or "server"; "" for fields that precede any step (the keys of Section 2).
  std::string side;
  // The step's title without the side and trailing ':', continuation lines joined by one
  // space: "construct a ClientHello handshake message", "derive read traffic keys for
  // application data (same as server application data write traffic keys)".
  std::string title;
  std::vector<TraceField> fields;
  int line = 0;  // 1-based line of the title in the RFC text

  // The value of the first field with this label, or nullptr.
  [[nodiscard]] const Bytes* field(std::string_view label) const;
  [[nodiscard]] const TraceField* find_field(std::string_view label) const;
};

// Steps of top-level section `section_number` (3 = "Simple 1-RTT Handshake", 4 = "Resumed 0-RTT
// Handshake", 5 = "HelloRetryRequest", 6 = "Client Authentication", 7 = "Compatibility Mode";
// 2 = "Private Keys" gives one step with side "" holding the RSA key fields), in trace order.
// The RFC text is read once and cached.
[[nodiscard]] std::vector<TraceStep> rfc8448_section(int section_number);

// The heading of a top-level section, e.g. "Simple 1-RTT Handshake".
[[nodiscard]] std::string rfc8448_section_title(int section_number);

// The same parser over any text laid out like the RFC (used to test the parser itself).
[[nodiscard]] std::vector<TraceStep> parse_trace_section(std::string_view document, int section_number);

// The nth (0-based) step of `side` whose title contains `title_part`, or nullptr.
[[nodiscard]] const TraceStep* find_step(const std::vector<TraceStep>& steps, std::string_view side,
                                         std::string_view title_part, size_t nth = 0);

// "01 00 0a" / "01000a" -> bytes; whitespace is ignored. A non-hex digit or an odd digit count
// is a test failure.
[[nodiscard]] Bytes from_hex(std::string_view hex);
[[nodiscard]] std::string to_hex(ByteView bytes);

}  // namespace tlspp::test
