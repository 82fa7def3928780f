// The trace renderers (tools/trace.h) on recorded event sequences: the model (one arrow
// per message, receiver details merged, round trips), the text and Mermaid renderings
// against golden files in tests/data/trace/ (timestamps fixed), the Mermaid syntax, the
// terminal rules (UTF-8 locale, NO_COLOR, TTY), the streaming variant, and the events a
// real in-memory handshake emits.
//
// TLSPP_UPDATE_GOLDEN=1 rewrites the golden files from the current output.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/tls_pair.h"
#include "test_trace_util.h"
#include "trace.h"

namespace tlspp {
namespace {

using namespace std::chrono_literals;
using trace::Arrow;
using trace::Details;
using trace::Note;
using trace::RenderOptions;
using trace::RoundTrip;
using Clock = std::chrono::steady_clock;

const Clock::time_point kStart = Clock::time_point{} + 1000s;

// The typed fields the library sets with a message's or alert's display name (conn/core.cc):
// "ClientHello (retry)" is {client_hello, retry}.
MessageInfo message_named(const std::string& name) {
  for (int t = 1; t <= static_cast<int>(MessageType::change_cipher_spec); ++t) {
    const auto type = static_cast<MessageType>(t);
    const std::string n(message_type_name(type));
    if (name == n) return {type, false};
    if (name == n + " (retry)") return {type, true};
  }
  ADD_FAILURE() << "no message is named " << name;
  return {};
}
AlertDescription alert_named(const std::string& name) {
  for (int d = 0; d < 256; ++d)
    if (alert_name(static_cast<AlertDescription>(d)) == name) return static_cast<AlertDescription>(d);
  ADD_FAILURE() << "no alert is named " << name;
  return {};
}

// Builds an event list by hand, each event at a fixed microsecond offset, with the display
// text and the typed fields the library gives it.
struct Script {
  std::vector<Event> events;
  Script& add(int us, Side side, EventType type, std::string name, size_t size, bool encrypted,
              Details details = {}) {
    Event e{type, side, name, size, encrypted, std::move(details), kStart + std::chrono::microseconds(us)};
    if (type == EventType::message_sent || type == EventType::message_received) e.message = message_named(name);
    if (type == EventType::alert_sent || type == EventType::alert_received) {
      const auto* level = find_value(e.details, "level");
      e.alert = {alert_named(name), level && *level == "fatal" ? AlertLevel::fatal : AlertLevel::warning};
    }
    events.push_back(std::move(e));
    return *this;
  }
  Script& keys(int us, Side side, KeyEpoch epoch, Direction direction, const char* label) {
    add(us, side, EventType::keys_installed,
        std::string(key_epoch_name(epoch)) + " traffic keys (" + std::string(direction_name(direction)) + ")", 0,
        false, {{"label", label}, {"aead", "AES-128-GCM"}, {"hash", "SHA-256"}});
    events.back().keys = {epoch, direction, false, label, "AES-128-GCM", "SHA-256"};
    return *this;
  }

  static const std::string* find_value(const Details& d, std::string_view key) {
    for (const auto& [k, v] : d)
      if (k == key) return &v;
    return nullptr;
  }
};

constexpr Side C = Side::client;
constexpr Side S = Side::server;
constexpr auto sent = EventType::message_sent;
constexpr auto received = EventType::message_received;

const std::string kVerifyS = "248d9762baa729ab0c5e1d6a6e0b3b6f7c0ee0a0e6a6b0f5fbd1a2c3d4e5f607";
const std::string kVerifyC = "dde1c7cc5028f6061122334455667788990011223344556677889900aabbccdd";

Details client_hello_details(const std::string& key_share) {
  return {{"versions", "TLSv1.3"},
          {"cipher_suites", "TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256"},
          {"groups", "x25519, secp256r1, secp384r1"},
          {"key_share", key_share},
          {"signature_algorithms", "ecdsa_secp256r1_sha256, ed25519, rsa_pss_rsae_sha256"},
          {"server_name", "localhost"},
          {"alpn", "h2, http/1.1"}};
}

// A full TLS 1.3 handshake, request, response and closure as both sides of tlspp report
// it (the names, details and order of src/handshake and src/conn), at fixed times.
Script full_handshake() {
  Script s;
  s.add(0, C, sent, "ClientHello", 210, false, client_hello_details("x25519"))
      .add(120, S, received, "ClientHello", 210, false,
           {{"versions", "TLSv1.3"},
            {"cipher_suites", "TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256"},
            {"groups", "x25519, secp256r1, secp384r1"},
            {"key_shares", "x25519"},
            {"signature_algorithms", "ecdsa_secp256r1_sha256, ed25519, rsa_pss_rsae_sha256"},
            {"server_name", "localhost"}})
      .add(180, S, sent, "ServerHello", 122, false,
           {{"version", "TLSv1.3"}, {"cipher_suite", "TLS_AES_128_GCM_SHA256"}, {"key_share", "x25519"}})
      .add(181, S, sent, "ChangeCipherSpec", 1, false)
      .keys(190, S, KeyEpoch::handshake, Direction::write, "SERVER_HANDSHAKE_TRAFFIC_SECRET")
      .keys(191, S, KeyEpoch::handshake, Direction::read, "CLIENT_HANDSHAKE_TRAFFIC_SECRET")
      .add(200, S, sent, "EncryptedExtensions", 21, true, {{"alpn", "http/1.1"}})
      .add(205, S, sent, "Certificate", 993, true,
           {{"certificates", "2"}, {"subject", "CN=localhost, O=tlspp test"}, {"key", "ECDSA P-256"}})
      .add(280, S, sent, "CertificateVerify", 79, true, {{"signature_scheme", "ecdsa_secp256r1_sha256"}})
      .add(282, S, sent, "Finished", 36, true, {{"verify_data", kVerifyS}})
      .keys(290, S, KeyEpoch::application, Direction::write, "SERVER_TRAFFIC_SECRET_0")
      .add(400, C, received, "ServerHello", 122, false,
           {{"version", "TLSv1.3"}, {"cipher_suite", "TLS_AES_128_GCM_SHA256"}, {"key_share", "x25519"}})
      .keys(405, C, KeyEpoch::handshake, Direction::read, "SERVER_HANDSHAKE_TRAFFIC_SECRET")
      .add(406, C, sent, "ChangeCipherSpec", 1, false)
      .keys(407, C, KeyEpoch::handshake, Direction::write, "CLIENT_HANDSHAKE_TRAFFIC_SECRET")
      .add(420, C, received, "EncryptedExtensions", 21, true, {{"alpn", "http/1.1"}})
      .add(900, C, received, "Certificate", 993, true,
           {{"certificates", "2"},
            {"subject", "CN=localhost, O=tlspp test"},
            {"key", "ECDSA P-256"},
            {"verified", "yes"}})
      .add(950, C, received, "CertificateVerify", 79, true, {{"signature_scheme", "ecdsa_secp256r1_sha256"}})
      .add(952, C, received, "Finished", 36, true, {{"verify_data", kVerifyS}})
      .keys(955, C, KeyEpoch::application, Direction::read, "SERVER_TRAFFIC_SECRET_0")
      .add(957, C, sent, "Finished", 36, true, {{"verify_data", kVerifyC}})
      .keys(958, C, KeyEpoch::application, Direction::write, "CLIENT_TRAFFIC_SECRET_0")
      .add(960, C, EventType::handshake_done, "handshake complete", 0, true)
      .add(962, C, EventType::application_data_sent, "application data", 54, true)
      .add(1010, S, received, "Finished", 36, true, {{"verify_data", kVerifyC}})
      .keys(1012, S, KeyEpoch::application, Direction::read, "CLIENT_TRAFFIC_SECRET_0")
      .add(1015, S, sent, "NewSessionTicket", 50, true, {{"lifetime", "7200 s"}, {"ticket", "32 bytes"}})
      .add(1016, S, EventType::handshake_done, "handshake complete", 0, true)
      .add(1020, S, EventType::application_data_received, "application data", 54, true)
      .add(1025, S, EventType::application_data_sent, "application data", 103, true)
      .add(1027, S, EventType::alert_sent, "close_notify", 2, true, {{"level", "warning"}})
      .add(1040, C, received, "NewSessionTicket", 50, true, {{"lifetime", "7200 s"}, {"ticket", "32 bytes"}})
      // The response arrives in two records.
      .add(1045, C, EventType::application_data_received, "application data", 100, true)
      .add(1046, C, EventType::application_data_received, "application data", 3, true)
      .add(1047, C, EventType::alert_received, "close_notify", 2, true, {{"level", "warning"}})
      .add(1050, C, EventType::alert_sent, "close_notify", 2, true, {{"level", "warning"}})
      .add(1070, S, EventType::alert_received, "close_notify", 2, true, {{"level", "warning"}});
  return s;
}

// The first key share (x25519) is not one the server accepts: HelloRetryRequest.
Script hrr_handshake() {
  Script s;
  Details ch = client_hello_details("x25519");
  ch[2].second = "x25519, secp384r1";
  Details ch2 = client_hello_details("secp384r1");
  ch2[2].second = "x25519, secp384r1";
  ch2.emplace_back("cookie", "69 bytes");
  s.add(0, C, sent, "ClientHello", 208, false, ch)
      .add(100, S, received, "ClientHello", 208, false,
           {{"cipher_suites", "TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256"},
            {"key_shares", "none acceptable"}})
      .add(110, S, sent, "HelloRetryRequest", 163, false,
           {{"cipher_suite", "TLS_AES_128_GCM_SHA256"}, {"selected_group", "secp384r1"}, {"cookie", "69 bytes"}})
      .add(111, S, sent, "ChangeCipherSpec", 1, false)
      .add(200, C, received, "HelloRetryRequest", 163, false,
           {{"cipher_suite", "TLS_AES_128_GCM_SHA256"}, {"selected_group", "secp384r1"}, {"cookie", "69 bytes"}})
      .add(700, C, sent, "ChangeCipherSpec", 1, false)
      .add(705, C, sent, "ClientHello (retry)", 348, false, ch2)
      .add(800, S, received, "ClientHello (retry)", 348, false, {{"key_shares", "secp384r1"}})
      .add(1800, S, sent, "ServerHello", 187, false,
           {{"version", "TLSv1.3"}, {"cipher_suite", "TLS_AES_128_GCM_SHA256"}, {"key_share", "secp384r1"}})
      .keys(1810, S, KeyEpoch::handshake, Direction::write, "SERVER_HANDSHAKE_TRAFFIC_SECRET")
      .keys(1811, S, KeyEpoch::handshake, Direction::read, "CLIENT_HANDSHAKE_TRAFFIC_SECRET")
      .add(1820, S, sent, "EncryptedExtensions", 21, true, {{"alpn", "http/1.1"}})
      .add(1825, S, sent, "Certificate", 995, true,
           {{"certificates", "2"}, {"subject", "CN=localhost, O=tlspp test"}, {"key", "ECDSA P-256"}})
      .add(1900, S, sent, "CertificateVerify", 80, true, {{"signature_scheme", "ecdsa_secp256r1_sha256"}})
      .add(1902, S, sent, "Finished", 36, true, {{"verify_data", kVerifyS}})
      .keys(1910, S, KeyEpoch::application, Direction::write, "SERVER_TRAFFIC_SECRET_0")
      .add(3000, C, received, "ServerHello", 187, false,
           {{"version", "TLSv1.3"}, {"cipher_suite", "TLS_AES_128_GCM_SHA256"}, {"key_share", "secp384r1"}})
      .keys(3005, C, KeyEpoch::handshake, Direction::read, "SERVER_HANDSHAKE_TRAFFIC_SECRET")
      .keys(3006, C, KeyEpoch::handshake, Direction::write, "CLIENT_HANDSHAKE_TRAFFIC_SECRET")
      .add(3020, C, received, "EncryptedExtensions", 21, true, {{"alpn", "http/1.1"}})
      .add(3500, C, received, "Certificate", 995, true,
           {{"certificates", "2"}, {"subject", "CN=localhost, O=tlspp test"}, {"key", "ECDSA P-256"}, {"verified", "yes"}})
      .add(3550, C, received, "CertificateVerify", 80, true, {{"signature_scheme", "ecdsa_secp256r1_sha256"}})
      .add(3552, C, received, "Finished", 36, true, {{"verify_data", kVerifyS}})
      .keys(3555, C, KeyEpoch::application, Direction::read, "SERVER_TRAFFIC_SECRET_0")
      .add(3557, C, sent, "Finished", 36, true, {{"verify_data", kVerifyC}})
      .keys(3558, C, KeyEpoch::application, Direction::write, "CLIENT_TRAFFIC_SECRET_0")
      .add(3560, C, EventType::handshake_done, "handshake complete", 0, true)
      .add(3600, S, received, "Finished", 36, true, {{"verify_data", kVerifyC}})
      .keys(3602, S, KeyEpoch::application, Direction::read, "CLIENT_TRAFFIC_SECRET_0")
      .add(3603, S, EventType::handshake_done, "handshake complete", 0, true);
  return s;
}

// TLS 1.2 keys come from the key block: application keys without a key log label.
void keys12(Script& s, int us, Side side, Direction direction) {
  s.add(us, side, EventType::keys_installed,
        "application traffic keys (" + std::string(direction_name(direction)) + ")", 0, false,
        {{"aead", "AES-128-GCM"}, {"hash", "SHA-256"}});
  s.events.back().keys = {KeyEpoch::application, direction, false, "", "AES-128-GCM", "SHA-256"};
}

Details client_hello12_details() {
  return {{"versions", "TLSv1.2"},
          {"cipher_suites", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
          {"groups", "x25519, secp256r1, secp384r1"},
          {"signature_algorithms", "ecdsa_secp256r1_sha256, ed25519, rsa_pss_rsae_sha256"},
          {"server_name", "localhost"},
          {"alpn", "h2, http/1.1"}};
}
Details server_hello12_details(bool resumed = false) {
  Details d{{"version", "TLSv1.2"},
            {"cipher_suite", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
            {"extended_master_secret", "yes"},
            {"renegotiation_info", "secure"}};
  if (resumed) d.emplace_back("session", "resumed");
  d.emplace_back("alpn", "http/1.1");
  return d;
}

const std::string kVerify12S = "0a1b2c3d4e5f60718293a4b5";
const std::string kVerify12C = "5b4a39281706f5e4d3c2b1a0";

// A full TLS 1.2 handshake (RFC 5246 §7.3) with a ticket (RFC 5077), the request, the
// response and the closure, both sides, at fixed times. Each side switches keys at its
// ChangeCipherSpecs; the client asks only once the server's Finished is in.
Script tls12_full_handshake() {
  Script s;
  s.add(0, C, sent, "ClientHello", 190, false, client_hello12_details())
      .add(100, S, received, "ClientHello", 190, false)
      .add(150, S, sent, "ServerHello", 81, false, server_hello12_details())
      .add(155, S, sent, "Certificate", 990, false,
           {{"certificates", "2"}, {"subject", "CN=localhost, O=tlspp test"}, {"key", "ECDSA P-256"}})
      .add(230, S, sent, "ServerKeyExchange", 116, false,
           {{"named_curve", "x25519"}, {"signature_scheme", "ecdsa_secp256r1_sha256"}})
      .add(232, S, sent, "ServerHelloDone", 4, false)
      .add(400, C, received, "ServerHello", 81, false, server_hello12_details())
      .add(700, C, received, "Certificate", 990, false,
           {{"certificates", "2"}, {"subject", "CN=localhost, O=tlspp test"}, {"key", "ECDSA P-256"}, {"verified", "yes"}})
      .add(800, C, received, "ServerKeyExchange", 116, false,
           {{"group", "x25519"}, {"signature_scheme", "ecdsa_secp256r1_sha256"}})
      .add(802, C, received, "ServerHelloDone", 4, false)
      .add(900, C, sent, "ClientKeyExchange", 37, false, {{"group", "x25519"}})
      .add(901, C, sent, "ChangeCipherSpec", 1, false);
  keys12(s, 902, C, Direction::write);
  s.add(905, C, sent, "Finished", 16, true, {{"verify_data", kVerify12C}})
      .add(1000, S, received, "ClientKeyExchange", 37, false, {{"group", "x25519"}})
      .add(1050, S, received, "ChangeCipherSpec", 1, false);
  keys12(s, 1051, S, Direction::read);
  s.add(1055, S, received, "Finished", 16, true, {{"verify_data", kVerify12C}})
      .add(1060, S, sent, "NewSessionTicket", 170, false, {{"lifetime_hint", "7200 s"}, {"ticket", "160 bytes"}})
      .add(1061, S, sent, "ChangeCipherSpec", 1, false);
  keys12(s, 1062, S, Direction::write);
  s.add(1065, S, sent, "Finished", 16, true, {{"verify_data", kVerify12S}})
      .add(1066, S, EventType::handshake_done, "handshake complete", 0, true)
      .add(1200, C, received, "NewSessionTicket", 170, false, {{"lifetime_hint", "7200 s"}, {"ticket", "160 bytes"}})
      .add(1210, C, received, "ChangeCipherSpec", 1, false);
  keys12(s, 1211, C, Direction::read);
  s.add(1215, C, received, "Finished", 16, true, {{"verify_data", kVerify12S}})
      .add(1216, C, EventType::handshake_done, "handshake complete", 0, true)
      .add(1220, C, EventType::application_data_sent, "application data", 54, true)
      .add(1300, S, EventType::application_data_received, "application data", 54, true)
      .add(1305, S, EventType::application_data_sent, "application data", 103, true)
      .add(1306, S, EventType::alert_sent, "close_notify", 2, true, {{"level", "warning"}})
      .add(1400, C, EventType::application_data_received, "application data", 103, true)
      .add(1401, C, EventType::alert_received, "close_notify", 2, true, {{"level", "warning"}})
      .add(1402, C, EventType::alert_sent, "close_notify", 2, true, {{"level", "warning"}})
      .add(1450, S, EventType::alert_received, "close_notify", 2, true, {{"level", "warning"}});
  return s;
}

// The abbreviated TLS 1.2 handshake (RFC 5246 §7.3, RFC 5077 §3.1): the server resumes the
// ticket's session and finishes first; the client's Finished and request leave together.
Script tls12_resumed_handshake() {
  Script s;
  Details ch = client_hello12_details();
  ch.emplace_back("session_ticket", "160 bytes");
  s.add(0, C, sent, "ClientHello", 380, false, ch)
      .add(100, S, received, "ClientHello", 380, false)
      .add(150, S, sent, "ServerHello", 113, false, server_hello12_details(true))
      .add(152, S, sent, "NewSessionTicket", 170, false, {{"lifetime_hint", "7200 s"}, {"ticket", "160 bytes"}})
      .add(153, S, sent, "ChangeCipherSpec", 1, false);
  keys12(s, 154, S, Direction::write);
  s.add(156, S, sent, "Finished", 16, true, {{"verify_data", kVerify12S}})
      .add(300, C, received, "ServerHello", 113, false, server_hello12_details(true))
      .add(301, C, received, "NewSessionTicket", 170, false, {{"lifetime_hint", "7200 s"}, {"ticket", "160 bytes"}})
      .add(302, C, received, "ChangeCipherSpec", 1, false);
  keys12(s, 303, C, Direction::read);
  s.add(305, C, received, "Finished", 16, true, {{"verify_data", kVerify12S}})
      .add(306, C, sent, "ChangeCipherSpec", 1, false);
  keys12(s, 307, C, Direction::write);
  s.add(308, C, sent, "Finished", 16, true, {{"verify_data", kVerify12C}})
      .add(309, C, EventType::handshake_done, "handshake complete", 0, true)
      .add(310, C, EventType::application_data_sent, "application data", 54, true)
      .add(400, S, received, "ChangeCipherSpec", 1, false);
  keys12(s, 401, S, Direction::read);
  s.add(402, S, received, "Finished", 16, true, {{"verify_data", kVerify12C}})
      .add(403, S, EventType::handshake_done, "handshake complete", 0, true)
      .add(404, S, EventType::application_data_received, "application data", 54, true)
      .add(410, S, EventType::application_data_sent, "application data", 103, true)
      .add(411, S, EventType::alert_sent, "close_notify", 2, true, {{"level", "warning"}})
      .add(500, C, EventType::application_data_received, "application data", 103, true)
      .add(501, C, EventType::alert_received, "close_notify", 2, true, {{"level", "warning"}})
      .add(502, C, EventType::alert_sent, "close_notify", 2, true, {{"level", "warning"}})
      .add(550, S, EventType::alert_received, "close_notify", 2, true, {{"level", "warning"}});
  return s;
}

std::vector<Event> only(const std::vector<Event>& events, Side side) {
  std::vector<Event> out;
  std::copy_if(events.begin(), events.end(), std::back_inserter(out), [&](const Event& e) { return e.side == side; });
  return out;
}

std::vector<const Arrow*> arrows(const std::vector<trace::Step>& steps) {
  std::vector<const Arrow*> out;
  for (const auto& s : steps)
    if (const auto* a = std::get_if<Arrow>(&s)) out.push_back(a);
  return out;
}

std::string arrow_list(const std::vector<trace::Step>& steps) {
  std::string out;
  for (const auto* a : arrows(steps)) out += std::string(a->from == C ? "C " : "S ") + a->name + "\n";
  return out;
}

const Arrow* find_arrow(const std::vector<trace::Step>& steps, Side from, MessageType type) {
  for (const auto* a : arrows(steps))
    if (a->from == from && (a->kind == sent || a->kind == received) && a->message.type == type) return a;
  return nullptr;
}

const Arrow* find_data(const std::vector<trace::Step>& steps, Side from) {
  for (const auto* a : arrows(steps))
    if (a->from == from && (a->kind == EventType::application_data_sent || a->kind == EventType::application_data_received))
      return a;
  return nullptr;
}

std::string detail(const Details& d, const std::string& key) {
  for (const auto& [k, v] : d)
    if (k == key) return v;
  return "(absent)";
}

// Compares with tests/data/trace/<name>, or rewrites it under TLSPP_UPDATE_GOLDEN=1.
void expect_golden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(TLSPP_SOURCE_DIR) + "/tests/data/trace/" + name;
  if (const char* u = std::getenv("TLSPP_UPDATE_GOLDEN"); u && *u == '1') {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), actual) << "differs from " << path << " (TLSPP_UPDATE_GOLDEN=1 rewrites it)";
}

RenderOptions plain(size_t width, bool unicode = true) {
  RenderOptions o;
  o.unicode = unicode;
  o.color = false;
  o.width = width;
  return o;
}

// Display columns of a line (code points).
size_t columns(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xc0) != 0x80) ++n;
  return n;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string l; std::getline(ss, l);) out.push_back(l);
  return out;
}

// --- the model ---

TEST(TraceModel, OneArrowPerMessageInTheOrderSent) {
  const auto steps = trace::build_steps(full_handshake().events);
  EXPECT_EQ(arrow_list(steps),
            "C ClientHello\n"
            "S ServerHello\n"
            "S ChangeCipherSpec\n"
            "S EncryptedExtensions\n"
            "S Certificate\n"
            "S CertificateVerify\n"
            "S Finished\n"
            "C ChangeCipherSpec\n"
            "C Finished\n"
            "C application data\n"
            "S NewSessionTicket\n"
            "S application data\n"
            "S close_notify\n"
            "C close_notify\n");
  // Every arrow has both ends' times except the ChangeCipherSpecs (tlspp reports no event
  // for a ChangeCipherSpec it drops).
  for (const auto* a : arrows(steps)) {
    EXPECT_TRUE(a->sent) << a->name;
    EXPECT_EQ(a->received.has_value(), a->name != "ChangeCipherSpec") << a->name;
  }
}

TEST(TraceModel, TimeOrderDecidesNotInsertionOrder) {
  auto events = full_handshake().events;
  std::reverse(events.begin(), events.end());
  EXPECT_EQ(arrow_list(trace::build_steps(events)), arrow_list(trace::build_steps(full_handshake().events)));
}

TEST(TraceModel, EventsOfOneInstantKeepTheirOrder) {
  Script s;
  s.add(0, C, sent, "ClientHello", 10, false)
      .add(5, S, sent, "ServerHello", 10, false)
      .add(5, S, sent, "EncryptedExtensions", 10, true)
      .add(5, S, sent, "Finished", 10, true);
  EXPECT_EQ(arrow_list(trace::build_steps(s.events)),
            "C ClientHello\nS ServerHello\nS EncryptedExtensions\nS Finished\n");
}

TEST(TraceModel, ReceiverAddsOnlyWhatTheSenderDidNotSay) {
  const auto steps = trace::build_steps(full_handshake().events);
  const Arrow* cert = find_arrow(steps, S, MessageType::certificate);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(cert->peer_details, (Details{{"verified", "yes"}}));
  // "key_shares: x25519" repeats the client's "key_share: x25519".
  const Arrow* ch = find_arrow(steps, C, MessageType::client_hello);
  ASSERT_NE(ch, nullptr);
  EXPECT_TRUE(ch->peer_details.empty());
  EXPECT_EQ(ch->details, client_hello_details("x25519"));
  // After a HelloRetryRequest, the server's verdict on the first ClientHello is news.
  const auto hrr = trace::build_steps(hrr_handshake().events);
  const Arrow* ch1 = find_arrow(hrr, C, MessageType::client_hello);
  ASSERT_NE(ch1, nullptr);
  EXPECT_EQ(ch1->peer_details, (Details{{"key_shares", "none acceptable"}}));
}

TEST(TraceModel, ProtectionAndKeysFromTheSendersKeyEvents) {
  const auto steps = trace::build_steps(full_handshake().events);
  for (const auto* a : arrows(steps)) {
    const auto t = a->message.type;
    const bool plaintext =
        t == MessageType::client_hello || t == MessageType::server_hello || t == MessageType::change_cipher_spec;
    EXPECT_EQ(a->encrypted, !plaintext) << a->name;
  }
  EXPECT_EQ(find_arrow(steps, S, MessageType::encrypted_extensions)->keys, KeyEpoch::handshake);
  EXPECT_EQ(find_arrow(steps, C, MessageType::finished)->keys, KeyEpoch::handshake);
  EXPECT_EQ(find_arrow(steps, S, MessageType::new_session_ticket)->keys, KeyEpoch::application);
  EXPECT_EQ(find_data(steps, C)->keys, KeyEpoch::application);
}

TEST(TraceModel, KeyNotesFoldWriteAndReadOfOneEpoch) {
  const auto steps = trace::build_steps(full_handshake().events);
  std::vector<std::string> notes;
  for (const auto& s : steps)
    if (const auto* n = std::get_if<Note>(&s)) notes.push_back(std::string(n->side == C ? "C " : "S ") + n->text);
  EXPECT_EQ(notes, (std::vector<std::string>{
                       "S handshake traffic keys: write SERVER_HANDSHAKE_TRAFFIC_SECRET, read CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                       "S application traffic keys: write SERVER_TRAFFIC_SECRET_0",
                       "C handshake traffic keys: read SERVER_HANDSHAKE_TRAFFIC_SECRET",
                       // The client's ChangeCipherSpec goes out between its two key changes.
                       "C handshake traffic keys: write CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                       "C application traffic keys: read SERVER_TRAFFIC_SECRET_0",
                       "C application traffic keys: write CLIENT_TRAFFIC_SECRET_0",
                       "C handshake complete",
                       "S application traffic keys: read CLIENT_TRAFFIC_SECRET_0",
                       "S handshake complete",
                   }));
}

TEST(TraceModel, ApplicationDataInSeveralRecordsIsOneArrow) {
  const auto steps = trace::build_steps(full_handshake().events);
  const Arrow* response = find_data(steps, S);
  ASSERT_NE(response, nullptr);
  EXPECT_EQ(response->size, 103u);
  EXPECT_EQ(response->received_bytes, 103u);
  EXPECT_EQ(*response->received - kStart, 1046us);  // the last record's arrival
}

TEST(TraceModel, RoundTripsOfAFullHandshake) {
  const auto events = full_handshake().events;
  const auto steps = trace::build_steps(events);
  std::vector<int> numbers;
  std::vector<Clock::duration> times;
  for (const auto& s : steps)
    if (const auto* r = std::get_if<RoundTrip>(&s)) {
      numbers.push_back(r->number);
      ASSERT_TRUE(r->time);
      times.push_back(*r->time);
    }
  EXPECT_EQ(numbers, (std::vector<int>{1, 2}));
  // Round trip 1: ClientHello sent at 0, ServerHello at the client at 400 us. Round trip
  // 2: the request (the flight's last message) at 962 us, the ticket back at 1040 us.
  EXPECT_EQ(times, (std::vector<Clock::duration>{400us, 78us}));
  const auto s = trace::summarize(steps, events);
  EXPECT_EQ(s.round_trips, 2);
  ASSERT_TRUE(s.handshake_round_trips);
  EXPECT_EQ(*s.handshake_round_trips, 1);
  ASSERT_TRUE(s.handshake_ms);
  EXPECT_DOUBLE_EQ(*s.handshake_ms, 0.960);
  EXPECT_EQ(s.version, "TLSv1.3");
  EXPECT_EQ(s.cipher_suite, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(s.group, "x25519");
  EXPECT_EQ(s.alpn, "http/1.1");
  EXPECT_EQ(s.server_subject, "CN=localhost, O=tlspp test");
  EXPECT_EQ(s.server_key, "ECDSA P-256");
  EXPECT_EQ(s.server_signature, "ecdsa_secp256r1_sha256");
  EXPECT_EQ(s.client_messages, 5u);
  EXPECT_EQ(s.server_messages, 9u);
  EXPECT_EQ(s.client_bytes, 210u + 1 + 36 + 54 + 2);
  EXPECT_EQ(s.server_bytes, 122u + 1 + 21 + 993 + 79 + 36 + 50 + 103 + 2);
  EXPECT_EQ(s.encrypted_messages, 10u);
  EXPECT_FALSE(s.hello_retry_request);
}

TEST(TraceModel, HelloRetryRequestCostsARoundTrip) {
  const auto events = hrr_handshake().events;
  const auto steps = trace::build_steps(events);
  EXPECT_EQ(arrow_list(steps),
            "C ClientHello\n"
            "S HelloRetryRequest\n"
            "S ChangeCipherSpec\n"
            "C ChangeCipherSpec\n"
            "C ClientHello (retry)\n"
            "S ServerHello\n"
            "S EncryptedExtensions\n"
            "S Certificate\n"
            "S CertificateVerify\n"
            "S Finished\n"
            "C Finished\n");
  const auto s = trace::summarize(steps, events);
  EXPECT_TRUE(s.hello_retry_request);
  EXPECT_EQ(s.retry_group, "secp384r1");
  ASSERT_TRUE(s.handshake_round_trips);
  EXPECT_EQ(*s.handshake_round_trips, 2);
  EXPECT_EQ(s.group, "secp384r1");
}

TEST(TraceModel, OneSideAloneDrawsItsReceivedMessagesAsArrowsFromThePeer) {
  const auto events = only(full_handshake().events, C);
  const auto steps = trace::build_steps(events);
  EXPECT_EQ(arrow_list(steps),
            "C ClientHello\n"
            "S ServerHello\n"
            "C ChangeCipherSpec\n"
            "S EncryptedExtensions\n"
            "S Certificate\n"
            "S CertificateVerify\n"
            "S Finished\n"
            "C Finished\n"
            "C application data\n"
            "S NewSessionTicket\n"
            "S application data\n"
            "S application data\n"
            "S close_notify\n"
            "C close_notify\n");
  const Arrow* cert = find_arrow(steps, S, MessageType::certificate);
  ASSERT_NE(cert, nullptr);
  EXPECT_FALSE(cert->sent);
  EXPECT_EQ(*cert->received - kStart, 900us);
  EXPECT_EQ(detail(cert->details, "verified"), "yes");
  EXPECT_EQ(cert->keys, KeyEpoch::handshake);  // the client's read keys when it arrived
  const auto s = trace::summarize(steps, events);
  EXPECT_TRUE(s.client_recorded);
  EXPECT_FALSE(s.server_recorded);
  ASSERT_TRUE(s.handshake_round_trips);
  EXPECT_EQ(*s.handshake_round_trips, 1);
}

TEST(TraceModel, AReceivedMessageTheSenderNeverReportedStillAppears) {
  Script s;
  s.add(0, C, sent, "ClientHello", 10, false).add(10, S, sent, "ServerHello", 20, false);
  s.add(20, C, received, "ServerHello", 20, false).add(30, C, received, "EncryptedExtensions", 5, true);
  EXPECT_EQ(arrow_list(trace::build_steps(s.events)), "C ClientHello\nS ServerHello\nS EncryptedExtensions\n");
}

TEST(TraceModel, WithoutCompletionTheHandshakeRoundTripsAreUnknown) {
  auto events = full_handshake().events;
  std::erase_if(events, [](const Event& e) { return e.type == EventType::handshake_done; });
  const auto steps = trace::build_steps(events);
  const auto s = trace::summarize(steps, events);
  EXPECT_FALSE(s.handshake_round_trips);
  EXPECT_FALSE(s.handshake_ms);
  EXPECT_NE(trace::render_text(events, plain(80)).find("the handshake did not complete"), std::string::npos);
}

// --- the text renderer ---

TEST(TraceText, GoldenUnicode) { expect_golden("full.txt", trace::render_text(full_handshake().events, plain(80))); }

TEST(TraceText, GoldenAsciiNarrow) {
  expect_golden("full_ascii.txt", trace::render_text(full_handshake().events, plain(64, false)));
}

TEST(TraceText, GoldenHelloRetryRequest) {
  expect_golden("hrr.txt", trace::render_text(hrr_handshake().events, plain(80)));
}

TEST(TraceText, GoldenClientOnly) {
  expect_golden("client_only.txt", trace::render_text(only(full_handshake().events, C), plain(80)));
}

TEST(TraceText, RowsKeepTheirWidthAtEveryTerminalWidth) {
  for (const size_t width : {60u, 72u, 80u, 100u}) {
    for (const bool unicode : {true, false}) {
      const auto text = trace::render_text(full_handshake().events, plain(width, unicode));
      const std::string lifeline = unicode ? "│" : "|";
      size_t rows = 0;
      const auto lines = lines_of(text);
      // The diagram: after the names, every row up to the first empty line runs from the
      // client's lifeline (column 3) to the server's.
      for (size_t i = 1; i < lines.size() && !lines[i].empty(); ++i) {
        const auto& l = lines[i];
        ++rows;
        EXPECT_EQ(columns(l), width - 3) << "width " << width << ": '" << l << "'";
        EXPECT_TRUE(l.ends_with(lifeline) || l.ends_with(unicode ? "┤" : "+") || l.ends_with(unicode ? "╡" : "+"))
            << l;
      }
      EXPECT_GT(rows, 60u);
      // Nothing else is wider than the terminal either.
      for (const auto& l : lines) EXPECT_LE(columns(l), width) << l;
    }
  }
}

TEST(TraceText, AsciiModeIsPureAscii) {
  const auto text = trace::render_text(full_handshake().events, plain(80, false));
  EXPECT_TRUE(std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }));
  EXPECT_NE(text.find("+- 0.000 ms ---"), std::string::npos);  // ClientHello
  EXPECT_NE(text.find("|<- 0.400 ms ---"), std::string::npos);  // ServerHello
  EXPECT_NE(text.find("|<= 0.420 ms ==="), std::string::npos);  // EncryptedExtensions
  EXPECT_NE(text.find("= 1.010 ms =>|"), std::string::npos);   // the client's Finished
}

TEST(TraceText, ColourOnlyWhenAsked) {
  auto o = plain(80);
  EXPECT_EQ(trace::render_text(full_handshake().events, o).find('\x1b'), std::string::npos);
  o.color = true;
  const auto coloured = trace::render_text(full_handshake().events, o);
  EXPECT_NE(coloured.find("\x1b[36m"), std::string::npos);  // client
  EXPECT_NE(coloured.find("\x1b[33m"), std::string::npos);  // server
  // Colour changes nothing but the escapes.
  std::string stripped;
  for (size_t i = 0; i < coloured.size(); ++i) {
    if (coloured[i] == '\x1b') {
      while (coloured[i] != 'm') ++i;
      continue;
    }
    stripped += coloured[i];
  }
  EXPECT_EQ(stripped, trace::render_text(full_handshake().events, plain(80)));
}

TEST(TraceText, EveryNumberComesFromTheEvents) {
  auto events = full_handshake().events;
  for (auto& e : events)
    if (e.message.type == MessageType::certificate) e.size = 4321;
  const auto text = trace::render_text(events, plain(80));
  EXPECT_NE(text.find("4321 B"), std::string::npos);
  EXPECT_EQ(text.find("993 B"), std::string::npos);
  EXPECT_NE(text.find("0.900 ms"), std::string::npos);  // the client's Certificate arrival
}

TEST(TraceText, NoEvents) { EXPECT_EQ(trace::render_text({}, plain(80)), "(no events were recorded)\n"); }

// --- Mermaid ---

TEST(TraceMermaid, Golden) { expect_golden("full.mmd", trace::render_mermaid(full_handshake().events)); }

TEST(TraceMermaid, GoldenHelloRetryRequest) {
  expect_golden("hrr.mmd", trace::render_mermaid(hrr_handshake().events));
}

TEST(TraceMermaid, ValidSyntaxWithClientArrowsSolidAndServerArrowsDashed) {
  std::string problem;
  const auto d = test::parse_mermaid(trace::render_mermaid(full_handshake().events), problem);
  ASSERT_TRUE(d) << problem;
  EXPECT_EQ(d->participants, (std::vector<std::string>{"Client", "Server"}));
  ASSERT_EQ(d->arrows.size(), 14u);
  for (const auto& a : d->arrows) {
    EXPECT_EQ(a.dashed, a.from == "Server") << a.text;
    EXPECT_NE(a.from, a.to);
  }
  EXPECT_EQ(test::arrow_name(d->arrows.front()), "ClientHello");
  EXPECT_EQ(d->arrows.front().text.substr(0, 52), "ClientHello, 210 B, plaintext, sent 0.000 ms, receiv");
  // Key derivations are notes over the side that installs the keys.
  EXPECT_NE(std::find(d->notes.begin(), d->notes.end(),
                      "Server: handshake traffic keys: write SERVER_HANDSHAKE_TRAFFIC_SECRET, read "
                      "CLIENT_HANDSHAKE_TRAFFIC_SECRET"),
            d->notes.end());
  EXPECT_NE(std::find(d->notes.begin(), d->notes.end(), "Client,Server: round trip 1, 0.400 ms"), d->notes.end());
}

TEST(TraceMermaid, TextThatWouldBreakTheStatementIsEscaped) {
  Script s;
  s.add(0, C, sent, "ClientHello", 10, false,
        {{"server_name", "a;b#c"}, {"note", "line one\nline two"}, {"alpn", "<script>"}});
  const auto m = trace::render_mermaid(s.events);
  std::string problem;
  const auto d = test::parse_mermaid(m, problem);
  ASSERT_TRUE(d) << problem << "\n" << m;
  ASSERT_EQ(d->arrows.size(), 1u);
  EXPECT_NE(d->arrows[0].text.find("server_name: a#59;b#35;c"), std::string::npos);
  EXPECT_NE(d->arrows[0].text.find("note: line one<br/>line two"), std::string::npos);
  EXPECT_NE(d->arrows[0].text.find("alpn: #lt;script#gt;"), std::string::npos);
  EXPECT_EQ(trace::mermaid_escape("a;b#c\r\nd<e>"), "a#59;b#35;c<br/>d#lt;e#gt;");
}

TEST(TraceMermaid, NoEventsIsStillADiagram) {
  std::string problem;
  EXPECT_TRUE(test::parse_mermaid(trace::render_mermaid({}), problem)) << problem;
}

// The checker itself must reject what Mermaid would not accept.
TEST(MermaidChecker, RejectsWhatBreaksMermaid) {
  const std::string head = "sequenceDiagram\n    participant Client\n    participant Server\n";
  std::string problem;
  EXPECT_TRUE(test::parse_mermaid(head + "    Client->>Server: hello<br/>world #59; ok\n", problem)) << problem;
  EXPECT_TRUE(test::parse_mermaid(head + "    Note over Client,Server: fine\n", problem)) << problem;
  for (const std::string& bad : {
           std::string("participant Client\n"),                       // no header
           head + "    Client->>Server: a;b\n",                       // ';' ends the statement
           head + "    Client->>Server: #1 ok\n",                     // '#' outside an entity code
           head + "    Client->>Server: a <b> c\n",                   // raw HTML
           head + "    Client->>Server: \n",                          // empty text
           head + "    Client->>Nobody: hi\n",                        // undeclared participant
           head + "    Client->>Client: hi\n",                        // to itself
           head + "    Client-->Server: hi\n",                        // an arrow we do not emit
           head + "    Note over Client,Nobody: hi\n",                // undeclared participant
           head + "    Client->>Server: hi\r\n",                      // carriage return
           head + "    participant Client\n",                         // declared twice
           head + "    Client->>Server hi\n",                         // no colon
       }) {
    EXPECT_FALSE(test::parse_mermaid(bad, problem)) << bad;
  }
}

// --- terminal rules ---

class Env {
 public:
  explicit Env(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (const auto& [k, v] : vars) {
      const char* old = std::getenv(k);
      saved_.emplace_back(k, old ? std::optional<std::string>(old) : std::nullopt);
      if (v)
        setenv(k, v, 1);
      else
        unsetenv(k);
    }
  }
  ~Env() {
    for (const auto& [k, v] : saved_) {
      if (v)
        setenv(k.c_str(), v->c_str(), 1);
      else
        unsetenv(k.c_str());
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(TraceTerminal, LocaleDecidesUnicode) {
  {
    Env e{{"LC_ALL", nullptr}, {"LC_CTYPE", nullptr}, {"LANG", "en_US.UTF-8"}};
    EXPECT_TRUE(trace::locale_is_utf8());
    EXPECT_TRUE(trace::terminal_options(-1, false).unicode);
    EXPECT_FALSE(trace::terminal_options(-1, true).unicode);  // --ascii
  }
  {
    Env e{{"LC_ALL", ""}, {"LC_CTYPE", "C.utf8"}, {"LANG", "C"}};
    EXPECT_TRUE(trace::locale_is_utf8());
  }
  {
    // LC_ALL wins over LANG.
    Env e{{"LC_ALL", "C"}, {"LC_CTYPE", nullptr}, {"LANG", "en_US.UTF-8"}};
    EXPECT_FALSE(trace::locale_is_utf8());
  }
  {
    Env e{{"LC_ALL", nullptr}, {"LC_CTYPE", nullptr}, {"LANG", nullptr}};
    EXPECT_FALSE(trace::locale_is_utf8());
    EXPECT_FALSE(trace::terminal_options(-1, false).unicode);
  }
}

TEST(TraceTerminal, ColourOnlyOnATerminalWithoutNoColor) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  {
    Env e{{"NO_COLOR", nullptr}, {"TERM", "xterm"}, {"COLUMNS", "91"}};
    const auto o = trace::terminal_options(fds[1], false);
    EXPECT_FALSE(o.color);  // a pipe
    EXPECT_EQ(o.width, 91u);
  }
  close(fds[0]);
  close(fds[1]);

  const int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  const int tty = open(ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(tty, 0);
  {
    Env e{{"NO_COLOR", nullptr}, {"TERM", "xterm"}};
    EXPECT_TRUE(trace::terminal_options(tty, false).color);
  }
  {
    Env e{{"NO_COLOR", "1"}, {"TERM", "xterm"}};
    EXPECT_FALSE(trace::terminal_options(tty, false).color);
  }
  {
    Env e{{"NO_COLOR", ""}, {"TERM", "xterm"}};  // no-color.org: empty means unset
    EXPECT_TRUE(trace::terminal_options(tty, false).color);
  }
  {
    Env e{{"NO_COLOR", nullptr}, {"TERM", "dumb"}};
    EXPECT_FALSE(trace::terminal_options(tty, false).color);
  }
  close(tty);
  close(master);
}

// --- the recorder and the stream ---

TEST(TraceRecorder, CollectsFromSeveralThreads) {
  trace::TraceRecorder r;
  const auto cb = r.callback();
  const auto events = full_handshake().events;
  std::thread client([&] {
    for (const auto& e : events)
      if (e.side == C) cb(e);
  });
  std::thread server([&] {
    for (const auto& e : events)
      if (e.side == S) cb(e);
  });
  client.join();
  server.join();
  EXPECT_EQ(r.events().size(), events.size());
  EXPECT_EQ(r.render_text(plain(80)), trace::render_text(events, plain(80)));
  EXPECT_EQ(r.render_mermaid(), trace::render_mermaid(events));
}

TEST(TraceStream, GoldenServerSide) {
  std::string out;
  size_t chunks = 0;
  trace::TraceStream stream(S, plain(80), [&](std::string_view s) {
    EXPECT_TRUE(s.ends_with("\n"));
    out += s;
    ++chunks;
  }, "[1] ");
  const auto cb = stream.callback();
  for (const auto& e : full_handshake().events) cb(e);
  // One chunk per server event; the client's are ignored.
  EXPECT_EQ(chunks, only(full_handshake().events, S).size());
  for (const auto& l : lines_of(out)) EXPECT_TRUE(l.starts_with("[1] ")) << l;
  expect_golden("stream_server.txt", out);
}

// --- TLS 1.2 ---

std::vector<std::string> notes_of(const std::vector<trace::Step>& steps) {
  std::vector<std::string> notes;
  for (const auto& s : steps)
    if (const auto* n = std::get_if<Note>(&s); n && n->kind == Note::Kind::keys)
      notes.push_back(std::string(n->side == C ? "C " : "S ") + n->text);
  return notes;
}

TEST(TraceTls12, FullHandshakeInTheOrderOfRfc5246) {
  const auto steps = trace::build_steps(tls12_full_handshake().events);
  EXPECT_EQ(arrow_list(steps),
            "C ClientHello\n"
            "S ServerHello\n"
            "S Certificate\n"
            "S ServerKeyExchange\n"
            "S ServerHelloDone\n"
            "C ClientKeyExchange\n"
            "C ChangeCipherSpec\n"
            "C Finished\n"
            "S NewSessionTicket\n"
            "S ChangeCipherSpec\n"
            "S Finished\n"
            "C application data\n"
            "S application data\n"
            "S close_notify\n"
            "C close_notify\n");
  // TLS 1.2 reports the ChangeCipherSpecs it receives: every arrow has both ends.
  for (const auto* a : arrows(steps)) {
    EXPECT_TRUE(a->sent) << a->name;
    EXPECT_TRUE(a->received) << a->name;
  }
  // Only what follows a sender's ChangeCipherSpec is encrypted.
  EXPECT_FALSE(find_arrow(steps, S, MessageType::new_session_ticket)->encrypted);
  EXPECT_EQ(find_arrow(steps, C, MessageType::finished)->keys, KeyEpoch::application);
  EXPECT_EQ(find_arrow(steps, S, MessageType::finished)->keys, KeyEpoch::application);
}

TEST(TraceTls12, AFullHandshakeTakesTwoRoundTrips) {
  const auto events = tls12_full_handshake().events;
  const auto steps = trace::build_steps(events);
  std::vector<std::pair<int, bool>> trips;
  std::vector<Clock::duration> times;
  for (const auto& s : steps)
    if (const auto* r = std::get_if<RoundTrip>(&s)) {
      trips.emplace_back(r->number, r->handshake);
      ASSERT_TRUE(r->time);
      times.push_back(*r->time);
    }
  // ClientHello -> ServerHello..ServerHelloDone; ClientKeyExchange..Finished -> the
  // server's Finished; the request -> the response.
  EXPECT_EQ(trips, (std::vector<std::pair<int, bool>>{{1, true}, {2, true}, {3, false}}));
  EXPECT_EQ(times, (std::vector<Clock::duration>{400us, 1200us - 905us, 1400us - 1220us}));
  const auto s = trace::summarize(steps, events);
  ASSERT_TRUE(s.handshake_round_trips);
  EXPECT_EQ(*s.handshake_round_trips, 2);
  EXPECT_EQ(s.round_trips, 3);
  EXPECT_EQ(s.version, "TLSv1.2");
  EXPECT_EQ(s.cipher_suite, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
  EXPECT_EQ(s.group, "x25519");  // from the server's ServerKeyExchange, which calls it named_curve
  EXPECT_EQ(s.server_signature, "ecdsa_secp256r1_sha256");
  EXPECT_EQ(s.alpn, "http/1.1");  // from the ServerHello
  const auto text = trace::render_text(events, plain(100));
  EXPECT_NE(text.find("round trips: 2 for the handshake, 3 in all"), std::string::npos) << text;
  EXPECT_NE(text.find("TLSv1.2 · TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 · key exchange x25519 · ALPN http/1.1"),
            std::string::npos)
      << text;
  // One side alone counts the same.
  for (Side side : {C, S}) {
    const auto one = only(events, side);
    const auto sum = trace::summarize(trace::build_steps(one), one);
    ASSERT_TRUE(sum.handshake_round_trips);
    EXPECT_EQ(*sum.handshake_round_trips, 2) << (side == C ? "client" : "server");
  }
}

TEST(TraceTls12, TheAbbreviatedHandshakeTakesOne) {
  const auto events = tls12_resumed_handshake().events;
  const auto steps = trace::build_steps(events);
  EXPECT_EQ(arrow_list(steps),
            "C ClientHello\n"
            "S ServerHello\n"
            "S NewSessionTicket\n"
            "S ChangeCipherSpec\n"
            "S Finished\n"
            "C ChangeCipherSpec\n"
            "C Finished\n"
            "C application data\n"
            "S application data\n"
            "S close_notify\n"
            "C close_notify\n");
  const auto s = trace::summarize(steps, events);
  ASSERT_TRUE(s.handshake_round_trips);
  EXPECT_EQ(*s.handshake_round_trips, 1);
  EXPECT_EQ(s.round_trips, 2);
  // The second round trip starts with the client's ChangeCipherSpec.
  for (size_t i = 0; i + 1 < steps.size(); ++i)
    if (const auto* r = std::get_if<RoundTrip>(&steps[i]); r && r->number == 2) {
      const auto* a = std::get_if<Arrow>(&steps[i + 1]);
      ASSERT_NE(a, nullptr);
      EXPECT_EQ(a->from, C);
      EXPECT_EQ(a->message.type, MessageType::change_cipher_spec);
    }
}

TEST(TraceTls12, KeyNotesTellHowTheKeyBlockCameToBe) {
  EXPECT_EQ(notes_of(trace::build_steps(tls12_full_handshake().events)),
            (std::vector<std::string>{
                "C ECDHE (x25519) premaster secret → extended master secret over the session hash (RFC 7627) → "
                "key block (RFC 5246 §6.3): write client_write_key",
                "S ECDHE (x25519) premaster secret → extended master secret over the session hash (RFC 7627) → "
                "key block (RFC 5246 §6.3): read client_write_key",
                "S key block: write server_write_key",
                "C key block: read server_write_key",
            }));
  EXPECT_EQ(notes_of(trace::build_steps(tls12_resumed_handshake().events)),
            (std::vector<std::string>{
                "S the resumed session's master secret → key block over the new randoms (RFC 5246 §6.3): write "
                "server_write_key",
                "C the resumed session's master secret → key block over the new randoms (RFC 5246 §6.3): read "
                "server_write_key",
                "C key block: write client_write_key",
                "S key block: read client_write_key",
            }));
  // Without the extended master secret, the master secret comes from the randoms.
  auto events = tls12_full_handshake().events;
  for (auto& e : events)
    for (auto& [k, v] : e.details)
      if (k == "extended_master_secret") v = "no";
  EXPECT_EQ(notes_of(trace::build_steps(events)).front(),
            "C ECDHE (x25519) premaster secret → master secret over the randoms (RFC 5246 §8.1) → key block "
            "(RFC 5246 §6.3): write client_write_key");
  // TLS 1.3 keys of the application epoch keep their traffic secrets' names.
  EXPECT_EQ(notes_of(trace::build_steps(full_handshake().events))[1],
            "S application traffic keys: write SERVER_TRAFFIC_SECRET_0");
}

TEST(TraceTls12, AsciiNotesAndMermaid) {
  const auto events = tls12_full_handshake().events;
  const auto text = trace::render_text(events, plain(80, false));
  EXPECT_TRUE(std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }));
  EXPECT_NE(text.find("-> extended master secret over the session hash (RFC 7627)"), std::string::npos) << text;
  EXPECT_NE(text.find("(RFC 5246 section 6.3)"), std::string::npos) << text;
  std::string problem;
  const auto d = test::parse_mermaid(trace::render_mermaid(events), problem);
  ASSERT_TRUE(d) << problem;
  EXPECT_NE(std::find(d->notes.begin(), d->notes.end(), "Server: key block: write server_write_key"), d->notes.end());
  EXPECT_NE(std::find(d->notes.begin(), d->notes.end(), "Client,Server: round trip 2, 0.295 ms"), d->notes.end());
}

TEST(TraceTls12, Golden) {
  expect_golden("tls12.txt", trace::render_text(tls12_full_handshake().events, plain(80)));
  expect_golden("tls12.mmd", trace::render_mermaid(tls12_full_handshake().events));
  expect_golden("tls12_resumed.txt", trace::render_text(tls12_resumed_handshake().events, plain(80)));
}

TEST(TraceTls12, StreamTellsTheDerivationOnce) {
  std::string out;
  trace::TraceStream stream(C, plain(100), [&](std::string_view s) { out += s; });
  for (const auto& e : tls12_full_handshake().events) stream.on_event(e);
  // The client's first key note tells the derivation, its second only names the keys.
  const size_t told = out.find("premaster secret");
  EXPECT_NE(told, std::string::npos) << out;
  EXPECT_EQ(out.rfind("premaster secret"), told) << out;
  EXPECT_NE(out.find("ECDHE (x25519) premaster secret"), std::string::npos) << out;
  EXPECT_NE(out.find("→ extended master secret over the session hash (RFC 7627)"), std::string::npos) << out;
  EXPECT_NE(out.find("key block: read server_write_key"), std::string::npos) << out;
}

// --- what the library really emits ---

// The renderer's pairing relies on the typed fields the two sides give one message; a real
// handshake through memory must give one arrow per message and leave no received event
// unpaired.
void expect_all_paired(const ClientOptions& c_in, const ServerOptions& s_in, size_t expected_arrows,
                       std::vector<trace::Step>* steps_out = nullptr) {
  trace::TraceRecorder rec;
  ClientOptions c = c_in;
  ServerOptions s = s_in;
  c.on_event = rec.callback();
  s.on_event = rec.callback();
  auto pair = test::connect(c, s);
  ASSERT_TRUE(pair) << pair.error().to_string();
  const std::string msg = "hello";
  ASSERT_TRUE(pair->client.write(ByteView(reinterpret_cast<const uint8_t*>(msg.data()), msg.size())));
  pair->client.close();
  ASSERT_TRUE(test::pump(pair->client, pair->server));
  pair->server.close();
  ASSERT_TRUE(test::pump(pair->client, pair->server));

  const auto events = rec.events();
  const auto steps = trace::build_steps(events);
  size_t sent_events = 0, received_events = 0;
  for (const auto& e : events) {
    // The typed fields say what the display text says.
    if (e.type == EventType::message_sent || e.type == EventType::message_received) {
      EXPECT_NE(e.message.type, MessageType::none) << e.name;
      EXPECT_EQ(e.name, std::string(message_type_name(e.message.type)) + (e.message.retry ? " (retry)" : ""));
    }
    if (e.type == EventType::keys_installed) {
      EXPECT_EQ(e.name, std::string(key_epoch_name(e.keys.epoch)) + " traffic keys (" +
                            std::string(direction_name(e.keys.direction)) + (e.keys.update ? ", updated" : "") + ")");
      // TLS 1.2's keys, cut from the key block, have no traffic secret and so no label.
      const bool key_block = c_in.max_version == ProtocolVersion::tls12;
      EXPECT_EQ(e.keys.label.empty(), e.keys.update || key_block) << e.name;
      EXPECT_FALSE(e.keys.aead.empty());
      EXPECT_FALSE(e.keys.hash.empty());
    }
    if (e.type == EventType::alert_sent || e.type == EventType::alert_received) {
      EXPECT_EQ(e.name, alert_name(e.alert.description));
      EXPECT_EQ(e.alert.level, AlertLevel::warning) << e.name;
    }
    if (e.type == EventType::message_sent || e.type == EventType::alert_sent ||
        e.type == EventType::application_data_sent)
      ++sent_events;
    if (e.type == EventType::message_received || e.type == EventType::alert_received) ++received_events;
  }
  const auto as = arrows(steps);
  EXPECT_EQ(as.size(), sent_events) << arrow_list(steps);
  EXPECT_EQ(as.size(), expected_arrows) << arrow_list(steps);
  size_t arrived = 0;
  for (const auto* a : as) {
    EXPECT_TRUE(a->sent) << a->name << " drawn from a received event: the two sides type it differently";
    if (a->received && a->kind != EventType::application_data_sent) ++arrived;
  }
  EXPECT_EQ(arrived, received_events);
  std::string problem;
  EXPECT_TRUE(test::parse_mermaid(trace::render_mermaid(events), problem)) << problem;
  if (steps_out) *steps_out = steps;
}

TEST(TraceLibrary, FullHandshakeEventsPairUp) {
  auto s = test::server_options_for(crypto::KeyType::ec_p256);
  s.tickets = 2;
  // ClientHello, ServerHello, CCS, EE, Certificate, CertificateVerify, Finished, CCS,
  // Finished, 2 NewSessionTickets, data, 2 close_notify.
  expect_all_paired(test::client_options_for(crypto::KeyType::ec_p256), s, 14);
}

TEST(TraceLibrary, HelloRetryRequestEventsPairUp) {
  auto c = test::client_options_for(crypto::KeyType::ec_p256);
  c.groups = {NamedGroup::x25519, NamedGroup::secp384r1};
  auto s = test::server_options_for(crypto::KeyType::ec_p256);
  s.groups = {NamedGroup::secp384r1};
  s.tickets = 0;
  // The full handshake's 12 without tickets, + HelloRetryRequest and ClientHello (retry).
  expect_all_paired(c, s, 14);
}

TEST(TraceLibrary, Tls12EventsPairUp) {
  auto c = test::client_options_for(crypto::KeyType::ec_p256);
  auto s = test::server_options_for(crypto::KeyType::ec_p256);
  c.min_version = c.max_version = s.min_version = s.max_version = ProtocolVersion::tls12;
  s.tickets = 1;
  // ClientHello, ServerHello, Certificate, ServerKeyExchange, ServerHelloDone,
  // ClientKeyExchange, CCS, Finished, NewSessionTicket, CCS, Finished, data, 2 close_notify.
  std::vector<trace::Step> steps;
  expect_all_paired(c, s, 14, &steps);
  const auto notes = notes_of(steps);
  ASSERT_EQ(notes.size(), 4u) << ::testing::PrintToString(notes);
  for (const auto& n : notes) {
    const bool first = n.find("premaster secret") != std::string::npos;
    EXPECT_TRUE(first || n.find(" key block: ") != std::string::npos) << n;
    if (first) {
      EXPECT_NE(n.find("extended master secret"), std::string::npos) << n;
    }
  }
}

}  // namespace
}  // namespace tlspp
