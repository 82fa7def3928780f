// RFC 6125 host name matching, IP literals, the commonName fallback, and the DNS/IP
// subtree tests used by name constraints.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/sig.h"
#include "pki/builder.h"
#include "pki/certificate.h"
#include "pki/hostname.h"

namespace tlspp::pki {
namespace {

struct MatchCase {
  const char* presented;
  const char* reference;
  bool match;
};

TEST(PkiHostname, DnsNameMatchingTable) {
  const MatchCase cases[] = {
      {"example.com", "example.com", true},
      {"Example.COM", "eXample.com", true},            // §6.4.1 case-insensitive
      {"example.com", "example.com.", true},           // trailing dot on the reference
      {"example.com.", "example.com", true},
      {"example.com", "www.example.com", false},
      {"www.example.com", "example.com", false},
      {"*.example.com", "a.example.com", true},        // §6.4.3 rule 2
      {"*.example.com", "A-1.Example.Com", true},
      {"*.example.com", "example.com", false},
      {"*.example.com", "a.b.example.com", false},
      {"*.example.com", ".example.com", false},
      {"*.example.com", "a.example.org", false},
      {"*.example.com", "a.example.com.", true},
      {"f*.example.com", "foo.example.com", false},    // partial wildcards are refused
      {"*oo.example.com", "foo.example.com", false},
      {"f*o.example.com", "foo.example.com", false},
      {"a.*.example.com", "a.b.example.com", false},   // §6.4.3 rule 1
      {"*.*.example.com", "a.b.example.com", false},
      {"*", "localhost", false},
      {"*.com", "example.com", false},                 // too broad: needs two labels after '*'
      {"*.", "a.", false},
      {"**.example.com", "a.example.com", false},
      {"*.example.com", "*.example.com", false},       // the reference may not hold '*'
      {"", "example.com", false},
      {"example..com", "example..com", false},
      {"exa mple.com", "exa mple.com", false},
      {"localhost", "localhost", true},
      {"under_score.example", "under_score.example", true},
      {"xn--bcher-kva.example", "XN--BCHER-KVA.example", true},
  };
  for (const MatchCase& c : cases)
    EXPECT_EQ(dns_name_matches(c.presented, c.reference), c.match)
        << "'" << c.presented << "' vs '" << c.reference << "'";
}

TEST(PkiHostname, IpLiterals) {
  auto v4 = parse_ip_address("192.0.2.1");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->size, 4);
  EXPECT_EQ(ip_to_string(v4->view()), "192.0.2.1");
  auto v6 = parse_ip_address("2001:DB8:0:0:0:0:0:1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->size, 16);
  EXPECT_EQ(ip_to_string(v6->view()), "2001:db8::1");
  EXPECT_TRUE(parse_ip_address("[::1]"));
  EXPECT_TRUE(parse_ip_address("::ffff:192.0.2.1"));
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", "example.com",
                          "[1.2.3.4]", "fe80::1%eth0", "::1::", "1:2:3:4:5:6:7:8:9", "0x7f.0.0.1"})
    EXPECT_FALSE(parse_ip_address(bad)) << bad;
  const uint8_t loop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(ip_to_string(loop6), "::1");
  const uint8_t mid[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(ip_to_string(mid), "2001:db8:1::1");
  const uint8_t single[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
  EXPECT_EQ(ip_to_string(single), "2001:db8:0:1:1:1:1:1");  // RFC 5952 §4.2.2: no "::" for one group
}

class PkiHostCert : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
    ASSERT_TRUE(k);
    key_ = *k;
  }
  Certificate make(CertificateBuilder b) {
    auto der = b.organization("tlspp test").self_signed(key_);
    EXPECT_TRUE(der) << der.error().message;
    ders_.push_back(std::move(*der));
    auto c = parse_certificate(ders_.back());
    EXPECT_TRUE(c) << c.error().message;
    return *c;
  }
  crypto::PrivateKey key_;
  // Certificates view these buffers; moving a Bytes keeps its heap storage in place.
  std::vector<Bytes> ders_;
};

TEST_F(PkiHostCert, SubjectAltNames) {
  const Certificate c = make(CertificateBuilder()
                                 .common_name("cn.example")
                                 .dns_name("localhost")
                                 .dns_name("*.wild.example")
                                 .ip_address("127.0.0.1")
                                 .ip_address("::1"));
  EXPECT_TRUE(check_host_name(c, "localhost"));
  EXPECT_TRUE(check_host_name(c, "LOCALHOST."));
  EXPECT_TRUE(check_host_name(c, "x.wild.example"));
  EXPECT_TRUE(check_host_name(c, "127.0.0.1"));
  EXPECT_TRUE(check_host_name(c, "::1"));
  EXPECT_TRUE(check_host_name(c, "[::1]"));

  auto wrong = check_host_name(c, "wrong.example");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().alert, AlertDescription::bad_certificate);
  EXPECT_EQ(wrong.error().kind, ErrorKind::bad_certificate);
  EXPECT_EQ(wrong.error().message,
            "certificate for 'localhost', '*.wild.example', '127.0.0.1', '::1' does not match the "
            "requested name 'wrong.example'");
  // The CN is not consulted when dNSName entries exist (RFC 6125 §6.4.4).
  EXPECT_FALSE(check_host_name(c, "cn.example"));
  // IP literals match only iPAddress entries, never DNS ones, and vice versa.
  auto ip = check_host_name(c, "127.0.0.2");
  ASSERT_FALSE(ip);
  EXPECT_NE(ip.error().message.find("requested name '127.0.0.2'"), std::string::npos);
  EXPECT_NE(ip.error().message.find("IP address entries"), std::string::npos) << ip.error().message;
  EXPECT_FALSE(check_host_name(c, "::2"));
  EXPECT_FALSE(check_host_name(c, "a.b.wild.example"));

  auto invalid = check_host_name(c, "bad name");
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().kind, ErrorKind::config);
  EXPECT_NE(invalid.error().message.find("'bad name'"), std::string::npos);
}

TEST_F(PkiHostCert, IpSanDoesNotMatchDnsSpelling) {
  const Certificate dns_only = make(CertificateBuilder().common_name("x").dns_name("127.0.0.1.nip.example"));
  EXPECT_FALSE(check_host_name(dns_only, "127.0.0.1"));
  // A dNSName that spells an address is not an iPAddress entry.
  const Certificate dns_spelling = make(CertificateBuilder().common_name("x").dns_name("10.0.0.1"));
  EXPECT_FALSE(check_host_name(dns_spelling, "10.0.0.1"));
}

TEST_F(PkiHostCert, CommonNameFallback) {
  // No subjectAltName at all: the CN stands in for a DNS name.
  const Certificate cn_only = make(CertificateBuilder().common_name("legacy.example"));
  EXPECT_TRUE(check_host_name(cn_only, "legacy.example"));
  auto miss = check_host_name(cn_only, "other.example");
  ASSERT_FALSE(miss);
  EXPECT_EQ(miss.error().message,
            "certificate for 'legacy.example' does not match the requested name 'other.example'");
  // ...but never for an IP address, even when the CN spells it.
  const Certificate cn_ip = make(CertificateBuilder().common_name("192.0.2.9"));
  EXPECT_FALSE(check_host_name(cn_ip, "192.0.2.9"));
  // Only IP SANs: there is still no DNS-ID, so the CN is used for DNS names.
  const Certificate cn_and_ip = make(CertificateBuilder().common_name("mixed.example").ip_address("192.0.2.10"));
  EXPECT_TRUE(check_host_name(cn_and_ip, "mixed.example"));
  EXPECT_TRUE(check_host_name(cn_and_ip, "192.0.2.10"));
  // A wildcard CN follows the dNSName rules.
  const Certificate cn_wild = make(CertificateBuilder().common_name("*.cn.example"));
  EXPECT_TRUE(check_host_name(cn_wild, "a.cn.example"));
  EXPECT_FALSE(check_host_name(cn_wild, "cn.example"));
  // No names anywhere.
  const Certificate nothing = make(CertificateBuilder());
  auto none = check_host_name(nothing, "a.example");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message,
            "certificate 'O=tlspp test' has no DNS name or IP address and does not match the requested name 'a.example'");
}

TEST_F(PkiHostCert, LongNameListsAreAbbreviated) {
  CertificateBuilder b;
  b.common_name("many");
  for (int i = 0; i < 7; ++i) b.dns_name("n" + std::to_string(i) + ".example");
  const Certificate c = make(b);
  auto r = check_host_name(c, "x.example");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "certificate for 'n0.example', 'n1.example', 'n2.example', 'n3.example' and 3 more does not match "
            "the requested name 'x.example'");
}

TEST(PkiHostname, DnsSubtrees) {
  EXPECT_TRUE(dns_name_in_subtree("example.com", "example.com"));
  EXPECT_TRUE(dns_name_in_subtree("a.b.Example.com", "example.COM"));
  EXPECT_FALSE(dns_name_in_subtree("badexample.com", "example.com"));
  EXPECT_FALSE(dns_name_in_subtree("example.com", ".example.com"));
  EXPECT_TRUE(dns_name_in_subtree("a.example.com", ".example.com"));
  EXPECT_TRUE(dns_name_in_subtree("anything.example", ""));
  EXPECT_FALSE(dns_name_in_subtree("example.org", "example.com"));
  // A wildcard may enter a subtree one label below its suffix, for excluded checks.
  EXPECT_FALSE(dns_name_in_subtree("*.example.com", "secret.example.com"));
  EXPECT_TRUE(dns_name_in_subtree("*.example.com", "secret.example.com", true));
  EXPECT_TRUE(dns_name_in_subtree("*.example.com", "example.com", true));
  EXPECT_FALSE(dns_name_in_subtree("*.example.com", "a.b.example.com", true));
}

TEST(PkiHostname, IpSubtrees) {
  const uint8_t addr[4] = {192, 0, 2, 77};
  const uint8_t net24[8] = {192, 0, 2, 0, 255, 255, 255, 0};
  const uint8_t net32[8] = {192, 0, 2, 78, 255, 255, 255, 255};
  EXPECT_TRUE(ip_in_subtree(addr, net24));
  EXPECT_FALSE(ip_in_subtree(addr, net32));
  const uint8_t v6net[32] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                             0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(ip_in_subtree(addr, v6net));  // families never match
}

}  // namespace
}  // namespace tlspp::pki
