#include "keysched/transcript.h"

#include <cassert>

namespace tlspp::keysched {

void Transcript::set_hash(crypto::HashAlg alg) {
  if (ctx_) {
    assert(ctx_->alg() == alg);
    return;
  }
  ctx_.emplace(alg);
  ctx_->update(pending_);
  Bytes().swap(pending_);
}

void Transcript::add(ByteView message) {
  if (ctx_)
    ctx_->update(message);
  else
    pending_.insert(pending_.end(), message.begin(), message.end());
}

crypto::Digest Transcript::hash() const { return ctx_->peek(); }

crypto::Digest Transcript::hash_with(ByteView extra) const {
  crypto::HashCtx copy = *ctx_;
  copy.update(extra);
  return copy.peek();
}

void Transcript::replace_with_message_hash() {
  const crypto::Digest ch1 = ctx_->peek();
  const uint8_t header[4] = {254, 0, 0, ch1.len};
  ctx_.emplace(ctx_->alg());
  ctx_->update(header);
  ctx_->update(ch1.view());
}

}  // namespace tlspp::keysched
