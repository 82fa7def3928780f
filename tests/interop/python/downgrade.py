"""A downgrade attacker for the tlspp interop suite (standard library only).

    downgrade.py --upstream HOST:PORT

Listens on 127.0.0.1 (a free port), prints "listening on 127.0.0.1:PORT" to stderr, and
relays one connection to the upstream server. On the way it rewrites the client's first
record, the ClientHello: every TLS 1.3 entry (0x0304) of its supported_versions extension
becomes a GREASE value (0x7a7a, RFC 8701), which servers ignore. Lengths are unchanged, so
nothing else needs fixing. A TLS 1.3 server then believes the client speaks TLS 1.2 at most
and answers with TLS 1.2, ending its ServerHello.random with the downgrade sentinel
DOWNGRD\\x01 (RFC 8446 4.1.3). A client that did offer TLS 1.3 must see the sentinel and
abort with illegal_parameter before anything else happens (the altered ClientHello would
also break the Finished messages, but only later).

Prints what it rewrote ("supported_versions: removed TLS 1.3") or why it could not, then
relays both ways until either side closes.
"""
import argparse
import socket
import sys
import threading

GREASE = b"\x7a\x7a"


def recv_exact(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise OSError("the client closed before sending a whole record")
        out += chunk
    return out


def strip_tls13(record):
    """The record with TLS 1.3 hidden in supported_versions, and a sentence saying so."""
    body = bytearray(record)
    at = 5  # record header
    if body[0] != 22 or body[at] != 1:
        return bytes(body), "the first record is not a ClientHello"
    at += 4 + 2 + 32  # handshake header, legacy_version, random
    at += 1 + body[at]  # legacy_session_id
    at += 2 + int.from_bytes(body[at:at + 2], "big")  # cipher_suites
    at += 1 + body[at]  # legacy_compression_methods
    end = at + 2 + int.from_bytes(body[at:at + 2], "big")
    at += 2
    while at + 4 <= end:
        ext_type = int.from_bytes(body[at:at + 2], "big")
        ext_len = int.from_bytes(body[at + 2:at + 4], "big")
        data = at + 4
        if ext_type == 43:  # supported_versions: a 1-byte length, then 2-byte versions
            hidden = 0
            for v in range(data + 1, data + 1 + body[data], 2):
                if body[v:v + 2] == b"\x03\x04":
                    body[v:v + 2] = GREASE
                    hidden += 1
            if hidden:
                return bytes(body), "supported_versions: removed TLS 1.3"
            return bytes(body), "supported_versions holds no TLS 1.3"
        at = data + ext_len
    return bytes(body), "the ClientHello has no supported_versions"


def pump(src, dst):
    try:
        while True:
            data = src.recv(16384)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (dst, src):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)
    args = p.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    with socket.create_server(("127.0.0.1", 0)) as ln:
        print(f"listening on 127.0.0.1:{ln.getsockname()[1]}", file=sys.stderr, flush=True)
        client, _ = ln.accept()
    client.settimeout(10)
    with client, socket.create_connection((host, int(port)), timeout=10) as server:
        header = recv_exact(client, 5)
        record = header + recv_exact(client, int.from_bytes(header[3:5], "big"))
        record, what = strip_tls13(record)
        print(what, file=sys.stderr, flush=True)
        server.sendall(record)
        back = threading.Thread(target=pump, args=(server, client), daemon=True)
        back.start()
        pump(client, server)
        back.join(5)


if __name__ == "__main__":
    try:
        main()
    except OSError as e:
        print(f"downgrade: {e}", file=sys.stderr)
        sys.exit(1)
