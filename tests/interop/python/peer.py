"""Python `ssl` peer for the tlspp interop suite (standard library only; run it with
Debian's /usr/bin/python3, whose ssl module is OpenSSL 3.0).

    peer.py server --cert C --key K [--count N] [--max-version 1.2|1.3] [--ciphers LIST]
        Listens on 127.0.0.1 (a free port), prints "listening on 127.0.0.1:PORT" to
        stderr, then serves N connections (default 1), one after the other, the way a
        simple server does: for each it completes the
        handshake, reads ONE record (one recv), answers with a short HTTP response naming
        the connection's version and cipher and the request's first line, sends its
        close_notify and closes the socket at once, without waiting for the client's.
        Whatever the client sent after that record is still unread, so the kernel resets
        the connection: a client that sent close_notify before reading the answer can
        lose it.
    peer.py client --connect HOST:PORT --ca CA [--servername NAME] [--request STRING]
            [--max-version 1.2|1.3] [--ciphers LIST]
        Verifies the server's chain against CA and the name. Prints
        "protocol: ...", "cipher: ..." and "---", sends the request ("\\r" and "\\n"
        escapes are decoded), then prints everything the server sends until it closes.
        Exits 1 on any failure.

Both speak TLS 1.3 only by default; --max-version 1.2 makes them speak TLS 1.2 only
(minimum_version and maximum_version), and --ciphers limits the TLS 1.2 suites (OpenSSL
names, SSLContext.set_ciphers).
"""
import argparse
import socket
import ssl
import sys


def recv_exact(raw, n):
    out = b""
    while len(out) < n:
        chunk = raw.recv(n - len(out))
        if not chunk:
            raise OSError("client closed the connection")
        out += chunk
    return out


def recv_record(raw):
    """One TLS record from the socket and nothing more: what follows stays in the kernel."""
    header = recv_exact(raw, 5)
    return header + recv_exact(raw, int.from_bytes(header[3:5], "big"))


def serve_one(ctx, raw):
    # The TLS engine on memory BIOs, fed one record at a time, so that the server reads
    # exactly as much as a simple server does and leaves the rest unread.
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    conn = ctx.wrap_bio(incoming, outgoing, server_side=True)
    while True:
        try:
            conn.do_handshake()
            break
        except ssl.SSLWantReadError:
            raw.sendall(outgoing.read())
            incoming.write(recv_record(raw))
    raw.sendall(outgoing.read())
    while True:
        try:
            request = conn.read(16384)
            break
        except ssl.SSLWantReadError:
            incoming.write(recv_record(raw))
    first = request.split(b"\r\n", 1)[0].split(b"\n", 1)[0].decode("ascii", "replace")
    body = f"python server: {conn.version()} {conn.cipher()[0]}\nrequest: {first}\n"
    print(body, end="", file=sys.stderr, flush=True)
    conn.write(f"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n{body}".encode())
    # close_notify, without waiting for the client's (unwrap wants to read it next).
    try:
        conn.unwrap()
    except ssl.SSLWantReadError:
        pass
    raw.sendall(outgoing.read())


def limit(ctx, args):
    version = ssl.TLSVersion.TLSv1_2 if args.max_version == "1.2" else ssl.TLSVersion.TLSv1_3
    ctx.minimum_version = version
    ctx.maximum_version = version
    if args.ciphers:
        ctx.set_ciphers(args.ciphers)


def server(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    limit(ctx, args)
    ctx.load_cert_chain(args.cert, args.key)
    with socket.create_server(("127.0.0.1", 0)) as ln:
        print(f"listening on 127.0.0.1:{ln.getsockname()[1]}", file=sys.stderr, flush=True)
        for _ in range(args.count):
            raw, _ = ln.accept()
            raw.settimeout(10)
            try:
                serve_one(ctx, raw)
            except (OSError, ssl.SSLError) as e:  # report it, serve the next connection
                print(f"python-peer: {e}", file=sys.stderr, flush=True)
            raw.close()


def client(args):
    host, port = args.connect.rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=args.ca)
    limit(ctx, args)
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=args.servername) as conn:
            print(f"protocol: {conn.version()}")
            print(f"cipher: {conn.cipher()[0]}")
            print("---", flush=True)
            conn.sendall(args.request.replace("\\r", "\r").replace("\\n", "\n").encode())
            while True:
                data = conn.recv(16384)  # b"" at close_notify (or a bare TCP close)
                if not data:
                    break
                sys.stdout.buffer.write(data)
                sys.stdout.flush()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("server")
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--count", type=int, default=1)
    c = sub.add_parser("client")
    c.add_argument("--connect", required=True)
    c.add_argument("--ca", required=True)
    c.add_argument("--servername", default="localhost")
    c.add_argument("--request", default="")
    for sp in (s, c):
        sp.add_argument("--max-version", choices=("1.2", "1.3"), default="1.3")
        sp.add_argument("--ciphers", default="")
    args = p.parse_args()
    try:
        server(args) if args.mode == "server" else client(args)
    except (OSError, ssl.SSLError) as e:
        print(f"python-peer: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
