// `tlspp selfcheck`: replays RFC 8448 §3 (a simple 1-RTT TLS 1.3 handshake) through tlspp's
// key exchange, key schedule and record layer, with the trace's private keys injected, and
// prints every value it reproduced. The expected values below are copied from the RFC.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "commands.h"
#include "options.h"
#include "crypto/kx.h"
#include "keysched/tls13.h"
#include "keysched/transcript.h"
#include "record/record.h"

namespace tlspp::cli {
namespace {

// The record layer takes keys: RFC 8446 §7.3 derives them from each traffic secret.
Status install_tls13(record::Protection& prot, ByteView secret) {
  constexpr auto kAead = crypto::AeadAlg::aes128gcm;
  const auto keys = keysched::traffic_keys(crypto::HashAlg::sha256, kAead, secret);
  return prot.install(kAead, keys.key.view(), keys.iv.view(), record::RecordForm::tls13);
}

constexpr std::string_view kClientPriv =
    "49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005";
constexpr std::string_view kServerPriv =
    "b1580eeadf6dd589b8ef4f2d5652578cc810e9980191ec8d058308cea216a21e";
constexpr std::string_view kClientPub =
    "99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c";
constexpr std::string_view kServerPub =
    "c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f";
constexpr std::string_view kClientHello =
    "010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece700000613011303130201"
    "0000910000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101020103010400"
    "230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b00"
    "03020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c"
    "00024001";
constexpr std::string_view kServerHello =
    "020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00330024"
    "001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304";
constexpr std::string_view kServerFlight =
    "080000240022000a00140012001d00170018001901000101010201030104001c00024001000000000b0001b9000001b5"
    "0001b0308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e310c300a0603550403130372"
    "7361301e170d3136303733303031323335395a170d3236303733303031323335395a300e310c300a0603550403130372"
    "736130819f300d06092a864886f70d010101050003818d0030818902818100b4bb498f8279303d980836399b36c6988c"
    "0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19eaa6af98c7ced43120998e187a80ee0cc"
    "b0524b1b018c3e0b63264d449a6d38e22a5fda430846748030530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a"
    "8002c47428a6d35a8d88d79f7f1e3f0203010001a31a301830090603551d1304023000300b0603551d0f0404030205a0"
    "300d06092a864886f70d01010b05000381810085aad2a0e5b9276b908c65f73a7267170618a54c5f8a7b337d2df7a594"
    "365417f2eae8f8a58c8f8172f9319cf36b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102702e608ccae6bec1"
    "fc63a42a99be5c3eb7107c3c54e9b9eb2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8f8961229ac9187b4"
    "2b4de100000f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145ab3ff52f1fda8477b0b7abc"
    "90db78e2d33a5c141a078653fa6bef780c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411ac027671"
    "459e46445c9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea20d53dfacd42f74f3140000"
    "209b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718";
constexpr std::string_view kServerFlightRecord =
    "17030302a2d1ff334a56f5bff6594a07cc87b580233f500f45e489e7f33af35edf7869fcf40aa40aa2b8ea73f848a7ca"
    "07612ef9f945cb960b4068905123ea78b111b429ba9191cd05d2a389280f526134aadc7fc78c4b729df828b5ecf7b13b"
    "d9aefb0e57f271585b8ea9bb355c7c79020716cfb9b1183ef3ab20e37d57a6b9d7477609aee6e122a4cf51427325250c"
    "7d0e509289444c9b3a648f1d71035d2ed65b0e3cdd0cbae8bf2d0b227812cbb360987255cc744110c453baa4fcd61092"
    "8d809810e4b7ed1a8fd991f06aa6248204797e36a6a73b70a2559c09ead686945ba246ab66e5edd8044b4c6de3fcf2a8"
    "9441ac66272fd8fb330ef8190579b3684596c960bd596eea520a56a8d650f563aad27409960dca63d3e688611ea5e22f"
    "4415cf9538d51a200c27034272968a264ed6540c84838d89f72c24461aad6d26f59ecaba9acbbb317b66d902f4f292a3"
    "6ac1b639c637ce343117b659622245317b49eeda0c6258f100d7d961ffb138647e92ea330faeea6dfa31c7a84dc3bd7e"
    "1b7a6c7178af36879018e3f252107f243d243dc7339d5684c8b0378bf30244da8c87c843f5e56eb4c5e8280a2b48052c"
    "f93b16499a66db7cca71e4599426f7d461e66f99882bd89fc50800becca62d6c74116dbd2972fda1fa80f85df881edbe"
    "5a37668936b335583b599186dc5c6918a396fa48a181d6b6fa4f9d62d513afbb992f2b992f67f8afe67f76913fa388cb"
    "5630c8ca01e0c65d11c66a1e2ac4c85977b7c7a6999bbf10dc35ae69f5515614636c0b9b68c19ed2e31c0b3b66763038"
    "ebba42f3b38edc0399f3a9f23faa63978c317fc9fa66a73f60f0504de93b5b845e275592c12335ee340bbc4fddd50278"
    "4016e4b3be7ef04dda49f4b440a30cb5d2af939828fd4ae3794e44f94df5a631ede42c1719bfdabf0253fe5175be898e"
    "750edc53370d2b";
constexpr std::string_view kSharedSecret =
    "8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d";
constexpr std::string_view kEarlySecret =
    "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a";
constexpr std::string_view kHandshakeSecret =
    "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac";
constexpr std::string_view kMasterSecret =
    "18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919";
constexpr std::string_view kClientHsTraffic =
    "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21";
constexpr std::string_view kServerHsTraffic =
    "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38";
constexpr std::string_view kClientApTraffic =
    "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5";
constexpr std::string_view kServerApTraffic =
    "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643";
constexpr std::string_view kExporterMaster =
    "fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50";
constexpr std::string_view kServerHsKey =
    "3fce516009c21727d0f2e4e86ee403bc";
constexpr std::string_view kServerHsIv =
    "5d313eb2671276ee13000b30";
constexpr std::string_view kServerApKey =
    "9f02283b6c9c07efc26bb9f2ac92e356";
constexpr std::string_view kServerApIv =
    "cf782b88dd83549aadf1e984";
constexpr std::string_view kServerFinished =
    "9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718";
constexpr std::string_view kClientFinished =
    "a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61";
constexpr std::string_view kClientFinishedRecord =
    "170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f80338ac98fc46deb384bd1c"
    "aeacab6867d726c40546";
constexpr std::string_view kResumptionMaster =
    "7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c";
constexpr std::string_view kClientAppData =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"
    "3031";
constexpr std::string_view kClientAppRecord =
    "1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b9819a8a5b46b395bd54a9a20441e2b"
    "62974e1f5a6292a2977014bd1e3deae63aeebb21694915e4";
constexpr std::string_view kServerAppRecord =
    "17030300432e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36e30efaf97d90e6dffc602dcb501a59a8"
    "fcc49c4bf2e5f0a21c0047c2abf332540dd032e167c2955d";

Bytes unhex(std::string_view h) {
  Bytes b;
  for (size_t i = 0; i + 1 < h.size(); i += 2) b.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return b;
}

std::string hex_prefix(ByteView b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < b.size() && i < 12; ++i) {
    s.push_back(d[b[i] >> 4]);
    s.push_back(d[b[i] & 15]);
  }
  if (b.size() > 12) s += "...";
  return s;
}

struct Checker {
  int ok = 0, bad = 0;
  void check(const char* what, ByteView got, std::string_view expected_hex) {
    const Bytes want = unhex(expected_hex);
    const bool same = Bytes(got.begin(), got.end()) == want;
    std::printf("  %s  %-44s %4zu bytes  %s\n", same ? "ok  " : "FAIL", what, got.size(), hex_prefix(got).c_str());
    (same ? ok : bad)++;
  }
};

int run(const std::vector<std::string>& args);

const Command kSelfcheck{"selfcheck", "selfcheck",
                         "replay RFC 8448's 1-RTT handshake through the key schedule and record layer", &run};
const Registration reg{kSelfcheck};

int run(const std::vector<std::string>& args) {
  if (wants_help(args))
    return print_help(kSelfcheck, {},
                      "Replays the simple 1-RTT handshake of RFC 8448 section 3 through tlspp's key exchange, key\n"
                      "schedule and record layer, with the trace's private keys injected, and prints each value it\n"
                      "reproduced next to ok or FAIL. It takes no options.",
                      "Exit status: 0 when every value matches the RFC, 1 otherwise, 2 on a usage error.");
  if (!args.empty()) return usage_error(kSelfcheck, "unexpected argument '" + args[0] + "'");
  using crypto::AeadAlg;
  using crypto::HashAlg;
  using record::ContentType;
  const HashAlg H = HashAlg::sha256;
  const AeadAlg A = AeadAlg::aes128gcm;
  Checker c;
  std::printf("RFC 8448 section 3, Simple 1-RTT Handshake (TLS_AES_128_GCM_SHA256, x25519)\n\n");

  FixedRandom crng({unhex(kClientPriv)}), srng({unhex(kServerPriv)});
  auto cks = crypto::KeyShare::generate(NamedGroup::x25519, crng);
  auto sks = crypto::KeyShare::generate(NamedGroup::x25519, srng);
  if (!cks || !sks) {
    std::fprintf(stderr, "tlspp selfcheck: X25519 key generation failed\n");
    return 1;
  }
  c.check("client x25519 public key", cks->public_bytes(), kClientPub);
  c.check("server x25519 public key", sks->public_bytes(), kServerPub);
  auto shared = cks->agree(sks->public_bytes());
  auto shared2 = sks->agree(cks->public_bytes());
  if (!shared || !shared2) {
    std::fprintf(stderr, "tlspp selfcheck: X25519 agreement failed\n");
    return 1;
  }
  c.check("(EC)DHE shared secret (client side)", shared->view(), kSharedSecret);
  c.check("(EC)DHE shared secret (server side)", shared2->view(), kSharedSecret);

  auto early = keysched::EarlySecret::without_psk(H);
  c.check("early secret", early.secret(), kEarlySecret);
  keysched::Transcript t;
  t.add(unhex(kClientHello));
  t.add(unhex(kServerHello));
  t.set_hash(H);
  auto hs = std::move(early).into_handshake(shared->view());
  c.check("handshake secret", hs.secret(), kHandshakeSecret);
  const auto c_hs = hs.client_handshake_traffic_secret(t.hash().view());
  const auto s_hs = hs.server_handshake_traffic_secret(t.hash().view());
  c.check("client_handshake_traffic_secret", c_hs.view(), kClientHsTraffic);
  c.check("server_handshake_traffic_secret", s_hs.view(), kServerHsTraffic);
  const auto s_hs_keys = keysched::traffic_keys(H, A, s_hs.view());
  c.check("server handshake write key", s_hs_keys.key.view(), kServerHsKey);
  c.check("server handshake write IV", s_hs_keys.iv.view(), kServerHsIv);

  // The server's encrypted flight: EncryptedExtensions, Certificate, CertificateVerify,
  // Finished. The transcript for Finished runs up to CertificateVerify.
  const Bytes flight = unhex(kServerFlight);
  size_t off = 0;
  Bytes server_finished_msg;
  while (off + 4 <= flight.size()) {
    const size_t len = (size_t{flight[off + 1]} << 16) | (size_t{flight[off + 2]} << 8) | flight[off + 3];
    const ByteView msg = ByteView(flight).subspan(off, 4 + len);
    if (msg[0] == 20) {
      const auto v = keysched::finished_verify_data(H, s_hs.view(), t.hash().view());
      c.check("server Finished verify_data", v.view(), kServerFinished);
      server_finished_msg.assign(msg.begin(), msg.end());
    }
    t.add(msg);
    off += 4 + len;
  }
  record::Protection s_hs_w;
  if (!install_tls13(s_hs_w, s_hs.view())) return 1;
  Buffer out;
  if (!s_hs_w.seal(ContentType::handshake, flight, 0, out)) return 1;
  c.check("server encrypted flight record", out.view(), kServerFlightRecord);

  auto master = std::move(hs).into_master();
  c.check("master secret", master.secret(), kMasterSecret);
  const auto th = t.hash();
  const auto c_ap = master.client_application_traffic_secret_0(th.view());
  const auto s_ap = master.server_application_traffic_secret_0(th.view());
  c.check("client_application_traffic_secret_0", c_ap.view(), kClientApTraffic);
  c.check("server_application_traffic_secret_0", s_ap.view(), kServerApTraffic);
  c.check("exporter_master_secret", master.exporter_master_secret(th.view()).view(), kExporterMaster);
  const auto s_ap_keys = keysched::traffic_keys(H, A, s_ap.view());
  c.check("server application write key", s_ap_keys.key.view(), kServerApKey);
  c.check("server application write IV", s_ap_keys.iv.view(), kServerApIv);

  const auto cfin = keysched::finished_verify_data(H, c_hs.view(), th.view());
  c.check("client Finished verify_data", cfin.view(), kClientFinished);
  Bytes cfin_msg = {20, 0, 0, static_cast<uint8_t>(cfin.len)};
  cfin_msg.insert(cfin_msg.end(), cfin.view().begin(), cfin.view().end());
  record::Protection c_hs_w;
  if (!install_tls13(c_hs_w, c_hs.view())) return 1;
  Buffer out2;
  if (!c_hs_w.seal(ContentType::handshake, cfin_msg, 0, out2)) return 1;
  c.check("client Finished record", out2.view(), kClientFinishedRecord);
  t.add(cfin_msg);
  c.check("resumption_master_secret", master.resumption_master_secret(t.hash().view()).view(), kResumptionMaster);

  record::Protection c_ap_w, s_ap_r;
  if (!install_tls13(c_ap_w, c_ap.view()) || !install_tls13(s_ap_r, s_ap.view())) return 1;
  Buffer out3;
  if (!c_ap_w.seal(ContentType::application_data, unhex(kClientAppData), 0, out3)) return 1;
  c.check("client application data record", out3.view(), kClientAppRecord);
  // The server's data record follows its NewSessionTicket: sequence number 1.
  record::Deframer d;
  d.feed(unhex(kServerAppRecord));
  auto rec = d.next();
  s_ap_r.set_sequence(1);
  if (rec && *rec) {
    auto opened = s_ap_r.open(**rec);
    if (opened) c.check("server application data, decrypted", opened->plaintext, kClientAppData);
    else { std::printf("  FAIL  server application data record did not decrypt: %s\n", opened.error().to_string().c_str()); c.bad++; }
  }

  std::printf("\n%d values reproduced, %d mismatched\n", c.ok, c.bad);
  return c.bad == 0 ? 0 : 1;
}


}  // namespace
}  // namespace tlspp::cli
