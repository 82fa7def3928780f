#include "rfc8448.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>

namespace tlspp::test {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "49 af 42" (two-digit groups separated by single spaces, nothing else) -> bytes.
std::optional<Bytes> hex_groups(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  Bytes out;
  size_t i = 0;
  while (true) {
    if (i + 2 > s.size()) return std::nullopt;
    const int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
    i += 2;
    if (i == s.size()) return out;
    if (s[i] != ' ') return std::nullopt;
    ++i;
  }
}

// The RFC's page furniture: "Thomson   Informational   [Page 3]" and "RFC 8448   TLS 1.3 Traces ...".
bool is_page_furniture(std::string_view line) {
  return (starts_with(line, "Thomson ") && line.find("[Page ") != std::string_view::npos) ||
         starts_with(line, "RFC 8448 ");
}

// "3.  Simple 1-RTT Handshake" -> 3 (top-level headings only, at column 0).
std::optional<int> heading_number(std::string_view line, std::string* title = nullptr) {
  size_t i = 0;
  int n = 0;
  while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) n = n * 10 + (line[i++] - '0');
  if (i == 0 || !starts_with(line.substr(i), ".  ")) return std::nullopt;
  if (title != nullptr) *title = std::string(trim(line.substr(i + 3)));
  return n;
}

struct FieldLine {
  std::string label;
  std::optional<size_t> octets;
  std::string rest;
};

// "      ClientHello (196 octets):  01 00 ..." or "   public exponent:  01 00 01".
std::optional<FieldLine> parse_field_line(std::string_view line) {
  if (line.empty() || line.front() != ' ') return std::nullopt;
  const size_t colon = line.find(":  ");
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view label = trim(line.substr(0, colon));
  if (label.empty() || !std::isalpha(static_cast<unsigned char>(label.front())) ||
      label.find(':') != std::string_view::npos)
    return std::nullopt;
  FieldLine f;
  f.rest = std::string(trim(line.substr(colon + 3)));
  const std::string_view suffix = " octets)";
  if (label.size() > suffix.size() && label.substr(label.size() - suffix.size()) == suffix) {
    const size_t open = label.rfind(" (");
    if (open != std::string_view::npos) {
      const std::string_view digits = label.substr(open + 2, label.size() - suffix.size() - open - 2);
      size_t n = 0;
      bool ok = !digits.empty();
      for (char c : digits) {
        if (!std::isdigit(static_cast<unsigned char>(c))) ok = false;
        n = n * 10 + static_cast<size_t>(c - '0');
      }
      if (ok) {
        f.octets = n;
        label = label.substr(0, open);
      }
    }
  }
  f.label = std::string(label);
  return f;
}

class SectionParser {
 public:
  explicit SectionParser(int section) : section_(section) {}

  void line(std::string_view text, int number) {
    line_ = number;
    if (trim(text).empty()) {
      title_open_ = false;
      return;
    }
    if (starts_with(text, "   {")) {
      const size_t close = text.find('}');
      if (close == std::string_view::npos || !starts_with(text.substr(close + 1), "  "))
        return problem("malformed step line");
      close_field();
      TraceStep step;
      step.side = std::string(text.substr(4, close - 4));
      step.title = std::string(trim(text.substr(close + 3)));
      step.line = number;
      steps_.push_back(std::move(step));
      in_steps_ = true;
      title_open_ = true;
      return;
    }
    if (auto hex = hex_groups(text); hex && text.front() == ' ' && field_open()) {
      append(*hex);
      return;
    }
    if (auto f = parse_field_line(text)) {
      if (add_field(*f)) return;
    }
    if (title_open_) {
      steps_.back().title += ' ';
      steps_.back().title += trim(text);
      return;
    }
    // Prose is expected only in a section's introduction, before its first step.
    if (in_steps_) problem("unrecognized line");
  }

  std::vector<TraceStep> finish() {
    close_field();
    for (TraceStep& s : steps_)
      if (!s.title.empty() && s.title.back() == ':') s.title.pop_back();
    return std::move(steps_);
  }

 private:
  bool field_open() const { return open_ != nullptr; }

  void problem(std::string_view what) {
    ADD_FAILURE() << "rfc8448.txt section " << section_ << " line " << line_ << ": " << what;
  }

  // Returns false if the line is not a field after all (prose that happens to contain ":  ").
  bool add_field(const FieldLine& f) {
    const std::optional<Bytes> hex = hex_groups(f.rest);
    if (!in_steps_) {
      // Before the first step only hex-valued fields count (the keys of Section 2); lines like
      // "Note:  The HelloRetryRequest uses ..." are prose.
      if (!hex) return false;
      if (steps_.empty()) steps_.push_back(TraceStep{});
    }
    close_field();
    title_open_ = false;
    TraceField field;
    field.label = f.label;
    std::optional<size_t> expected = f.octets;
    if (f.octets == size_t{0} || (!f.octets && !hex)) {
      field.text = f.rest;  // "(empty)", "0 (all zero octets)"
      expected.reset();
      steps_.back().fields.push_back(std::move(field));
      return true;
    }
    if (!hex) {
      problem("field '" + f.label + "' has a non-hex value");
      return true;
    }
    steps_.back().fields.push_back(std::move(field));
    open_ = &steps_.back().fields.back();
    expected_ = expected;
    append(*hex);
    return true;
  }

  void append(const Bytes& more) {
    open_->value.insert(open_->value.end(), more.begin(), more.end());
    if (expected_ && open_->value.size() >= *expected_) close_field();
  }

  void close_field() {
    if (open_ != nullptr && expected_ && open_->value.size() != *expected_)
      problem("field '" + open_->label + "' says " + std::to_string(*expected_) + " octets but has " +
              std::to_string(open_->value.size()));
    open_ = nullptr;
    expected_.reset();
  }

  int section_;
  int line_ = 0;
  std::vector<TraceStep> steps_;
  TraceField* open_ = nullptr;  // the field whose hex may continue on the next lines
  std::optional<size_t> expected_;
  bool in_steps_ = false;
  bool title_open_ = false;
};

const std::string& rfc8448_text() {
  static const std::string text = [] {
    const std::string path = std::string(TLSPP_RFC_DIR) + "/rfc8448.txt";
    std::ifstream in(path, std::ios::binary);
    if (!in) ADD_FAILURE() << "cannot open " << path;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }();
  return text;
}

// Calls f(line_without_page_furniture, line_number) for each line of `section`, and returns
// whether the section was found. Form feeds and page headers/footers are dropped.
template <class F>
bool for_each_section_line(std::string_view document, int section, F&& f) {
  bool inside = false, found = false;
  int number = 0;
  size_t pos = 0;
  while (pos < document.size()) {
    size_t end = document.find('\n', pos);
    if (end == std::string_view::npos) end = document.size();
    std::string_view line = document.substr(pos, end - pos);
    pos = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && line.front() == '\f') line.remove_prefix(1);
    if (is_page_furniture(line)) continue;
    if (auto n = heading_number(line)) {
      if (inside) break;
      if (*n == section) {
        inside = found = true;
        continue;
      }
    }
    if (inside) f(line, number);
  }
  return found;
}

}  // namespace

const TraceField* TraceStep::find_field(std::string_view label) const {
  for (const TraceField& f : fields)
    if (f.label == label) return &f;
  return nullptr;
}

const Bytes* TraceStep::field(std::string_view label) const {
  const TraceField* f = find_field(label);
  return f != nullptr ? &f->value : nullptr;
}

std::vector<TraceStep> parse_trace_section(std::string_view document, int section_number) {
  SectionParser parser(section_number);
  if (!for_each_section_line(document, section_number,
                             [&](std::string_view line, int number) { parser.line(line, number); }))
    ADD_FAILURE() << "section " << section_number << " not found";
  return parser.finish();
}

std::vector<TraceStep> rfc8448_section(int section_number) {
  return parse_trace_section(rfc8448_text(), section_number);
}

std::string rfc8448_section_title(int section_number) {
  std::string title;
  std::string_view doc = rfc8448_text();
  size_t pos = 0;
  while (pos < doc.size()) {
    size_t end = doc.find('\n', pos);
    if (end == std::string_view::npos) end = doc.size();
    if (auto n = heading_number(doc.substr(pos, end - pos), &title); n && *n == section_number) return title;
    pos = end + 1;
  }
  ADD_FAILURE() << "section " << section_number << " not found";
  return {};
}

const TraceStep* find_step(const std::vector<TraceStep>& steps, std::string_view side, std::string_view title_part,
                           size_t nth) {
  for (const TraceStep& s : steps) {
    if (s.side != side || s.title.find(title_part) == std::string::npos) continue;
    if (nth == 0) return &s;
    --nth;
  }
  return nullptr;
}

Bytes from_hex(std::string_view hex) {
  Bytes out;
  int pending = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') continue;
    const int d = hex_digit(c);
    if (d < 0) {
      ADD_FAILURE() << "from_hex: '" << c << "' is not a hex digit";
      return out;
    }
    if (pending < 0) {
      pending = d;
    } else {
      out.push_back(static_cast<uint8_t>(pending << 4 | d));
      pending = -1;
    }
  }
  if (pending >= 0) ADD_FAILURE() << "from_hex: odd number of hex digits";
  return out;
}

std::string to_hex(ByteView bytes) {
  std::string out;
  char buf[3];
  for (uint8_t b : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

}  // namespace tlspp::test
