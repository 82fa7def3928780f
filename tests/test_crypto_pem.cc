// Key and certificate files: every supported key encoding (SEC1, PKCS#1, PKCS#8 in PEM and
// DER), certificates in PEM, DER and chains, and errors that name the offending file.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "crypto/pem.h"
#include "crypto/sig.h"
#include "test_crypto_util.h"

namespace tlspp::crypto {
namespace {

using testing::as_bytes;

const std::string kData = std::string(TLSPP_SOURCE_DIR) + "/tests/data/crypto/";

Bytes fixture(const std::string& name) {
  auto b = read_file(kData + name);
  EXPECT_TRUE(b) << b.error().to_string();
  return b ? *b : Bytes{};
}

// Writes `content` to a fresh file in the test temp dir and returns its path.
std::string temp_file(const std::string& name, std::string_view content) {
  const std::string path = ::testing::TempDir() + "tlspp_crypto_" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::string text_of(const Bytes& b) { return std::string(b.begin(), b.end()); }

void expect_error_mentions(const Error& e, const std::string& a, const std::string& b = "") {
  EXPECT_NE(e.message.find(a), std::string::npos) << e.message;
  if (!b.empty()) {
    EXPECT_NE(e.message.find(b), std::string::npos) << e.message;
  }
}

TEST(LoadPrivateKey, EcP256InSec1Pkcs8PemAndPkcs8DerIsTheSameKey) {
  const Bytes spki = fixture("ec_p256_spki.der");
  for (const char* name : {"ec_p256_sec1.pem", "ec_p256_pkcs8.pem", "ec_p256_pkcs8.der"}) {
    auto k = load_private_key(kData + name);
    ASSERT_TRUE(k) << name << ": " << k.error().to_string();
    EXPECT_EQ(k->type(), KeyType::ec_p256) << name;
    EXPECT_EQ(k->public_key().spki(), spki) << name;
  }
}

TEST(LoadPrivateKey, RsaPkcs1Pem) {
  auto k = load_private_key(kData + "rsa2048_pkcs1.pem");
  ASSERT_TRUE(k) << k.error().to_string();
  EXPECT_EQ(k->type(), KeyType::rsa);
  EXPECT_EQ(k->public_key().describe(), "RSA 2048");
}

TEST(LoadPrivateKey, RsaPssPkcs8Pem) {
  auto k = load_private_key(kData + "rsapss2048_pkcs8.pem");
  ASSERT_TRUE(k) << k.error().to_string();
  EXPECT_EQ(k->type(), KeyType::rsa_pss);
}

TEST(LoadPrivateKey, Ed25519Pkcs8PemAndDer) {
  auto pem = load_private_key(kData + "ed25519_pkcs8.pem");
  auto der = load_private_key(kData + "ed25519_pkcs8.der");
  ASSERT_TRUE(pem) << pem.error().to_string();
  ASSERT_TRUE(der) << der.error().to_string();
  EXPECT_EQ(pem->type(), KeyType::ed25519);
  EXPECT_EQ(pem->public_key().spki(), der->public_key().spki());
}

TEST(LoadPrivateKey, EcP384Pkcs8Pem) {
  auto k = load_private_key(kData + "ec_p384_pkcs8.pem");
  ASSERT_TRUE(k) << k.error().to_string();
  EXPECT_EQ(k->type(), KeyType::ec_p384);
}

TEST(LoadPrivateKey, KeyAfterACertificateInACombinedFile) {
  const std::string combined = text_of(fixture("leaf.pem")) + text_of(fixture("ec_p256_pkcs8.pem"));
  auto k = PrivateKey::parse(as_bytes(combined), "combined file");
  ASSERT_TRUE(k) << k.error().to_string();
  EXPECT_EQ(k->public_key().spki(), fixture("ec_p256_spki.der"));
}

TEST(LoadPrivateKey, EncryptedKeyIsRefusedWithoutPrompting) {
  const std::string path = kData + "ec_p256_encrypted.pem";
  auto k = load_private_key(path);
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().kind, ErrorKind::config);
  expect_error_mentions(k.error(), "key file '" + path + "'", "encrypted");
}

TEST(LoadPrivateKey, GarbageFileErrorNamesTheFile) {
  const std::string path = temp_file("garbage.key", "this is not a key\n");
  auto k = load_private_key(path);
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().kind, ErrorKind::config);
  EXPECT_EQ(k.error().message, "key file '" + path + "': not a PEM or DER private key");
}

TEST(LoadPrivateKey, PemWithoutAKeyErrorNamesTheFile) {
  const std::string path = temp_file("cert_only.key", text_of(fixture("leaf.pem")));
  auto k = load_private_key(path);
  ASSERT_FALSE(k);
  expect_error_mentions(k.error(), "key file '" + path + "'", "no readable private key");
}

TEST(LoadPrivateKey, CertificateGivenAsKeyIsRefused) {
  const std::string path = kData + "leaf.der";
  auto k = load_private_key(path);
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().message, "key file '" + path + "': not a PEM or DER private key");
}

TEST(LoadPrivateKey, EmptyAndMissingFiles) {
  const std::string empty = temp_file("empty.key", "");
  auto e = load_private_key(empty);
  ASSERT_FALSE(e);
  expect_error_mentions(e.error(), "'" + empty + "'", "empty");
  const std::string missing = kData + "does_not_exist.key";
  auto m = load_private_key(missing);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().kind, ErrorKind::config);
  expect_error_mentions(m.error(), "'" + missing + "'", "No such file");
}

TEST(LoadCertificates, PemAndDerGiveTheSameDer) {
  const Bytes der = fixture("leaf.der");
  auto from_pem = load_certificates(kData + "leaf.pem");
  auto from_der = load_certificates(kData + "leaf.der");
  ASSERT_TRUE(from_pem) << from_pem.error().to_string();
  ASSERT_TRUE(from_der) << from_der.error().to_string();
  ASSERT_EQ(from_pem->size(), 1u);
  ASSERT_EQ(from_der->size(), 1u);
  EXPECT_EQ((*from_pem)[0], der);
  EXPECT_EQ((*from_der)[0], der);
}

TEST(LoadCertificates, TwoCertificateChainInOrder) {
  auto chain = load_certificates(kData + "chain.pem");
  ASSERT_TRUE(chain) << chain.error().to_string();
  ASSERT_EQ(chain->size(), 2u);
  EXPECT_EQ((*chain)[0], fixture("leaf.der"));
  auto ca = load_certificates(kData + "ca.pem");
  ASSERT_TRUE(ca);
  EXPECT_EQ((*chain)[1], (*ca)[0]);
}

TEST(LoadCertificates, OtherPemBlocksAreSkipped) {
  const std::string combined = text_of(fixture("ec_p256_pkcs8.pem")) + text_of(fixture("leaf.pem"));
  auto certs = parse_certificates(as_bytes(combined), "combined");
  ASSERT_TRUE(certs) << certs.error().to_string();
  ASSERT_EQ(certs->size(), 1u);
  EXPECT_EQ((*certs)[0], fixture("leaf.der"));
}

TEST(LoadCertificates, GarbageFileErrorNamesTheFile) {
  const std::string path = temp_file("garbage.pem", "hello, world\n");
  auto c = load_certificates(path);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::config);
  EXPECT_EQ(c.error().message, "certificate file '" + path + "': not a PEM or DER certificate");
}

TEST(LoadCertificates, PemWithoutCertificateErrorNamesTheFile) {
  const std::string path = temp_file("key_only.pem", text_of(fixture("ec_p256_pkcs8.pem")));
  auto c = load_certificates(path);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "certificate file '" + path + "': no CERTIFICATE block found");
}

TEST(LoadCertificates, BadBase64NamesTheBlock) {
  const std::string bad = text_of(fixture("leaf.pem")) + "-----BEGIN CERTIFICATE-----\nMIIB*x==\n-----END CERTIFICATE-----\n";
  const std::string path = temp_file("bad_base64.pem", bad);
  auto c = load_certificates(path);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "certificate file '" + path +
                                    "': certificate block 2 has invalid base64 (contains a character that is not base64)");
}

TEST(LoadCertificates, BlockThatIsNotX509NamesTheBlock) {
  // Valid base64 of a private key, labelled as a certificate.
  const std::string not_cert = pem_encode("CERTIFICATE", fixture("ec_p256_pkcs8.der"));
  const std::string path = temp_file("not_x509.pem", text_of(fixture("leaf.pem")) + not_cert);
  auto c = load_certificates(path);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "certificate file '" + path + "': block 2 is not a valid X.509 certificate");
}

TEST(LoadCertificates, DerWithTrailingBytesOrTruncatedIsRefused) {
  Bytes der = fixture("leaf.der");
  der.push_back(0);
  EXPECT_FALSE(parse_certificates(der, "trailing"));
  der.resize(der.size() - 10);
  EXPECT_FALSE(parse_certificates(der, "truncated"));
}

TEST(LoadCertificates, MissingEndLineIsRefused) {
  std::string pem = text_of(fixture("leaf.pem"));
  pem.resize(pem.find("-----END"));
  auto c = parse_certificates(as_bytes(pem), "cut");
  ASSERT_FALSE(c);
  expect_error_mentions(c.error(), "cut: ", "-----END CERTIFICATE-----");
}

TEST(LoadCertificates, MissingFileNamesTheFileAndReason) {
  const std::string missing = kData + "nope.pem";
  auto c = load_certificates(missing);
  ASSERT_FALSE(c);
  expect_error_mentions(c.error(), "'" + missing + "'", "No such file");
}

// RFC 4648 §10 test vectors, inside PEM armour.
TEST(PemEncode, Base64VectorsAndArmour) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, b64] : vectors) {
    const std::string body = *b64 ? std::string(b64) + "\n" : "";
    EXPECT_EQ(pem_encode("TEST", as_bytes(plain)), "-----BEGIN TEST-----\n" + body + "-----END TEST-----\n");
  }
}

TEST(PemEncode, WrapsAt64ColumnsAndRoundTripsThroughTheParser) {
  const Bytes der = fixture("leaf.der");
  const std::string pem = pem_encode("CERTIFICATE", der);
  size_t start = pem.find('\n') + 1;
  size_t lines = 0;
  for (size_t nl; (nl = pem.find('\n', start)) != std::string::npos && pem.compare(start, 5, "-----") != 0;
       start = nl + 1) {
    const size_t len = nl - start;
    EXPECT_LE(len, 64u);
    if (pem.compare(nl + 1, 5, "-----") != 0) {
      EXPECT_EQ(len, 64u) << "only the last line may be short";
    }
    ++lines;
  }
  EXPECT_EQ(lines, ((der.size() + 2) / 3 * 4 + 63) / 64);
  auto back = parse_certificates(as_bytes(pem), "re-encoded");
  ASSERT_TRUE(back) << back.error().to_string();
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0], der);
  // And it matches what openssl wrote, byte for byte.
  EXPECT_EQ(pem, text_of(fixture("leaf.pem")));
}

TEST(PemEncode, PrivateKeyPemParsesBack) {
  auto k = load_private_key(kData + "ed25519_pkcs8.der");
  ASSERT_TRUE(k);
  const std::string pem = pem_encode("PRIVATE KEY", k->pkcs8_der());
  auto back = PrivateKey::parse(as_bytes(pem), "re-encoded key");
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->public_key().spki(), k->public_key().spki());
  EXPECT_EQ(pem, text_of(fixture("ed25519_pkcs8.pem")));
}

TEST(ReadFile, ReadsWholeBinaryFile) {
  std::string content;
  for (int i = 0; i < 10000; ++i) content += static_cast<char>(i % 251);
  const std::string path = temp_file("binary.bin", content);
  auto b = read_file(path);
  ASSERT_TRUE(b);
  EXPECT_EQ(text_of(*b), content);
}

TEST(ReadFile, DirectoryIsAnError) {
  auto b = read_file(kData);
  ASSERT_FALSE(b);
  expect_error_mentions(b.error(), "'" + kData + "'");
}

}  // namespace
}  // namespace tlspp::crypto
