// A checker for the subset of Mermaid's sequenceDiagram syntax the trace renderer emits,
// shared by the renderer tests and the `tlspp demo` tests.
//
// Accepted, one statement per line (leading spaces allowed):
//   sequenceDiagram                       (first non-empty line)
//   participant NAME
//   A->>B: text        A-->>B: text        (A, B declared, A != B)
//   Note over A: text  Note over A,B: text
// Message text may not contain what ends a Mermaid statement or starts a comment: no
// newline, no ';' and no '#' except inside an entity code (#59;, #lt;), no '<' or '>'
// except in <br/>.
#pragma once

#include <cctype>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tlspp::test {

struct MermaidArrow {
  std::string from, to;
  bool dashed = false;
  std::string text;
};

struct MermaidDiagram {
  std::vector<std::string> participants;
  std::vector<MermaidArrow> arrows;
  std::vector<std::string> notes;  // "A: text" / "A,B: text"
  // Arrows and notes in order: "A->>B: text" or "Note over A: text".
  std::vector<std::string> statements;
};

namespace mermaid_detail {

inline bool is_name(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

inline std::optional<std::string> text_problem(std::string_view t) {
  if (t.find_first_not_of(' ') == std::string_view::npos) return "empty message text";
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '\r' || c == '\n') return "line break inside a message";
    if (c == '#') {
      size_t j = i + 1;
      while (j < t.size() && std::isalnum(static_cast<unsigned char>(t[j]))) ++j;
      if (j == i + 1 || j >= t.size() || t[j] != ';') return "'#' outside an entity code";
      i = j;
      continue;
    }
    if (c == ';') return "';' outside an entity code";
    if (c == '<') {
      if (t.substr(i, 5) != "<br/>") return "'<' other than <br/>";
      i += 4;
      continue;
    }
    if (c == '>') return "'>' outside <br/>";
  }
  return std::nullopt;
}

}  // namespace mermaid_detail

// Parses `text`; on a violation returns nullopt and sets `problem` to "line N: ...".
inline std::optional<MermaidDiagram> parse_mermaid(std::string_view text, std::string& problem) {
  using namespace mermaid_detail;
  MermaidDiagram d;
  std::set<std::string> declared;
  bool header = false;
  size_t line_no = 0;
  size_t pos = 0;
  const auto bad = [&](const std::string& why) -> std::optional<MermaidDiagram> {
    problem = "line " + std::to_string(line_no) + ": " + why;
    return std::nullopt;
  };
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (line.find('\r') != std::string_view::npos) return bad("carriage return");
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty()) continue;
    if (!header) {
      if (line != "sequenceDiagram") return bad("the first line must be 'sequenceDiagram'");
      header = true;
      continue;
    }
    if (line.substr(0, 12) == "participant ") {
      const std::string name(line.substr(12));
      if (!is_name(name)) return bad("bad participant name '" + name + "'");
      if (!declared.insert(name).second) return bad("participant '" + name + "' declared twice");
      d.participants.push_back(name);
      continue;
    }
    const size_t colon = line.find(": ");
    if (colon == std::string_view::npos) return bad("not a statement of the accepted subset");
    const std::string_view head = line.substr(0, colon), body = line.substr(colon + 2);
    if (auto p = text_problem(body)) return bad(*p);
    if (head.substr(0, 10) == "Note over ") {
      const std::string_view who = head.substr(10);
      const size_t comma = who.find(',');
      const std::string a(who.substr(0, comma));
      const std::string b = comma == std::string_view::npos ? a : std::string(who.substr(comma + 1));
      if (!declared.count(a) || !declared.count(b)) return bad("note over an undeclared participant");
      d.notes.push_back(std::string(who) + ": " + std::string(body));
      d.statements.push_back(std::string(line));
      continue;
    }
    MermaidArrow a;
    size_t op = head.find("-->>");
    size_t op_len = 4;
    a.dashed = true;
    if (op == std::string_view::npos) {
      op = head.find("->>");
      op_len = 3;
      a.dashed = false;
    }
    if (op == std::string_view::npos) return bad("not a statement of the accepted subset");
    a.from = std::string(head.substr(0, op));
    a.to = std::string(head.substr(op + op_len));
    if (!declared.count(a.from) || !declared.count(a.to)) return bad("arrow between undeclared participants");
    if (a.from == a.to) return bad("arrow from a participant to itself");
    a.text = std::string(body);
    d.arrows.push_back(a);
    d.statements.push_back(std::string(line));
  }
  if (!header) {
    problem = "no 'sequenceDiagram' line";
    return std::nullopt;
  }
  return d;
}

// The message name of an arrow's text: everything before the first ", ".
inline std::string arrow_name(const MermaidArrow& a) { return a.text.substr(0, a.text.find(", ")); }

}  // namespace tlspp::test
