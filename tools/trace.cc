#include "trace.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tlspp::trace {

namespace {

using Clock = std::chrono::steady_clock;

const char* side_name(Side s) { return s == Side::client ? "Client" : "Server"; }
const char* side_word(Side s) { return s == Side::client ? "client" : "server"; }
Side other(Side s) { return s == Side::client ? Side::server : Side::client; }

bool is_sent(EventType t) {
  return t == EventType::message_sent || t == EventType::alert_sent || t == EventType::application_data_sent;
}
bool is_received(EventType t) {
  return t == EventType::message_received || t == EventType::alert_received ||
         t == EventType::application_data_received;
}
// Messages, alerts and application data are matched only within their own kind.
int family(EventType t) {
  switch (t) {
    case EventType::message_sent:
    case EventType::message_received:
      return 0;
    case EventType::alert_sent:
    case EventType::alert_received:
      return 1;
    default:
      return 2;
  }
}
bool is_data(EventType t) { return family(t) == 2; }

std::string format_ms(Clock::duration d) {
  const double ms = std::chrono::duration<double, std::milli>(d).count();
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3f ms", ms);
  return buf;
}

bool is_message(const Arrow& a) { return family(a.kind) == 0; }
bool is_message(const Arrow& a, MessageType t) { return is_message(a) && a.message.type == t; }

const std::string* find_detail(const Details& d, std::string_view key) {
  for (const auto& [k, v] : d)
    if (k == key) return &v;
  return nullptr;
}
std::string detail(const Arrow& a, std::string_view key) {
  if (const auto* v = find_detail(a.details, key)) return *v;
  if (const auto* v = find_detail(a.peer_details, key)) return *v;
  return {};
}

// What the receiver's event says beyond the sender's: keys the sender did not use, with
// values the sender did not give under another key ("key_shares: x25519" repeats the
// sender's "key_share: x25519"; "key_shares: none acceptable" is news).
void merge_peer_details(Arrow& a, const Details& received) {
  for (const auto& [k, v] : received) {
    if (find_detail(a.details, k) || find_detail(a.peer_details, k)) continue;
    const bool repeated = std::any_of(a.details.begin(), a.details.end(), [&](const auto& kv) { return kv.second == v; });
    if (!repeated) a.peer_details.emplace_back(k, v);
  }
}

// TLS 1.2 cuts its keys from the key block (RFC 5246 §6.3) instead of deriving them from a
// traffic secret: they are application keys that are no update and have no key log label
// (the key log holds the master secret instead, as CLIENT_RANDOM).
bool from_key_block(const KeysInfo& k) { return k.epoch == KeyEpoch::application && !k.update && k.label.empty(); }

// Without Unicode: the arrows and section signs of the notes in ASCII.
std::string ascii_note(std::string s) {
  for (const auto& [from, to] : {std::pair<std::string_view, std::string_view>{"→", "->"}, {"§", "section "}})
    for (size_t at; (at = s.find(from)) != std::string::npos;) s.replace(at, from.size(), to);
  return s;
}

std::string protection(const Arrow& a) {
  if (!a.encrypted) return "plaintext";
  if (!a.keys) return "encrypted";
  return "encrypted (" + std::string(key_epoch_name(*a.keys)) + " keys)";
}

// The arrow of an event's message, alert or data, without its times.
Arrow arrow_of(const Event& e, Side from, std::optional<KeyEpoch> keys) {
  Arrow a;
  a.from = from;
  a.kind = e.type;
  a.name = e.name;
  a.message = e.message;
  a.alert = e.alert;
  a.size = e.size;
  a.encrypted = e.encrypted;
  if (e.encrypted) a.keys = keys;
  a.details = e.details;
  return a;
}

bool all_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

// Long hex strings (verify_data) are shortened to their first bytes and their length.
std::string display_value(const std::string& v, const char* ellipsis) {
  if (v.size() > 32 && v.size() % 2 == 0 && all_hex(v))
    return v.substr(0, 16) + ellipsis + " (" + std::to_string(v.size() / 2) + " bytes)";
  return v;
}

// --- text layout ---

struct Glyphs {
  const char* v;           // lifeline
  const char* h;           // plaintext arrow shaft
  const char* hh;          // encrypted arrow shaft
  const char* head_right;  // ▶
  const char* head_left;   // ◀
  const char* tee_left;    // a plaintext arrow leaving the client's lifeline
  const char* tee_right;
  const char* tee2_left;   // an encrypted one
  const char* tee2_right;
  const char* key_bullet;
  const char* done_bullet;
  const char* rule;      // the round trip rule
  const char* ellipsis;
  const char* sep;       // between the parts of a label
};

constexpr Glyphs kUnicode{"│", "─", "═", "▶", "◀", "├", "┤", "╞", "╡", "◆", "●", "╌", "…", " · "};
constexpr Glyphs kAscii{"|", "-", "=", ">", "<", "+", "+", "+", "+", "*", "@", ".", "...", ", "};

// Display columns: code points, not bytes; ANSI escape sequences take none.
size_t columns(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0x1b) {
      while (i < s.size() && s[i] != 'm') ++i;
      continue;
    }
    if ((c & 0xc0) != 0x80) ++n;
  }
  return n;
}

std::string repeat(const char* g, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += g;
  return s;
}

std::vector<std::string> wrap_words(const std::string& text, size_t width);

// Breaks `text` into lines of at most `width` columns: after ", " or before the arrow of a
// derivation (" → ", " -> ") where it can (list items and steps stay whole), else at spaces,
// else anywhere.
std::vector<std::string> wrap(const std::string& text, size_t width) {
  std::vector<std::string> items;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(", ", start);
    const size_t arrow = std::min(text.find(" → ", start), text.find(" -> ", start));
    if (comma == std::string::npos && arrow == std::string::npos) break;
    if (comma < arrow) {
      items.push_back(text.substr(start, comma + 1 - start));
      start = comma + 2;
    } else {
      items.push_back(text.substr(start, arrow - start));
      start = arrow + 1;
    }
  }
  items.push_back(text.substr(start));
  std::vector<std::string> lines;
  std::string line;
  for (const auto& item : items) {
    if (line.empty() ? columns(item) <= width : columns(line) + 1 + columns(item) <= width) {
      line += (line.empty() ? "" : " ") + item;
      continue;
    }
    if (columns(item) <= width) {
      lines.push_back(line);
      line = item;
      continue;
    }
    // An item longer than a line fills the current one word by word.
    auto parts = wrap_words(line.empty() ? item : line + " " + item, width);
    line = parts.back();
    parts.pop_back();
    lines.insert(lines.end(), parts.begin(), parts.end());
  }
  lines.push_back(line);
  return lines;
}

std::vector<std::string> wrap_words(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  if (width == 0) width = 1;
  std::vector<std::string> words;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ' ') {
      if (i > start) words.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  std::string line;
  for (auto& w : words) {
    while (columns(w) > width) {
      if (!line.empty()) {
        lines.push_back(line);
        line.clear();
      }
      // Split on a code point boundary.
      size_t cut = 0, cols = 0;
      while (cut < w.size() && cols < width) {
        ++cut;
        while (cut < w.size() && (static_cast<unsigned char>(w[cut]) & 0xc0) == 0x80) ++cut;
        ++cols;
      }
      lines.push_back(w.substr(0, cut));
      w = w.substr(cut);
    }
    if (w.empty()) continue;
    if (line.empty()) {
      line = w;
    } else if (columns(line) + 1 + columns(w) <= width) {
      line += " " + w;
    } else {
      lines.push_back(line);
      line = w;
    }
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

class TextLayout {
 public:
  explicit TextLayout(const RenderOptions& o)
      : o_(o), g_(o.unicode ? kUnicode : kAscii), width_(std::clamp<size_t>(o.width, 60, 100)) {
    left_ = 3;
    right_ = width_ - 4;
    inner_ = right_ - left_ - 1;
  }

  std::string paint(const std::string& s, const char* code) const {
    if (!o_.color || s.empty()) return s;
    return std::string("\x1b[") + code + "m" + s + "\x1b[0m";
  }
  const char* side_color(Side s) const { return s == Side::client ? "36" : "33"; }

  // One diagram row: the client's lifeline, `content` padded to the inner width, the
  // server's lifeline.
  std::string row(const std::string& content, const char* l = nullptr, const char* r = nullptr) const {
    std::string s(left_, ' ');
    s += l ? l : g_.v;
    s += content;
    const size_t used = columns(content);
    if (used < inner_) s += std::string(inner_ - used, ' ');
    s += r ? r : g_.v;
    s += '\n';
    return s;
  }
  std::string empty_row() const { return row(""); }

  std::string header() const {
    std::string names(width_, ' ');
    names.replace(0, 6, "Client");
    names.replace(right_ - 2, 6, "Server");
    while (!names.empty() && names.back() == ' ') names.pop_back();
    std::string s = paint(names.substr(0, 6), side_color(Side::client));
    s += names.substr(6, right_ - 2 - 6);
    s += paint("Server", side_color(Side::server));
    s += '\n';
    return s + empty_row();
  }

  std::string round_trip(const RoundTrip& r) const {
    std::string label = " round trip " + std::to_string(r.number);
    if (r.time) label += g_.sep + format_ms(*r.time);
    label += " ";
    const size_t fill = inner_ - columns(label) - 2;
    const std::string content = repeat(g_.rule, 2) + label + repeat(g_.rule, fill);
    return row(paint(content, "2"), g_.tee_left, g_.tee_right);
  }

  std::string note(const Note& n) const {
    const char* bullet = n.kind == Note::Kind::keys ? g_.key_bullet : g_.done_bullet;
    const size_t room = inner_ - 5;
    std::string out;
    const auto lines = wrap(o_.unicode ? n.text : ascii_note(n.text), room);
    for (size_t i = 0; i < lines.size(); ++i) {
      const bool first = i == 0;
      if (n.side == Side::client) {
        const std::string lead = first ? std::string(g_.h) + bullet + " " : "   ";
        out += row(paint(lead + lines[i], "32"), first ? g_.tee_left : g_.v);
      } else {
        const std::string tail = first ? std::string(" ") + bullet + g_.h : "   ";
        const std::string text = lines[i] + tail;
        const std::string content = std::string(inner_ - columns(text), ' ') + paint(text, "32");
        out += row(content, g_.v, first ? g_.tee_right : g_.v);
      }
    }
    return out;
  }

  std::string arrow(const Arrow& a, Clock::time_point t0) const {
    std::string out;
    // The label row: the message's name on the left, its size and protection on the right.
    const std::string name = a.name;
    std::string info = std::to_string(a.size) + " B";
    if (is_data(a.kind) && a.received && a.received_bytes != a.size && a.sent)
      info += " (" + std::to_string(a.received_bytes) + " B received)";
    info += g_.sep + protection(a);
    const size_t name_cols = columns(name) + 1, info_cols = columns(info) + 1;
    if (name_cols + 2 + info_cols <= inner_) {
      const std::string gap(inner_ - name_cols - info_cols, ' ');
      out += row(" " + paint(name, "1") + gap + paint(info, "2") + " ");
    } else {
      out += row(" " + paint(name, "1"));
      out += row(std::string(inner_ - std::min(inner_, info_cols), ' ') + paint(info, "2") + " ");
    }

    // The arrow row, with the send time at the sender's end and the arrival time at the
    // receiver's.
    const char* shaft = a.encrypted ? g_.hh : g_.h;
    const std::string t_sent = a.sent ? " " + format_ms(*a.sent - t0) + " " : "";
    const std::string t_recv = a.received ? " " + format_ms(*a.received - t0) + " " : "";
    const size_t fixed = 1 + columns(t_sent) + columns(t_recv) + 1 + 1;  // shaft, times, shaft, head
    const size_t fill = inner_ > fixed ? inner_ - fixed : 1;
    std::string line;
    if (a.from == Side::client) {
      line = std::string(shaft) + t_sent + repeat(shaft, fill) + t_recv + shaft + g_.head_right;
      out += row(paint(line, side_color(a.from)), a.encrypted ? g_.tee2_left : g_.tee_left, g_.v);
    } else {
      line = std::string(g_.head_left) + shaft + t_recv + repeat(shaft, fill) + t_sent + shaft;
      out += row(paint(line, side_color(a.from)), g_.v, a.encrypted ? g_.tee2_right : g_.tee_right);
    }

    // The contents, one "key  value" per line, values wrapped at the lifeline.
    struct Line {
      std::string key, value;
    };
    std::vector<Line> lines;
    for (const auto& [k, v] : a.details) lines.push_back({k, display_value(v, g_.ellipsis)});
    for (const auto& [k, v] : a.peer_details)
      lines.push_back({k + " (" + side_word(other(a.from)) + ")", display_value(v, g_.ellipsis)});
    size_t key_cols = 0;
    for (const auto& l : lines) key_cols = std::max(key_cols, columns(l.key));
    key_cols = std::min<size_t>(key_cols, 24) + 2;
    const size_t indent = 4;
    for (const auto& l : lines) {
      std::string key = l.key;
      if (columns(key) + 2 > key_cols) {
        out += row(std::string(indent, ' ') + paint(key, "2"));
        key.clear();
      }
      const size_t value_cols = inner_ - indent - key_cols - 1;
      const auto parts = wrap(l.value, value_cols);
      for (size_t i = 0; i < parts.size(); ++i) {
        const std::string k = i == 0 ? key : "";
        out += row(std::string(indent, ' ') + paint(k, "2") + std::string(key_cols - columns(k), ' ') + parts[i]);
      }
    }
    return out;
  }

  std::string legend() const {
    const std::string margin(left_, ' ');
    const size_t room = width_ - left_ - 1;
    const std::vector<std::string> keys = {std::string(g_.h) + g_.h + g_.head_right + " plaintext",
                                           std::string(g_.hh) + g_.hh + g_.head_right + " encrypted",
                                           std::string(g_.key_bullet) + " keys installed",
                                           std::string(g_.done_bullet) + " handshake complete"};
    std::string s, line;
    for (const auto& k : keys) {
      if (!line.empty() && columns(line) + 3 + columns(k) > room) {
        s += margin + line + "\n";
        line.clear();
      }
      line += (line.empty() ? "" : "   ") + k;
    }
    s += margin + line + "\n";
    for (const auto& l : wrap("times: since the first event, at the sender's end when sent and at the receiver's end "
                              "when processed. sizes: handshake messages and application plaintext, without record "
                              "headers or AEAD overhead.",
                              room))
      s += margin + l + "\n";
    return s;
  }

  [[nodiscard]] const Glyphs& glyphs() const { return g_; }

 private:
  RenderOptions o_;
  Glyphs g_;
  size_t width_, left_, right_, inner_;
};

// Completion notes carry their time; key notes sit between the arrows that time them.
std::string note_text(const Note& n, Clock::time_point t0) {
  if (n.kind == Note::Kind::handshake_done) return n.text + ", " + format_ms(n.when - t0);
  return n.text;
}

std::optional<Clock::time_point> first_time(const std::vector<Event>& events) {
  std::optional<Clock::time_point> t;
  for (const auto& e : events)
    if (!t || e.when < *t) t = e.when;
  return t;
}

std::vector<std::string> summary_lines(const Summary& s, const std::string& sep) {
  std::vector<std::string> out;
  std::string proto;
  const auto add = [&](const std::string& part) {
    if (part.empty()) return;
    if (!proto.empty()) proto += sep;
    proto += part;
  };
  add(s.version);
  add(s.cipher_suite);
  if (!s.group.empty()) add("key exchange " + s.group);
  if (!s.alpn.empty()) add("ALPN " + s.alpn);
  if (!proto.empty()) out.push_back(proto);
  if (s.hello_retry_request)
    out.push_back(s.retry_group.empty() ? "HelloRetryRequest: the server asked the client to try again"
                                        : "HelloRetryRequest: the server asked for a " + s.retry_group + " key share");
  if (!s.server_subject.empty()) {
    std::string l = "server certificate: " + s.server_subject;
    if (!s.server_key.empty()) l += " (" + s.server_key + ")";
    if (!s.server_signature.empty()) l += ", signed with " + s.server_signature;
    out.push_back(l);
  }
  if (!s.client_subject.empty()) {
    std::string l = "client certificate: " + s.client_subject;
    if (!s.client_signature.empty()) l += ", signed with " + s.client_signature;
    out.push_back(l);
  }
  std::string rt;
  if (s.handshake_round_trips)
    rt = "round trips: " + std::to_string(*s.handshake_round_trips) + " for the handshake, " +
         std::to_string(s.round_trips) + " in all";
  else
    rt = "round trips: " + std::to_string(s.round_trips) + "; the handshake did not complete";
  out.push_back(rt);
  if (s.handshake_ms) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f ms", *s.handshake_ms);
    out.push_back(std::string("handshake time: ") + buf + " until the " +
                  (s.client_recorded ? "client's" : "server's") + " handshake completion");
  }
  std::string msgs = "messages:";
  if (s.client_messages) msgs += " client " + std::to_string(s.client_messages) + " (" + std::to_string(s.client_bytes) + " B)";
  if (s.client_messages && s.server_messages) msgs += ",";
  if (s.server_messages) msgs += " server " + std::to_string(s.server_messages) + " (" + std::to_string(s.server_bytes) + " B)";
  msgs += "; " + std::to_string(s.encrypted_messages) + " of " + std::to_string(s.client_messages + s.server_messages) +
          " encrypted";
  out.push_back(msgs);
  return out;
}

}  // namespace

// --- key notes ---

void KeyNotes::observe(const Event& e) {
  if (e.type != EventType::message_sent && e.type != EventType::message_received) return;
  if (e.message.type == MessageType::server_key_exchange || e.message.type == MessageType::client_key_exchange) {
    ecdhe_ = true;
    // The client names the group "group"; a server may call it "named_curve" (RFC 8422 §5.4).
    for (const char* key : {"group", "named_curve"})
      if (const auto* g = find_detail(e.details, key); g && group_.empty()) group_ = *g;
  } else if (e.message.type == MessageType::server_hello) {
    if (const auto* v = find_detail(e.details, "extended_master_secret")) ems_ = *v;
  }
}

std::string KeyNotes::head(const KeysInfo& k) {
  if (!from_key_block(k)) return std::string(key_epoch_name(k.epoch)) + " traffic keys: ";
  if (told_) return "key block: ";
  told_ = true;
  if (!ecdhe_) return "the resumed session's master secret → key block over the new randoms (RFC 5246 §6.3): ";
  std::string s = "ECDHE";
  if (!group_.empty()) s += " (" + group_ + ")";
  s += " premaster secret → ";
  if (ems_ == "yes")
    s += "extended master secret over the session hash (RFC 7627)";
  else if (ems_ == "no")
    s += "master secret over the randoms (RFC 5246 §8.1)";
  else
    s += "master secret";
  return s + " → key block (RFC 5246 §6.3): ";
}

std::string KeyNotes::piece(const KeysInfo& k, Side side) {
  std::string s(direction_name(k.direction));
  if (k.update) s += ", updated";
  if (!k.label.empty()) (s += " ") += k.label;
  if (from_key_block(k))
    s += (side == Side::client) == (k.direction == Direction::write) ? " client_write_key" : " server_write_key";
  return s;
}

// --- the model ---

std::vector<Step> build_steps(std::vector<Event> events) {
  // A stable order by time (std::stable_sort's temporary buffer is deprecated in
  // libstdc++ 12 under clang): events of one instant keep the order they were reported in.
  {
    std::vector<size_t> order(events.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return events[a].when != events[b].when ? events[a].when < events[b].when : a < b;
    });
    std::vector<Event> sorted;
    sorted.reserve(events.size());
    for (size_t i : order) sorted.push_back(std::move(events[i]));
    events = std::move(sorted);
  }
  bool recorded[2] = {false, false};
  for (const auto& e : events) recorded[static_cast<int>(e.side)] = true;
  std::optional<KeyEpoch> write_keys[2], read_keys[2];
  // The last keys note of each side, for folding "write" and "read" of one epoch together.
  std::optional<size_t> last_key_note[2];
  KeyEpoch last_key_epoch[2] = {};
  KeyNotes key_notes[2];

  std::vector<Step> steps;
  const auto arrow_from_received = [&](const Event& e) {
    Arrow a = arrow_of(e, other(e.side), read_keys[static_cast<int>(e.side)]);
    a.received = e.when;
    a.received_bytes = e.size;
    steps.emplace_back(std::move(a));
  };

  for (const auto& e : events) {
    const int me = static_cast<int>(e.side);
    key_notes[me].observe(e);
    if (is_sent(e.type)) {
      Arrow a = arrow_of(e, e.side, write_keys[me]);
      a.sent = e.when;
      steps.emplace_back(std::move(a));
    } else if (is_received(e.type)) {
      const Side sender = other(e.side);
      if (!recorded[static_cast<int>(sender)]) {
        arrow_from_received(e);
        continue;
      }
      // The oldest arrow of the same kind (message type, alert) from the sender that has not
      // fully arrived yet.
      const auto same = [&](const Arrow& a) {
        if (family(e.type) == 0) return a.message.type == e.message.type && a.message.retry == e.message.retry;
        return a.alert.description == e.alert.description;
      };
      Arrow* match = nullptr;
      for (auto& st : steps) {
        auto* a = std::get_if<Arrow>(&st);
        if (!a || a->from != sender || !a->sent || family(a->kind) != family(e.type)) continue;
        if (is_data(e.type) ? a->received_bytes < a->size : (!a->received && same(*a))) {
          match = a;
          break;
        }
      }
      if (!match) {
        arrow_from_received(e);
        continue;
      }
      match->received = e.when;
      match->received_bytes += e.size;
      merge_peer_details(*match, e.details);
    } else if (e.type == EventType::keys_installed) {
      const KeysInfo& k = e.keys;
      (k.direction == Direction::write ? write_keys : read_keys)[me] = k.epoch;
      const std::string piece = KeyNotes::piece(k, e.side);
      if (last_key_note[me] && *last_key_note[me] == steps.size() - 1 && last_key_epoch[me] == k.epoch) {
        std::get<Note>(steps.back()).text += ", " + piece;
      } else {
        steps.emplace_back(Note{Note::Kind::keys, e.side, key_notes[me].head(k) + piece, e.when});
        last_key_note[me] = steps.size() - 1;
        last_key_epoch[me] = k.epoch;
      }
    } else if (e.type == EventType::handshake_done) {
      steps.emplace_back(Note{Note::Kind::handshake_done, e.side, e.name, e.when});
    }
  }

  // RFC 8446 §2 counts a full handshake as one round trip: the client's flight and the
  // server's answer. Here a flight is a run of arrows from one side, and a round trip
  // starts with each client flight that a server flight follows. ChangeCipherSpec neither
  // starts nor splits a flight: it asks for no answer (Appendix D.4), and a client sends it
  // as soon as it reads the ServerHello, which in a one-sided trace falls between the
  // server's messages.
  const auto is_ccs = [&](size_t step) {
    return is_message(std::get<Arrow>(steps[step]), MessageType::change_cipher_spec);
  };
  std::vector<size_t> all_arrows, arrow_at;
  for (size_t i = 0; i < steps.size(); ++i)
    if (std::holds_alternative<Arrow>(steps[i])) {
      all_arrows.push_back(i);
      if (!is_ccs(i)) arrow_at.push_back(i);
    }
  struct Start {
    size_t step;
    RoundTrip trip;
  };
  std::vector<Start> starts;
  for (size_t i = 0; i < arrow_at.size();) {
    const Arrow& first = std::get<Arrow>(steps[arrow_at[i]]);
    size_t j = i;
    while (j < arrow_at.size() && std::get<Arrow>(steps[arrow_at[j]]).from == first.from) ++j;
    if (first.from == Side::client && j < arrow_at.size()) {
      size_t k = j;
      while (k < arrow_at.size() && std::get<Arrow>(steps[arrow_at[k]]).from == Side::server) ++k;
      RoundTrip trip;
      const Arrow& last = std::get<Arrow>(steps[arrow_at[j - 1]]);
      const Arrow& answer = std::get<Arrow>(steps[arrow_at[j]]);
      if (last.sent && answer.received) trip.time = *answer.received - *last.sent;
      for (size_t m = j; m < k; ++m) {
        const Arrow& a = std::get<Arrow>(steps[arrow_at[m]]);
        if (is_message(a) && a.message.type != MessageType::new_session_ticket &&
            a.message.type != MessageType::key_update)
          trip.handshake = true;
      }
      // The client's ChangeCipherSpecs just before the flight belong to it.
      size_t pos = static_cast<size_t>(std::find(all_arrows.begin(), all_arrows.end(), arrow_at[i]) - all_arrows.begin());
      while (pos > 0 && is_ccs(all_arrows[pos - 1]) && std::get<Arrow>(steps[all_arrows[pos - 1]]).from == Side::client)
        --pos;
      starts.push_back({all_arrows[pos], trip});
    }
    i = j;
  }
  std::vector<Step> out;
  out.reserve(steps.size() + starts.size());
  int n = 0;
  size_t next = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (next < starts.size() && starts[next].step == i) {
      RoundTrip r = starts[next].trip;
      r.number = ++n;
      out.emplace_back(r);
      ++next;
    }
    out.push_back(std::move(steps[i]));
  }
  return out;
}

Summary summarize(const std::vector<Step>& steps, const std::vector<Event>& events) {
  Summary s;
  for (const auto& e : events) (e.side == Side::client ? s.client_recorded : s.server_recorded) = true;
  // The handshake took from the first event until the client had the server's Finished
  // (a trace of the server alone: until the server had the client's).
  const Side who = s.client_recorded ? Side::client : Side::server;
  std::optional<size_t> done_at;
  for (size_t i = 0; i < steps.size() && !done_at; ++i)
    if (const auto* n = std::get_if<Note>(&steps[i]); n && n->kind == Note::Kind::handshake_done && n->side == who)
      done_at = i;

  int handshake_trips = 0;
  for (const auto& step : steps) {
    if (const auto* r = std::get_if<RoundTrip>(&step)) {
      ++s.round_trips;
      if (r->handshake) ++handshake_trips;
      continue;
    }
    const auto* a = std::get_if<Arrow>(&step);
    if (!a) continue;
    (a->from == Side::client ? s.client_messages : s.server_messages) += 1;
    (a->from == Side::client ? s.client_bytes : s.server_bytes) += a->size;
    if (a->encrypted) ++s.encrypted_messages;
    if (!is_message(*a)) continue;
    // The summary quotes the messages' display details.
    if (a->from == Side::server) {
      switch (a->message.type) {
        case MessageType::server_hello:
          s.version = detail(*a, "version");
          s.cipher_suite = detail(*a, "cipher_suite");
          s.group = detail(*a, "key_share");
          // TLS 1.2 agrees on ALPN in the ServerHello (there are no EncryptedExtensions).
          if (s.alpn.empty()) s.alpn = detail(*a, "alpn");
          break;
        case MessageType::server_key_exchange:
          // TLS 1.2: the server's ECDHE group and its signature over it (RFC 8422 §5.4).
          if (s.group.empty()) s.group = detail(*a, "group");
          if (s.group.empty()) s.group = detail(*a, "named_curve");
          s.server_signature = detail(*a, "signature_scheme");
          break;
        case MessageType::hello_retry_request:
          s.hello_retry_request = true;
          s.retry_group = detail(*a, "selected_group");
          break;
        case MessageType::encrypted_extensions:
          s.alpn = detail(*a, "alpn");
          break;
        case MessageType::certificate:
          s.server_subject = detail(*a, "subject");
          s.server_key = detail(*a, "key");
          break;
        case MessageType::certificate_verify:
          s.server_signature = detail(*a, "signature_scheme");
          break;
        default:
          break;
      }
    } else if (a->message.type == MessageType::certificate) {
      s.client_subject = detail(*a, "subject");
    } else if (a->message.type == MessageType::certificate_verify) {
      s.client_signature = detail(*a, "signature_scheme");
    }
  }
  if (done_at) {
    s.handshake_round_trips = handshake_trips;
    if (const auto t0 = first_time(events))
      s.handshake_ms = std::chrono::duration<double, std::milli>(std::get<Note>(steps[*done_at]).when - *t0).count();
  }
  return s;
}

// --- text ---

std::string render_text(const std::vector<Event>& events, const RenderOptions& options) {
  const TextLayout t(options);
  const auto t0 = first_time(events);
  if (!t0) return "(no events were recorded)\n";
  const auto steps = build_steps(events);
  std::string out = t.header();
  // A blank row between blocks, except between consecutive notes and after a round
  // trip's rule.
  enum class Last { start, arrow, note, rule } last = Last::start;
  for (const auto& st : steps) {
    if (const auto* a = std::get_if<Arrow>(&st)) {
      if (last == Last::arrow || last == Last::note) out += t.empty_row();
      out += t.arrow(*a, *t0);
      last = Last::arrow;
    } else if (const auto* n = std::get_if<Note>(&st)) {
      if (last == Last::arrow) out += t.empty_row();
      Note shown = *n;
      shown.text = note_text(*n, *t0);
      out += t.note(shown);
      last = Last::note;
    } else {
      if (last != Last::start) out += t.empty_row();
      out += t.round_trip(std::get<RoundTrip>(st));
      last = Last::rule;
    }
  }
  out += t.empty_row();
  out += "\n" + t.legend() + "\n";
  out += t.paint("Summary", "1") + "\n";
  for (const auto& l : summary_lines(summarize(steps, events), t.glyphs().sep)) {
    const auto lines = wrap(l, std::clamp<size_t>(options.width, 60, 100) - 8);
    for (size_t i = 0; i < lines.size(); ++i) out += (i == 0 ? "    " : "      ") + lines[i] + "\n";
  }
  return out;
}

// --- Mermaid ---

std::string mermaid_escape(std::string_view text) {
  std::string s;
  for (char c : text) {
    switch (c) {
      case ';':
        s += "#59;";
        break;
      case '#':
        s += "#35;";
        break;
      case '<':
        s += "#lt;";
        break;
      case '>':
        s += "#gt;";
        break;
      case '\r':
        break;
      case '\n':
        s += "<br/>";
        break;
      default:
        s += c;
    }
  }
  return s;
}

std::string render_mermaid(const std::vector<Event>& events) {
  std::string out = "sequenceDiagram\n    participant Client\n    participant Server\n";
  const auto t0 = first_time(events);
  if (!t0) return out + "    Note over Client,Server: no events were recorded\n";
  const auto steps = build_steps(events);
  for (const auto& st : steps) {
    if (const auto* a = std::get_if<Arrow>(&st)) {
      std::string text = mermaid_escape(a->name) + ", " + std::to_string(a->size) + " B, " + protection(*a);
      if (a->sent) text += ", sent " + format_ms(*a->sent - *t0);
      if (a->received) text += ", received " + format_ms(*a->received - *t0);
      for (const auto& [k, v] : a->details) text += "<br/>" + mermaid_escape(k + ": " + display_value(v, "..."));
      for (const auto& [k, v] : a->peer_details)
        text += "<br/>" + mermaid_escape(k + " (" + side_word(other(a->from)) + "): " + display_value(v, "..."));
      out += std::string("    ") + side_name(a->from) + (a->from == Side::client ? "->>" : "-->>") +
             side_name(other(a->from)) + ": " + text + "\n";
    } else if (const auto* n = std::get_if<Note>(&st)) {
      out += std::string("    Note over ") + side_name(n->side) + ": " + mermaid_escape(note_text(*n, *t0)) + "\n";
    } else {
      const auto& r = std::get<RoundTrip>(st);
      out += "    Note over Client,Server: round trip " + std::to_string(r.number);
      if (r.time) out += ", " + format_ms(*r.time);
      out += "\n";
    }
  }
  std::string summary;
  for (const auto& l : summary_lines(summarize(steps, events), ", ")) summary += (summary.empty() ? "" : "<br/>") + mermaid_escape(l);
  out += "    Note over Client,Server: " + summary + "\n";
  return out;
}

// --- terminal ---

bool locale_is_utf8() {
  // POSIX: LC_ALL overrides LC_CTYPE, which overrides LANG; the first one set decides.
  for (const char* var : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* v = std::getenv(var);
    if (!v || !*v) continue;
    std::string s(v);
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s.find("utf-8") != std::string::npos || s.find("utf8") != std::string::npos;
  }
  return false;
}

RenderOptions terminal_options(int fd, bool ascii) {
  RenderOptions o;
  o.unicode = !ascii && locale_is_utf8();
  const bool tty = isatty(fd) == 1;
  // https://no-color.org: NO_COLOR set to anything non-empty turns colour off.
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  o.color = tty && !(no_color && *no_color) && !(term && std::strcmp(term, "dumb") == 0);
  o.width = 80;
  winsize ws{};
  if (tty && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    o.width = ws.ws_col;
  } else if (const char* cols = std::getenv("COLUMNS")) {
    const long n = std::strtol(cols, nullptr, 10);
    if (n > 0) o.width = static_cast<size_t>(n);
  }
  return o;
}

// --- recorder ---

void TraceRecorder::on_event(const Event& e) {
  std::lock_guard<std::mutex> lock(mutex_);
  events_.push_back(e);
}

EventCallback TraceRecorder::callback() {
  return [this](const Event& e) { on_event(e); };
}

std::vector<Event> TraceRecorder::events() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return events_;
}

std::string TraceRecorder::render_text(const RenderOptions& options) const { return trace::render_text(events(), options); }
std::string TraceRecorder::render_mermaid() const { return trace::render_mermaid(events()); }

// --- stream ---

TraceStream::TraceStream(Side self, RenderOptions options, std::function<void(std::string_view)> sink,
                         std::string prefix)
    : self_(self), options_(options), sink_(std::move(sink)), prefix_(std::move(prefix)) {}

EventCallback TraceStream::callback() {
  return [this](const Event& e) { on_event(e); };
}

void TraceStream::on_event(const Event& e) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (e.side != self_ || !sink_) return;
  key_notes_.observe(e);
  const TextLayout t(options_);
  std::string out;
  if (!start_) {
    start_ = e.when;
    out += t.header();
  }
  if (is_sent(e.type) || is_received(e.type)) {
    Arrow a = arrow_of(e, is_sent(e.type) ? self_ : other(self_), is_sent(e.type) ? keys_ : read_keys_);
    (is_sent(e.type) ? a.sent : a.received) = e.when;
    a.received_bytes = is_sent(e.type) ? 0 : e.size;
    if (after_note_) out += t.empty_row();
    out += t.arrow(a, *start_);
    out += t.empty_row();
    after_note_ = false;
  } else if (e.type == EventType::keys_installed) {
    const KeysInfo& k = e.keys;
    (k.direction == Direction::write ? keys_ : read_keys_) = k.epoch;
    out += t.note(Note{Note::Kind::keys, self_, key_notes_.head(k) + KeyNotes::piece(k, self_), e.when});
  } else if (e.type == EventType::handshake_done) {
    out += t.note(Note{Note::Kind::handshake_done, self_, e.name + ", " + format_ms(e.when - *start_), e.when});
  }
  if (e.type == EventType::keys_installed || e.type == EventType::handshake_done) after_note_ = true;
  if (!prefix_.empty()) {
    std::string prefixed;
    size_t pos = 0;
    while (pos < out.size()) {
      const size_t nl = out.find('\n', pos);
      const size_t end = nl == std::string::npos ? out.size() : nl + 1;
      prefixed += prefix_ + out.substr(pos, end - pos);
      pos = end;
    }
    out = std::move(prefixed);
  }
  sink_(out);
}

}  // namespace tlspp::trace
