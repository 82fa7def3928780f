// Key exchange: RFC 7748 §6.1 X25519 through injected randomness, P-256/P-384 agreement,
// and rejection of every malformed or malicious peer value RFC 8446 §4.2.8.2 / §7.4 name.
#include <gtest/gtest.h>

#include <string>

#include "crypto/kx.h"
#include "test_crypto_util.h"

namespace tlspp::crypto {
namespace {

using testing::from_hex;
using testing::to_hex;

const char* kP256G =
    "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";
const char* kP384G =
    "04aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7"
    "3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f";
const char* kP256Order = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

KeyShare make(NamedGroup g, RandomSource& rng) {
  auto ks = KeyShare::generate(g, rng);
  EXPECT_TRUE(ks) << (ks ? "" : ks.error().to_string());
  return std::move(*ks);
}

void expect_illegal(const Result<Secret>& r, const std::string& fragment) {
  ASSERT_FALSE(r) << "peer value accepted; expected rejection mentioning '" << fragment << "'";
  EXPECT_EQ(r.error().kind, ErrorKind::peer_misbehaved);
  EXPECT_EQ(r.error().alert, AlertDescription::illegal_parameter);
  EXPECT_NE(r.error().message.find(fragment), std::string::npos) << r.error().message;
}

TEST(Kx, SupportedGroupsAndPublicLengths) {
  EXPECT_TRUE(kx_supported(NamedGroup::x25519));
  EXPECT_TRUE(kx_supported(NamedGroup::secp256r1));
  EXPECT_TRUE(kx_supported(NamedGroup::secp384r1));
  EXPECT_FALSE(kx_supported(NamedGroup::x448));
  EXPECT_FALSE(kx_supported(NamedGroup::secp521r1));
  EXPECT_EQ(kx_public_len(NamedGroup::x25519), 32u);
  EXPECT_EQ(kx_public_len(NamedGroup::secp256r1), 65u);
  EXPECT_EQ(kx_public_len(NamedGroup::secp384r1), 97u);
}

TEST(Kx, UnsupportedGroupIsRefused) {
  FixedRandom rng;
  EXPECT_FALSE(KeyShare::generate(NamedGroup::x448, rng));
}

// RFC 7748 §6.1 test vector, with the private keys injected through FixedRandom.
TEST(KxX25519, Rfc7748Section61AliceAndBob) {
  FixedRandom rng({from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
                   from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")});
  const KeyShare alice = make(NamedGroup::x25519, rng);
  const KeyShare bob = make(NamedGroup::x25519, rng);
  EXPECT_EQ(alice.group(), NamedGroup::x25519);
  EXPECT_EQ(to_hex(alice.public_bytes()), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(to_hex(bob.public_bytes()), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const auto k1 = alice.agree(bob.public_bytes());
  const auto k2 = bob.agree(alice.public_bytes());
  ASSERT_TRUE(k1);
  ASSERT_TRUE(k2);
  EXPECT_EQ(to_hex(k1->view()), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_EQ(to_hex(k2->view()), to_hex(k1->view()));
}

// RFC 8448 §3 server ephemeral key pair.
TEST(KxX25519, Rfc8448ServerKeyPair) {
  FixedRandom rng({from_hex("b1580eeadf6dd589b8ef4f2d5652578cc810e9980191ec8d058308cea216a21e")});
  const KeyShare server = make(NamedGroup::x25519, rng);
  EXPECT_EQ(to_hex(server.public_bytes()), "c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f");
}

TEST(KxX25519, WrongLengthIsIllegalParameter) {
  const KeyShare ks = make(NamedGroup::x25519, *system_random());
  expect_illegal(ks.agree(Bytes(31, 9)), "32 bytes");
  expect_illegal(ks.agree(Bytes(33, 9)), "32 bytes");
  expect_illegal(ks.agree({}), "32 bytes");
}

// RFC 7748 §6.1 / RFC 8446 §7.4.2: a low-order peer point gives an all-zero secret, which
// must be refused.
TEST(KxX25519, LowOrderPointsGivingAllZeroSecretAreIllegalParameter) {
  const KeyShare ks = make(NamedGroup::x25519, *system_random());
  expect_illegal(ks.agree(Bytes(32, 0)), "all zeros");
  Bytes one(32, 0);
  one[0] = 1;
  expect_illegal(ks.agree(one), "all zeros");
  // A point of order 8.
  expect_illegal(ks.agree(from_hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")),
                 "all zeros");
}

TEST(KxX25519, FreshKeysDifferAndAgree) {
  const KeyShare a = make(NamedGroup::x25519, *system_random());
  const KeyShare b = make(NamedGroup::x25519, *system_random());
  EXPECT_NE(to_hex(a.public_bytes()), to_hex(b.public_bytes()));
  const auto ka = a.agree(b.public_bytes());
  const auto kb = b.agree(a.public_bytes());
  ASSERT_TRUE(ka && kb);
  EXPECT_EQ(ka->size(), 32u);
  EXPECT_EQ(to_hex(ka->view()), to_hex(kb->view()));
}

class KxNist : public ::testing::TestWithParam<NamedGroup> {};

TEST_P(KxNist, TwoPartyAgreementGivesTheSameXCoordinate) {
  const NamedGroup g = GetParam();
  const KeyShare a = make(g, *system_random());
  const KeyShare b = make(g, *system_random());
  ASSERT_EQ(a.public_bytes().size(), kx_public_len(g));
  EXPECT_EQ(a.public_bytes()[0], 0x04);
  const auto ka = a.agree(b.public_bytes());
  const auto kb = b.agree(a.public_bytes());
  ASSERT_TRUE(ka) << ka.error().to_string();
  ASSERT_TRUE(kb) << kb.error().to_string();
  EXPECT_EQ(ka->size(), g == NamedGroup::secp256r1 ? 32u : 48u);
  EXPECT_EQ(to_hex(ka->view()), to_hex(kb->view()));
}

// With private scalar 1 the public key is the generator, and the shared secret with any
// peer point Q is Q's x-coordinate (RFC 8446 §7.4.1).
TEST_P(KxNist, ScalarOneGivesTheGeneratorAndPeerXCoordinate) {
  const NamedGroup g = GetParam();
  const size_t n = g == NamedGroup::secp256r1 ? 32 : 48;
  Bytes one(n, 0);
  one.back() = 1;
  FixedRandom rng({one});
  const KeyShare ks = make(g, rng);
  EXPECT_EQ(to_hex(ks.public_bytes()), g == NamedGroup::secp256r1 ? kP256G : kP384G);
  const KeyShare peer = make(g, *system_random());
  const auto shared = ks.agree(peer.public_bytes());
  ASSERT_TRUE(shared);
  EXPECT_EQ(to_hex(shared->view()), to_hex(peer.public_bytes().subspan(1, n)));
}

TEST_P(KxNist, RejectsWrongLengthCompressedAndOffCurvePoints) {
  const NamedGroup g = GetParam();
  const size_t n = g == NamedGroup::secp256r1 ? 32 : 48;
  const KeyShare ks = make(g, *system_random());
  const Bytes good(ks.public_bytes().begin(), ks.public_bytes().end());
  ASSERT_TRUE(ks.agree(good));

  expect_illegal(ks.agree(ByteView(good).first(good.size() - 1)), "bytes, got");
  expect_illegal(ks.agree(Bytes(good.size() + 1, 4)), "bytes, got");
  // Compressed form (0x02/0x03 || X), which RFC 8446 §4.2.8.2 does not allow.
  Bytes compressed(1 + n);
  compressed[0] = static_cast<uint8_t>(0x02 | (good[2 * n] & 1));
  std::copy(good.begin() + 1, good.begin() + 1 + static_cast<std::ptrdiff_t>(n), compressed.begin() + 1);
  expect_illegal(ks.agree(compressed), "bytes, got");
  // Right length but a compressed or hybrid prefix.
  Bytes wrong_prefix = good;
  wrong_prefix[0] = 0x03;
  expect_illegal(ks.agree(wrong_prefix), "not an uncompressed point");
  wrong_prefix[0] = 0x06;
  expect_illegal(ks.agree(wrong_prefix), "not an uncompressed point");
  // Y changed: no longer on the curve.
  Bytes off_curve = good;
  off_curve[2 * n] ^= 0x01;
  expect_illegal(ks.agree(off_curve), "not a point on the curve");
  // Coordinates out of range and the all-zero "point".
  Bytes big_x = good;
  std::fill(big_x.begin() + 1, big_x.begin() + 1 + static_cast<std::ptrdiff_t>(n), 0xff);
  expect_illegal(ks.agree(big_x), "not a point on the curve");
  Bytes zeros(good.size(), 0);
  zeros[0] = 0x04;
  expect_illegal(ks.agree(zeros), "not a point on the curve");
}

INSTANTIATE_TEST_SUITE_P(Curves, KxNist, ::testing::Values(NamedGroup::secp256r1, NamedGroup::secp384r1),
                         [](const auto& p) { return std::string(named_group_name(p.param)); });

// Scalars 0 and >= n are out of range and must be redrawn.
TEST(KxP256, OutOfRangeScalarsAreRedrawn) {
  Bytes one(32, 0);
  one.back() = 1;
  FixedRandom rng({Bytes(32, 0), from_hex(kP256Order), Bytes(32, 0xff), one});
  const KeyShare ks = make(NamedGroup::secp256r1, rng);
  EXPECT_EQ(to_hex(ks.public_bytes()), kP256G);
}

TEST(KxP256, InjectedRandomnessIsDeterministic) {
  FixedRandom r1, r2;
  const KeyShare a = make(NamedGroup::secp256r1, r1);
  const KeyShare b = make(NamedGroup::secp256r1, r2);
  EXPECT_EQ(to_hex(a.public_bytes()), to_hex(b.public_bytes()));
}

TEST(Kx, MovedKeyShareStillAgrees) {
  KeyShare a = make(NamedGroup::secp384r1, *system_random());
  const KeyShare b = make(NamedGroup::secp384r1, *system_random());
  const std::string pub = to_hex(a.public_bytes());
  KeyShare moved = std::move(a);
  EXPECT_EQ(to_hex(moved.public_bytes()), pub);
  const auto k1 = moved.agree(b.public_bytes());
  ASSERT_TRUE(k1);
  KeyShare assigned = make(NamedGroup::x25519, *system_random());
  assigned = std::move(moved);
  EXPECT_EQ(assigned.group(), NamedGroup::secp384r1);
  const auto k2 = assigned.agree(b.public_bytes());
  ASSERT_TRUE(k2);
  EXPECT_EQ(to_hex(k1->view()), to_hex(k2->view()));
}

TEST(Kx, MismatchedGroupsDoNotAgree) {
  const KeyShare x = make(NamedGroup::x25519, *system_random());
  const KeyShare p = make(NamedGroup::secp256r1, *system_random());
  expect_illegal(x.agree(p.public_bytes()), "32 bytes");
  expect_illegal(p.agree(x.public_bytes()), "65 bytes");
}

}  // namespace
}  // namespace tlspp::crypto
