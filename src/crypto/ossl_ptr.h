// std::unique_ptr for OpenSSL objects, for the crypto/ code that builds or inspects them
// with OpenSSL's own API: OsslPtr<X509, X509_free>.
#pragma once

#include <memory>

namespace tlspp::crypto {

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};

template <class T, void (*F)(T*)>
using OsslPtr = std::unique_ptr<T, Deleter<T, F>>;

}  // namespace tlspp::crypto
