// Interim: the TLS 1.2 state machines are being written (issue 9). Until they land, a peer
// that picks TLS 1.2 gets protocol_version and this sentence.
#include "handshake/client_hello.h"

namespace tlspp::handshake {
namespace {
class Tls12Unavailable final : public Handshake {
 public:
  Status start(Io&) override { return {}; }
  Status handle(Io&, ByteView) override {
    return fail(Error{ErrorKind::peer_incompatible, AlertDescription::protocol_version,
                      "the peer chose TLS 1.2, which this build does not speak yet"});
  }
  bool done() const override { return false; }
  bool ccs_allowed() const override { return false; }
  std::string_view state_name() const override { return "Tls12Unavailable"; }
};
}  // namespace

std::unique_ptr<Handshake> make_tls12_client(ClientOffer) { return std::make_unique<Tls12Unavailable>(); }
}  // namespace tlspp::handshake
