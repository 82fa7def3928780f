/// @file
/// @brief Symbol visibility of the public API.
///
/// tlspp is compiled with hidden visibility (-fvisibility=hidden): of the shared library
/// libtlspp.so only what these headers mark TLSPP_API is exported, so that the internals
/// can change without breaking programs linked against it.
#pragma once

/// Marks a class or function of the public API as exported from the shared library.
#define TLSPP_API __attribute__((visibility("default")))
/// Marks a declaration of a public header that is an implementation detail, never exported:
/// the nested Impl and Core types that the library's internals define, and private helpers.
#define TLSPP_LOCAL __attribute__((visibility("hidden")))
