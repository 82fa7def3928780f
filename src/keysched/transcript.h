// The handshake transcript hash (RFC 8446 §4.4.1).
//
// A client sends its ClientHello before it knows which hash the suite will use, so messages
// are buffered until set_hash() and hashed from then on; the buffer is released at once.
// Snapshots are a copy of the hash state (a memcpy; see crypto::HashCtx).
#pragma once

#include <optional>

#include "crypto/hash.h"
#include "tlspp/types.h"

namespace tlspp::keysched {

class Transcript {
 public:
  Transcript() = default;
  explicit Transcript(crypto::HashAlg alg) : ctx_(alg) {}

  // Chooses the hash; buffered messages are hashed now. Calling it again with the same
  // algorithm is a no-op; it must not be called with a different one.
  void set_hash(crypto::HashAlg alg);
  [[nodiscard]] bool has_hash() const { return ctx_.has_value(); }
  [[nodiscard]] crypto::HashAlg alg() const { return ctx_->alg(); }

  // Appends a whole handshake message (4-byte header and body).
  void add(ByteView message);
  // Transcript-Hash of everything added. Requires set_hash().
  [[nodiscard]] crypto::Digest hash() const;
  // Transcript-Hash of everything added followed by `extra`, without adding it (for the
  // PSK binder's truncated ClientHello, RFC 8446 §4.2.11.2). Requires set_hash().
  [[nodiscard]] crypto::Digest hash_with(ByteView extra) const;

  // RFC 8446 §4.4.1: on HelloRetryRequest, ClientHello1 is replaced by
  // message_hash(254) 00 00 Hash.length Hash(ClientHello1). Requires set_hash() and that
  // only ClientHello1 has been added.
  void replace_with_message_hash();

 private:
  std::optional<crypto::HashCtx> ctx_;
  Bytes pending_;
};

}  // namespace tlspp::keysched
