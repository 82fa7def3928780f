// `tlspp demo` end to end: the built command (TLSPP_CLI_PATH) runs a real client and server
// on 127.0.0.1; its Mermaid output must be valid for the subset we emit and show the
// messages in the order RFC 8446 §2 gives them (RFC 5246 §7.3 with --tls1.2), its text
// output must follow the terminal rules, and the variants that do not exist yet must say so
// and exit 2.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "test_trace_util.h"

extern char** environ;

namespace tlspp {
namespace {

struct RunResult {
  int status = -1;  // exit code, or -1 when the command did not exit normally
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `tlspp demo ARGS` with the environment changed by `env` (a null value unsets),
// stdout and stderr going to files (never a terminal).
RunResult run_demo(const std::vector<std::string>& args, const std::map<std::string, const char*>& env = {}) {
  RunResult r;
  char dir_template[] = "/tmp/tlspp-demo-test-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (!dir) return r;
  const std::string out_path = std::string(dir) + "/out", err_path = std::string(dir) + "/err";

  std::vector<std::string> argv_s = {TLSPP_CLI_PATH, "demo"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) {
    const std::string kv(*e);
    if (!env.count(kv.substr(0, kv.find('=')))) env_s.push_back(kv);
  }
  for (const auto& [k, v] : env)
    if (v) env_s.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  const pid_t pid = fork();
  if (pid == 0) {
    const int o = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0) _exit(127);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) r.status = WEXITSTATUS(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  rmdir(dir);
  return r;
}

struct Message {
  std::string from, name;
  bool operator==(const Message&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Message& m) { return os << m.from << " " << m.name; }

std::vector<Message> messages(const test::MermaidDiagram& d) {
  std::vector<Message> out;
  for (const auto& a : d.arrows) out.push_back({a.from, test::arrow_name(a)});
  return out;
}

// The handshake messages alone (RFC 8446 §2's figures leave out ChangeCipherSpec, data,
// tickets and alerts).
std::vector<Message> handshake_only(const std::vector<Message>& all) {
  std::vector<Message> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out), [](const Message& m) {
    return m.name != "ChangeCipherSpec" && m.name != "application data" && m.name != "NewSessionTicket" &&
           m.name != "close_notify";
  });
  return out;
}

const test::MermaidArrow* arrow(const test::MermaidDiagram& d, const std::string& from, const std::string& name) {
  for (const auto& a : d.arrows)
    if (a.from == from && test::arrow_name(a) == name) return &a;
  return nullptr;
}

test::MermaidDiagram mermaid_of(const std::vector<std::string>& args) {
  std::vector<std::string> a = args;
  a.push_back("--mermaid");
  const auto r = run_demo(a);
  EXPECT_EQ(r.status, 0) << r.err;
  std::string problem;
  auto d = test::parse_mermaid(r.out, problem);
  EXPECT_TRUE(d) << problem << "\n" << r.out;
  return d ? *d : test::MermaidDiagram{};
}

bool has(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

TEST(Demo, FullHandshakeInTheOrderOfRfc8446Section2) {
  const auto d = mermaid_of({});
  EXPECT_EQ(d.participants, (std::vector<std::string>{"Client", "Server"}));
  // Figure 1 of RFC 8446 §2, with what a real connection adds around it: the compatibility
  // ChangeCipherSpecs (Appendix D.4), the request and response, the ticket, the closure.
  const std::vector<Message> expected = {
      {"Client", "ClientHello"},     {"Server", "ServerHello"},      {"Server", "ChangeCipherSpec"},
      {"Server", "EncryptedExtensions"}, {"Server", "Certificate"},  {"Server", "CertificateVerify"},
      {"Server", "Finished"},        {"Client", "ChangeCipherSpec"}, {"Client", "Finished"},
      {"Client", "application data"}, {"Server", "NewSessionTicket"}, {"Server", "application data"},
      {"Server", "close_notify"},    {"Client", "close_notify"},
  };
  EXPECT_EQ(messages(d), expected);
  EXPECT_EQ(handshake_only(messages(d)),
            (std::vector<Message>{{"Client", "ClientHello"},
                                  {"Server", "ServerHello"},
                                  {"Server", "EncryptedExtensions"},
                                  {"Server", "Certificate"},
                                  {"Server", "CertificateVerify"},
                                  {"Server", "Finished"},
                                  {"Client", "Finished"}}));
  for (const auto& a : d.arrows) EXPECT_EQ(a.dashed, a.from == "Server") << a.text;
}

TEST(Demo, ContentsAndProtectionComeFromTheConnection) {
  const auto d = mermaid_of({});
  const auto* ch = arrow(d, "Client", "ClientHello");
  ASSERT_NE(ch, nullptr);
  EXPECT_TRUE(has(ch->text, ", plaintext, sent ")) << ch->text;
  EXPECT_TRUE(has(ch->text, "<br/>versions: TLSv1.3")) << ch->text;
  EXPECT_TRUE(has(ch->text, "<br/>key_share: x25519")) << ch->text;
  EXPECT_TRUE(has(ch->text, "<br/>server_name: localhost")) << ch->text;
  EXPECT_TRUE(has(ch->text, "<br/>alpn: h2, http/1.1")) << ch->text;
  const auto* sh = arrow(d, "Server", "ServerHello");
  ASSERT_NE(sh, nullptr);
  EXPECT_TRUE(has(sh->text, "<br/>cipher_suite: TLS_AES_128_GCM_SHA256")) << sh->text;
  const auto* ee = arrow(d, "Server", "EncryptedExtensions");
  ASSERT_NE(ee, nullptr);
  EXPECT_TRUE(has(ee->text, "encrypted (handshake keys)")) << ee->text;
  EXPECT_TRUE(has(ee->text, "<br/>alpn: http/1.1")) << ee->text;
  const auto* cert = arrow(d, "Server", "Certificate");
  ASSERT_NE(cert, nullptr);
  EXPECT_TRUE(has(cert->text, "<br/>subject: CN=localhost")) << cert->text;
  EXPECT_TRUE(has(cert->text, "<br/>key: ECDSA P-256")) << cert->text;
  EXPECT_TRUE(has(cert->text, "<br/>verified (client): yes")) << cert->text;
  const auto* cv = arrow(d, "Server", "CertificateVerify");
  ASSERT_NE(cv, nullptr);
  EXPECT_TRUE(has(cv->text, "<br/>signature_scheme: ecdsa_secp256r1_sha256")) << cv->text;
  const auto* data = arrow(d, "Client", "application data");
  ASSERT_NE(data, nullptr);
  EXPECT_TRUE(has(data->text, "encrypted (application keys)")) << data->text;
  // Everything after the ServerHello is encrypted but the ChangeCipherSpecs.
  bool after_sh = false;
  for (const auto& a : d.arrows) {
    const auto name = test::arrow_name(a);
    if (after_sh && name != "ChangeCipherSpec") {
      EXPECT_TRUE(has(a.text, ", encrypted (")) << a.text;
    }
    if (name == "ChangeCipherSpec" || name == "ClientHello" || name == "ServerHello") {
      EXPECT_TRUE(has(a.text, ", plaintext")) << a.text;
    }
    if (name == "ServerHello") after_sh = true;
  }
  // Both sides' key changes are notes.
  for (const std::string& note : std::vector<std::string>{
           "Server: handshake traffic keys: write SERVER_HANDSHAKE_TRAFFIC_SECRET, read CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "Server: application traffic keys: write SERVER_TRAFFIC_SECRET_0",
        "Client: handshake traffic keys: read SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "Client: handshake traffic keys: write CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "Client: application traffic keys: read SERVER_TRAFFIC_SECRET_0",
        "Client: application traffic keys: write CLIENT_TRAFFIC_SECRET_0",
        "Server: application traffic keys: read CLIENT_TRAFFIC_SECRET_0"})
    EXPECT_NE(std::find(d.notes.begin(), d.notes.end(), note), d.notes.end()) << note;
  EXPECT_TRUE(std::any_of(d.notes.begin(), d.notes.end(), [](const std::string& n) {
    return has(n, "round trips: 1 for the handshake, 2 in all");
  }));
}

TEST(Demo, HelloRetryRequest) {
  const auto d = mermaid_of({"--hrr"});
  EXPECT_EQ(handshake_only(messages(d)), (std::vector<Message>{{"Client", "ClientHello"},
                                                               {"Server", "HelloRetryRequest"},
                                                               {"Client", "ClientHello (retry)"},
                                                               {"Server", "ServerHello"},
                                                               {"Server", "EncryptedExtensions"},
                                                               {"Server", "Certificate"},
                                                               {"Server", "CertificateVerify"},
                                                               {"Server", "Finished"},
                                                               {"Client", "Finished"}}));
  const auto* ch1 = arrow(d, "Client", "ClientHello");
  ASSERT_NE(ch1, nullptr);
  EXPECT_TRUE(has(ch1->text, "<br/>groups: x25519, secp384r1")) << ch1->text;
  EXPECT_TRUE(has(ch1->text, "<br/>key_share: x25519")) << ch1->text;
  const auto* hrr = arrow(d, "Server", "HelloRetryRequest");
  ASSERT_NE(hrr, nullptr);
  EXPECT_TRUE(has(hrr->text, "<br/>selected_group: secp384r1")) << hrr->text;
  const auto* ch2 = arrow(d, "Client", "ClientHello (retry)");
  ASSERT_NE(ch2, nullptr);
  EXPECT_TRUE(has(ch2->text, "<br/>key_share: secp384r1")) << ch2->text;
  EXPECT_TRUE(has(ch2->text, "<br/>cookie: ")) << ch2->text;
  const auto* sh = arrow(d, "Server", "ServerHello");
  ASSERT_NE(sh, nullptr);
  EXPECT_TRUE(has(sh->text, "<br/>key_share: secp384r1")) << sh->text;
  // Appendix D.4: one ChangeCipherSpec each way, the client's before its second hello.
  const auto all = messages(d);
  EXPECT_EQ(std::count(all.begin(), all.end(), Message{"Client", "ChangeCipherSpec"}), 1);
  EXPECT_EQ(std::count(all.begin(), all.end(), Message{"Server", "ChangeCipherSpec"}), 1);
  EXPECT_LT(std::find(all.begin(), all.end(), Message{"Client", "ChangeCipherSpec"}),
            std::find(all.begin(), all.end(), Message{"Client", "ClientHello (retry)"}));
  EXPECT_TRUE(std::any_of(d.notes.begin(), d.notes.end(), [](const std::string& n) {
    return has(n, "round trips: 2 for the handshake, 3 in all");
  }));
}

TEST(Demo, ClientAuthentication) {
  const auto d = mermaid_of({"--client-auth"});
  EXPECT_EQ(handshake_only(messages(d)), (std::vector<Message>{{"Client", "ClientHello"},
                                                               {"Server", "ServerHello"},
                                                               {"Server", "EncryptedExtensions"},
                                                               {"Server", "CertificateRequest"},
                                                               {"Server", "Certificate"},
                                                               {"Server", "CertificateVerify"},
                                                               {"Server", "Finished"},
                                                               {"Client", "Certificate"},
                                                               {"Client", "CertificateVerify"},
                                                               {"Client", "Finished"}}));
  const auto* cr = arrow(d, "Server", "CertificateRequest");
  ASSERT_NE(cr, nullptr);
  EXPECT_TRUE(has(cr->text, "encrypted (handshake keys)")) << cr->text;
  EXPECT_TRUE(has(cr->text, "<br/>required: yes")) << cr->text;
  const auto* cert = arrow(d, "Client", "Certificate");
  ASSERT_NE(cert, nullptr);
  EXPECT_TRUE(has(cert->text, "<br/>subject: CN=tlspp demo client")) << cert->text;
  EXPECT_TRUE(has(cert->text, "<br/>key: ECDSA P-256")) << cert->text;
}

TEST(Demo, AsciiTextWithoutColourWhenNotATerminal) {
  const auto r = run_demo({"--ascii"}, {{"LANG", "C.UTF-8"}, {"LC_ALL", nullptr}, {"NO_COLOR", nullptr}});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(std::all_of(r.out.begin(), r.out.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }));
  EXPECT_FALSE(has(r.out, "\x1b["));
  EXPECT_TRUE(has(r.out, "round trips: 1 for the handshake, 2 in all")) << r.out;
  EXPECT_TRUE(has(r.out, "TLSv1.3, TLS_AES_128_GCM_SHA256, key exchange x25519, ALPN http/1.1")) << r.out;
  EXPECT_TRUE(has(r.out, "exchanged: \"GET / HTTP/1.1\" -> \"HTTP/1.1 200 OK\"")) << r.out;
  EXPECT_TRUE(has(r.out, "| ClientHello ")) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(Demo, UnicodeOnlyWithAUtf8Locale) {
  const auto utf8 = run_demo({}, {{"LANG", "en_US.UTF-8"}, {"LC_ALL", nullptr}, {"LC_CTYPE", nullptr}});
  ASSERT_EQ(utf8.status, 0) << utf8.err;
  EXPECT_TRUE(has(utf8.out, "│ ClientHello ")) << utf8.out;
  EXPECT_TRUE(has(utf8.out, "◆ handshake traffic keys")) << utf8.out;
  EXPECT_FALSE(has(utf8.out, "\x1b["));  // not a terminal
  const auto c = run_demo({}, {{"LANG", "C"}, {"LC_ALL", nullptr}, {"LC_CTYPE", nullptr}});
  ASSERT_EQ(c.status, 0) << c.err;
  EXPECT_TRUE(std::all_of(c.out.begin(), c.out.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x80; }));
}

TEST(Demo, ResumedHandshakeHasNoCertificateMessages) {
  // RFC 8446 §2.2: with the PSK of an earlier session, the server proves itself by the
  // Finished alone.
  const auto d = mermaid_of({"--resume"});
  EXPECT_EQ(handshake_only(messages(d)), (std::vector<Message>{{"Client", "ClientHello"},
                                                               {"Server", "ServerHello"},
                                                               {"Server", "EncryptedExtensions"},
                                                               {"Server", "Finished"},
                                                               {"Client", "Finished"}}));
  const auto* ch = arrow(d, "Client", "ClientHello");
  ASSERT_NE(ch, nullptr);
  EXPECT_TRUE(has(ch->text, "<br/>pre_shared_key: 1 ticket")) << ch->text;
  const auto* sh = arrow(d, "Server", "ServerHello");
  ASSERT_NE(sh, nullptr);
  EXPECT_TRUE(has(sh->text, "<br/>pre_shared_key: accepted (resumption)")) << sh->text;
}

TEST(Demo, VariantsThatDoNotExistYetSaySo) {
  const auto z = run_demo({"--0rtt"});
  EXPECT_EQ(z.status, 2);
  EXPECT_TRUE(z.out.empty()) << z.out;
  EXPECT_TRUE(has(z.err, "--0rtt is not available yet")) << z.err;
  const auto r = run_demo({"--bogus"});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(has(r.err, "unknown option '--bogus'")) << r.err;
  const auto h = run_demo({"--help"});
  EXPECT_EQ(h.status, 0);
  EXPECT_TRUE(has(h.out, "--client-auth")) << h.out;
  EXPECT_TRUE(has(h.out, "--tls1.2")) << h.out;
  EXPECT_TRUE(has(h.out, "--session-id")) << h.out;
  EXPECT_TRUE(has(h.out, "usage: tlspp demo [--tls1.2] [--hrr] [--client-auth] [--resume [--session-id]]")) << h.out;
}

// --- TLS 1.2 (RFC 5246 §7.3) ---

// The TLS 1.2 messages without the data, tickets and alerts around them (the
// ChangeCipherSpecs stay: in TLS 1.2 they switch the keys).
std::vector<Message> tls12_handshake(const std::vector<Message>& all) {
  std::vector<Message> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out), [](const Message& m) {
    return m.name != "application data" && m.name != "NewSessionTicket" && m.name != "close_notify";
  });
  return out;
}

bool has_note(const test::MermaidDiagram& d, const std::string& text) {
  return std::find(d.notes.begin(), d.notes.end(), text) != d.notes.end();
}
bool note_has(const test::MermaidDiagram& d, const std::string& text) {
  return std::any_of(d.notes.begin(), d.notes.end(), [&](const std::string& n) { return has(n, text); });
}

const std::string kEcdheNote =
    "ECDHE (x25519) premaster secret → extended master secret over the session hash (RFC 7627) → key block "
    "(RFC 5246 §6.3): ";
const std::string kResumedNote =
    "the resumed session's master secret → key block over the new randoms (RFC 5246 §6.3): ";

TEST(DemoTls12, FullHandshakeTakesTwoRoundTrips) {
  const auto d = mermaid_of({"--tls1.2"});
  // RFC 5246 §7.3, Figure 1, with the ticket of RFC 5077 §3.1, the request and response and
  // the closure around it.
  const std::vector<Message> expected = {
      {"Client", "ClientHello"},       {"Server", "ServerHello"},      {"Server", "Certificate"},
      {"Server", "ServerKeyExchange"}, {"Server", "ServerHelloDone"},  {"Client", "ClientKeyExchange"},
      {"Client", "ChangeCipherSpec"},  {"Client", "Finished"},         {"Server", "NewSessionTicket"},
      {"Server", "ChangeCipherSpec"},  {"Server", "Finished"},         {"Client", "application data"},
      {"Server", "application data"},  {"Server", "close_notify"},     {"Client", "close_notify"},
  };
  EXPECT_EQ(messages(d), expected);
  for (const auto& a : d.arrows) EXPECT_EQ(a.dashed, a.from == "Server") << a.text;
  const auto* ch = arrow(d, "Client", "ClientHello");
  ASSERT_NE(ch, nullptr);
  EXPECT_TRUE(has(ch->text, "<br/>versions: TLSv1.2")) << ch->text;
  const auto* sh = arrow(d, "Server", "ServerHello");
  ASSERT_NE(sh, nullptr);
  EXPECT_TRUE(has(sh->text, "<br/>version: TLSv1.2")) << sh->text;
  EXPECT_TRUE(has(sh->text, "<br/>extended_master_secret: yes")) << sh->text;
  const auto* ske = arrow(d, "Server", "ServerKeyExchange");
  ASSERT_NE(ske, nullptr);
  EXPECT_TRUE(has(ske->text, ", plaintext")) << ske->text;
  EXPECT_TRUE(has(ske->text, ": x25519")) << ske->text;
  // Each side's Finished is the first message under the keys its ChangeCipherSpec switched to.
  for (const std::string side : {"Client", "Server"}) {
    const auto* fin = arrow(d, side, "Finished");
    ASSERT_NE(fin, nullptr);
    EXPECT_TRUE(has(fin->text, "encrypted (application keys)")) << fin->text;
    const auto* ccs = arrow(d, side, "ChangeCipherSpec");
    ASSERT_NE(ccs, nullptr);
    EXPECT_TRUE(has(ccs->text, ", plaintext")) << ccs->text;
  }
  // The key notes tell how each side's key block came to be, then name the keys.
  EXPECT_TRUE(has_note(d, "Client: " + kEcdheNote + "write client_write_key")) << ::testing::PrintToString(d.notes);
  EXPECT_TRUE(has_note(d, "Client: key block: read server_write_key")) << ::testing::PrintToString(d.notes);
  EXPECT_TRUE(has_note(d, "Server: " + kEcdheNote + "read client_write_key")) << ::testing::PrintToString(d.notes);
  EXPECT_TRUE(has_note(d, "Server: key block: write server_write_key")) << ::testing::PrintToString(d.notes);
  EXPECT_FALSE(note_has(d, "TRAFFIC_SECRET")) << ::testing::PrintToString(d.notes);
  EXPECT_TRUE(note_has(d, "round trips: 2 for the handshake, 3 in all")) << ::testing::PrintToString(d.notes);
  EXPECT_TRUE(note_has(d, "TLSv1.2, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, key exchange x25519, ALPN http/1.1"))
      << ::testing::PrintToString(d.notes);
}

TEST(DemoTls12, TextDiagram) {
  const auto r = run_demo({"--tls1.2", "--ascii"}, {{"LANG", "C.UTF-8"}, {"LC_ALL", nullptr}, {"NO_COLOR", nullptr}});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(std::all_of(r.out.begin(), r.out.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }));
  EXPECT_TRUE(has(r.out, "(TLS 1.2 only, ephemeral CA, server certificate for localhost)")) << r.out;
  EXPECT_TRUE(has(r.out, "| ServerKeyExchange ")) << r.out;
  EXPECT_TRUE(has(r.out, "| ClientKeyExchange ")) << r.out;
  EXPECT_TRUE(has(r.out, "-> extended master secret over the session hash (RFC 7627)")) << r.out;
  EXPECT_TRUE(has(r.out, "-> key block (RFC 5246 section 6.3): write client_write_key")) << r.out;
  EXPECT_TRUE(has(r.out, "round trip 2")) << r.out;
  EXPECT_FALSE(has(r.out, "round trip 4")) << r.out;
  EXPECT_TRUE(has(r.out, "round trips: 2 for the handshake, 3 in all")) << r.out;
  EXPECT_TRUE(has(r.out, "exchanged: \"GET / HTTP/1.1\" -> \"HTTP/1.1 200 OK\"")) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(DemoTls12, ClientAuthentication) {
  const auto d = mermaid_of({"--tls1.2", "--client-auth"});
  EXPECT_EQ(tls12_handshake(messages(d)), (std::vector<Message>{{"Client", "ClientHello"},
                                                                {"Server", "ServerHello"},
                                                                {"Server", "Certificate"},
                                                                {"Server", "ServerKeyExchange"},
                                                                {"Server", "CertificateRequest"},
                                                                {"Server", "ServerHelloDone"},
                                                                {"Client", "Certificate"},
                                                                {"Client", "ClientKeyExchange"},
                                                                {"Client", "CertificateVerify"},
                                                                {"Client", "ChangeCipherSpec"},
                                                                {"Client", "Finished"},
                                                                {"Server", "ChangeCipherSpec"},
                                                                {"Server", "Finished"}}));
  const auto* cert = arrow(d, "Client", "Certificate");
  ASSERT_NE(cert, nullptr);
  EXPECT_TRUE(has(cert->text, ", plaintext")) << cert->text;
  EXPECT_TRUE(has(cert->text, "<br/>subject: CN=tlspp demo client")) << cert->text;
  const auto* cv = arrow(d, "Client", "CertificateVerify");
  ASSERT_NE(cv, nullptr);
  EXPECT_TRUE(has(cv->text, "<br/>signature_scheme: ecdsa_secp256r1_sha256")) << cv->text;
  EXPECT_TRUE(note_has(d, "round trips: 2 for the handshake, 3 in all")) << ::testing::PrintToString(d.notes);
  EXPECT_TRUE(note_has(d, "client certificate: CN=tlspp demo client")) << ::testing::PrintToString(d.notes);
}

// RFC 5246 §7.3 and RFC 5077 §3.1: the abbreviated handshake; the server finishes first,
// and there is no certificate, no key exchange and no signature.
void expect_abbreviated(const test::MermaidDiagram& d) {
  EXPECT_EQ(tls12_handshake(messages(d)), (std::vector<Message>{{"Client", "ClientHello"},
                                                                {"Server", "ServerHello"},
                                                                {"Server", "ChangeCipherSpec"},
                                                                {"Server", "Finished"},
                                                                {"Client", "ChangeCipherSpec"},
                                                                {"Client", "Finished"}}));
  const auto* sh = arrow(d, "Server", "ServerHello");
  ASSERT_NE(sh, nullptr);
  EXPECT_TRUE(has(sh->text, "resumed")) << sh->text;
  EXPECT_TRUE(has_note(d, "Server: " + kResumedNote + "write server_write_key")) << ::testing::PrintToString(d.notes);
  EXPECT_TRUE(has_note(d, "Client: " + kResumedNote + "read server_write_key")) << ::testing::PrintToString(d.notes);
  EXPECT_TRUE(has_note(d, "Client: key block: write client_write_key")) << ::testing::PrintToString(d.notes);
  EXPECT_TRUE(has_note(d, "Server: key block: read client_write_key")) << ::testing::PrintToString(d.notes);
  EXPECT_FALSE(note_has(d, "premaster")) << ::testing::PrintToString(d.notes);
  EXPECT_TRUE(note_has(d, "round trips: 1 for the handshake, 2 in all")) << ::testing::PrintToString(d.notes);
}

TEST(DemoTls12, ResumptionByTicket) {
  const auto d = mermaid_of({"--tls1.2", "--resume"});
  expect_abbreviated(d);
  const auto* ch = arrow(d, "Client", "ClientHello");
  ASSERT_NE(ch, nullptr);
  EXPECT_TRUE(has(ch->text, "<br/>session_ticket: ")) << ch->text;
  // The server keeps no session IDs here: the ticket alone resumes.
  EXPECT_FALSE(has(ch->text, "<br/>session_id: ")) << ch->text;
  // A renewed ticket, if any, comes before the server's ChangeCipherSpec (RFC 5077 §3.3).
  const auto all = messages(d);
  const auto nst = std::find(all.begin(), all.end(), Message{"Server", "NewSessionTicket"});
  if (nst != all.end()) {
    EXPECT_LT(nst, std::find(all.begin(), all.end(), Message{"Server", "ChangeCipherSpec"}));
  }
}

TEST(DemoTls12, ResumptionBySessionId) {
  const auto d = mermaid_of({"--tls1.2", "--resume", "--session-id"});
  expect_abbreviated(d);
  const auto* ch = arrow(d, "Client", "ClientHello");
  ASSERT_NE(ch, nullptr);
  EXPECT_TRUE(has(ch->text, "<br/>session_id: ")) << ch->text;
  EXPECT_FALSE(has(ch->text, "<br/>session_ticket: ")) << ch->text;
  EXPECT_EQ(arrow(d, "Server", "NewSessionTicket"), nullptr);  // the server's tickets are off
  const auto r = run_demo({"--tls1.2", "--resume", "--session-id"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(has(r.out, "resumes the session of a first, untraced full handshake by its session ID")) << r.out;
  EXPECT_TRUE(has(r.out, "round trips: 1 for the handshake, 2 in all")) << r.out;
}

TEST(DemoTls12, UsageErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const auto& c : std::vector<Case>{
           {{"--session-id"}, "--session-id needs --tls1.2 and --resume"},
           {{"--resume", "--session-id"}, "--session-id needs --tls1.2 and --resume"},
           {{"--tls1.2", "--session-id"}, "--session-id needs --tls1.2 and --resume"},
           {{"--tls1.2", "--hrr"}, "TLS 1.2 has no HelloRetryRequest"},
           {{"--hrr", "--tls1.2", "--resume"}, "TLS 1.2 has no HelloRetryRequest"},
       }) {
    const auto r = run_demo(c.args);
    EXPECT_EQ(r.status, 2) << ::testing::PrintToString(c.args);
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_TRUE(has(r.err, c.says)) << r.err;
    EXPECT_TRUE(has(r.err, "usage: tlspp demo")) << r.err;
  }
}

}  // namespace
}  // namespace tlspp
