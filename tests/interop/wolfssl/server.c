/* wolfSSL peer for the tlspp interop suite: a simple TLS 1.3 server (Debian's libwolfssl-dev).
 *
 *   server CERT KEY [COUNT]
 *     Listens on 127.0.0.1 (a free port), prints "listening on 127.0.0.1:PORT" to stderr, then
 *     serves COUNT connections (default 1), one after the other, the way wolfSSL's example
 *     server does: for each it completes the handshake, makes ONE wolfSSL_read (one record),
 *     answers with a short HTTP response naming the version, the cipher and the request's
 *     first line, sends close_notify and closes the socket without waiting for the client's.
 *     Anything the client sent after that record is still unread, so the kernel resets the
 *     connection: a client that sent close_notify before reading the answer can lose it.
 *     A failed connection is reported on stderr and the next one served.
 *
 * Built by run.sh: cc -o server server.c -lwolfssl (wolfSSL 5.5, TLS 1.3 only)
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int die(const char* what) {
  fprintf(stderr, "wolfssl-server: %s\n", what);
  return 1;
}

/* Serves one connection; 0 (after a line on stderr) when it failed. */
static int serve(WOLFSSL_CTX* ctx, int fd) {
  struct timeval tv = {10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  WOLFSSL* ssl = wolfSSL_new(ctx);
  int ok = 0;
  char err[80];
  if (!ssl || wolfSSL_set_fd(ssl, fd) != WOLFSSL_SUCCESS) {
    fprintf(stderr, "wolfssl-server: wolfSSL_new failed\n");
  } else if (wolfSSL_accept(ssl) != WOLFSSL_SUCCESS) {
    fprintf(stderr, "wolfssl-server: handshake failed: %s\n",
            wolfSSL_ERR_error_string(wolfSSL_get_error(ssl, 0), err));
  } else {
    char request[4096];
    const int n = wolfSSL_read(ssl, request, sizeof request - 1);
    if (n <= 0) {
      fprintf(stderr, "wolfssl-server: reading the request failed: %s\n",
              wolfSSL_ERR_error_string(wolfSSL_get_error(ssl, n), err));
    } else {
      request[n] = '\0';
      request[strcspn(request, "\r\n")] = '\0';
      char body[512];
      snprintf(body, sizeof body, "wolfssl server: %s %s\nrequest: %.200s\n", wolfSSL_get_version(ssl),
               wolfSSL_get_cipher_name(ssl), request);
      fputs(body, stderr);
      char response[1024];
      const int m = snprintf(response, sizeof response, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n%s", body);
      if (wolfSSL_write(ssl, response, m) != m) {
        fprintf(stderr, "wolfssl-server: writing the response failed\n");
      } else {
        wolfSSL_shutdown(ssl); /* sends close_notify; does not wait for the client's */
        ok = 1;
      }
    }
  }
  close(fd);
  if (ssl) wolfSSL_free(ssl);
  return ok;
}

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) return die("usage: server CERT KEY [COUNT]");
  wolfSSL_Init();
  WOLFSSL_CTX* ctx = wolfSSL_CTX_new(wolfTLSv1_3_server_method());
  if (!ctx) return die("wolfSSL_CTX_new failed");
  if (wolfSSL_CTX_use_certificate_chain_file(ctx, argv[1]) != WOLFSSL_SUCCESS) return die("loading the certificate failed");
  if (wolfSSL_CTX_use_PrivateKey_file(ctx, argv[2], WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS)
    return die("loading the key failed");

  int ln = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (ln < 0 || bind(ln, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(ln, 1) != 0 ||
      getsockname(ln, (struct sockaddr*)&addr, &len) != 0)
    return die("cannot listen on 127.0.0.1");
  fprintf(stderr, "listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
  fflush(stderr);

  const int count = argc == 4 ? atoi(argv[3]) : 1;
  for (int i = 0; i < count; ++i) {
    const int fd = accept(ln, NULL, NULL);
    if (fd < 0) return die("accept failed");
    serve(ctx, fd);
  }
  wolfSSL_CTX_free(ctx);
  close(ln);
  return 0;
}
