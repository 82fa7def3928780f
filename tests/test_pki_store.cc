// Trust store: PEM splitting, skipping of unusable entries, lookup, the system bundle,
// and concurrent use by several threads.
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "crypto/pem.h"
#include "pki/builder.h"
#include "pki/pem_blocks.h"
#include "pki/trust_store.h"
#include "pki/verify.h"

namespace tlspp::pki {
namespace {

const std::string kData = std::string(TLSPP_SOURCE_DIR) + "/tests/data/pki/";

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

std::string file_text(const std::string& name) {
  auto f = crypto::read_file(kData + name);
  EXPECT_TRUE(f) << name;
  return f ? std::string(f->begin(), f->end()) : std::string();
}

TEST(PkiPem, SplitsBlocksAndReportsBadOnes) {
  const std::string a = file_text("ISRG_Root_X1.pem"), b = file_text("ISRG_Root_X2.pem");
  const std::string bad = "-----BEGIN CERTIFICATE-----\nMIIB!!!!\n-----END CERTIFICATE-----\n";
  const std::string key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  auto blocks = decode_pem_certificates(text("comment line\n" + a + key + bad + b + "trailer\n"));
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_TRUE(blocks[0]);
  ASSERT_FALSE(blocks[1]);
  EXPECT_EQ(blocks[1].error().message, "PEM certificate block 2 contains a character that is not base64");
  EXPECT_TRUE(blocks[2]);
  EXPECT_EQ(blocks[0]->at(0), 0x30);

  auto unterminated = decode_pem_certificates(text("-----BEGIN CERTIFICATE-----\nMIIB\n"));
  ASSERT_EQ(unterminated.size(), 1u);
  ASSERT_FALSE(unterminated[0]);
  EXPECT_EQ(unterminated[0].error().message, "PEM certificate block 1 has no END line");

  auto odd = decode_pem_certificates(text("-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----"));
  ASSERT_EQ(odd.size(), 1u);
  EXPECT_FALSE(odd[0]);
  // "TWE=" is "Ma"; "TWF=" has non-zero padding bits (RFC 4648 §3.5).
  auto canonical = decode_pem_certificates(text("-----BEGIN CERTIFICATE-----\nTWE=\n-----END CERTIFICATE-----"));
  ASSERT_TRUE(canonical[0]);
  EXPECT_EQ(*canonical[0], text("Ma"));
  auto sloppy = decode_pem_certificates(text("-----BEGIN CERTIFICATE-----\nTWF=\n-----END CERTIFICATE-----"));
  EXPECT_FALSE(sloppy[0]);
  EXPECT_TRUE(looks_like_pem(text(a)));
  EXPECT_FALSE(looks_like_pem(Bytes{0x30, 0x82}));
}

TEST(PkiStore, SkipsAndCountsUnusableEntries) {
  const std::string a = file_text("ISRG_Root_X1.pem"), b = file_text("ISRG_Root_X2.pem");
  // Valid base64 but not a certificate, and a broken base64 block.
  const std::string not_cert = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
  const std::string bad = "-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n";
  TrustStore store;
  ASSERT_TRUE(store.add_pem(text(a + not_cert + b + bad + a), "bundle 'test'"));
  EXPECT_EQ(store.size(), 2u);  // the duplicate of X1 is folded
  EXPECT_EQ(store.skipped(), 2u);
  EXPECT_NE(store.first_skip_reason().find("bundle 'test' block 2 is not a usable certificate"), std::string::npos)
      << store.first_skip_reason();

  TrustStore empty;
  auto none = empty.add_pem(text(not_cert), "bundle 'junk'");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, ErrorKind::config);
  EXPECT_NE(none.error().message.find("bundle 'junk' contains no usable certificate"), std::string::npos)
      << none.error().message;
  auto nothing = empty.add_pem(text("no pem here -----BEGIN X-----"), "file 'x'");
  EXPECT_FALSE(nothing);
}

TEST(PkiStore, LookupByNameAndExactBytes) {
  TestPkiOptions o;
  auto pki = make_test_pki(o);
  ASSERT_TRUE(pki);
  TrustStore store = pki->trust_store();
  auto root = parse_certificate(pki->root);
  auto inter = parse_certificate(pki->intermediate);
  ASSERT_TRUE(root && inter);
  ASSERT_EQ(store.find_by_subject(root->subject).size(), 1u);
  EXPECT_EQ(store.find_by_subject(inter->subject).size(), 0u);
  EXPECT_NE(store.find_exact(*root), nullptr);
  EXPECT_EQ(store.find_exact(*inter), nullptr);
  // DER input works as well as PEM.
  ASSERT_TRUE(store.add_pem(pki->intermediate, "intermediate.der"));
  EXPECT_EQ(store.size(), 2u);
  auto key = store.find_exact(*inter)->key();
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->describe(), "ECDSA P-256");
  // A malformed DER anchor is refused with a message naming it.
  auto bad = store.add_der(Bytes{0x30, 0x03, 0x02, 0x01}, "anchor 'x'");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind("anchor 'x' is not a usable certificate: certificate 1 is malformed", 0), 0u)
      << bad.error().message;
}

TEST(PkiStore, FileErrorsNameTheFile) {
  auto missing = TrustStore::from_file(kData + "does-not-exist.pem");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("does-not-exist.pem"), std::string::npos) << missing.error().message;
  auto ok = TrustStore::from_file(kData + "ISRG_Root_X1.pem");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->size(), 1u);
}

TEST(PkiStore, SystemBundleIsLoadedOnce) {
  auto sys = TrustStore::system();
  ASSERT_TRUE(sys) << sys.error().message;  // scripts/deps.sh installs ca-certificates
  auto again = TrustStore::system();
  ASSERT_TRUE(again);
  EXPECT_EQ(sys->get(), again->get());
  std::cout << "[ system   ] " << (*sys)->size() << " anchors, " << (*sys)->skipped() << " skipped\n";
  EXPECT_GE((*sys)->size(), 50u);
  // Every anchor key decodes.
  size_t keys = 0;
  for (const auto& a : (*sys)->anchors()) keys += a->key().has_value();
  EXPECT_EQ(keys, (*sys)->size());
  // A private test PKI is not trusted by the system store.
  auto pki = make_test_pki({});
  ASSERT_TRUE(pki);
  const std::vector<ByteView> chain{pki->leaf, pki->intermediate};
  auto v = verify_server_chain(**sys, chain, "localhost", std::time(nullptr));
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().alert, AlertDescription::unknown_ca);
  EXPECT_NE(v.error().message.find("'CN=tlspp test intermediate CA, O=tlspp test' is not signed by a trusted authority"),
            std::string::npos)
      << v.error().message;
}

TEST(PkiStore, SharedAcrossThreads) {
  auto pki = make_test_pki({});
  ASSERT_TRUE(pki);
  const TrustStore store = pki->trust_store();
  const std::vector<ByteView> chain{pki->leaf, pki->intermediate};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> threads;
  // The anchor key is decoded lazily: the threads race to be first.
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (verify_server_chain(store, chain, "localhost", std::time(nullptr))) ++ok;
        else ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_EQ(failed.load(), 0);
}

}  // namespace
}  // namespace tlspp::pki
