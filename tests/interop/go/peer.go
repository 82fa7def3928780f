// Go crypto/tls peer for the tlspp interop suite (standard library only, Go 1.19).
//
//	peer server -listen 127.0.0.1:0 -cert C -key K [-curves LIST] [-alpn LIST]
//	    [-max-version 1.2|1.3] [-ciphers LIST]
//	    Prints "listening on ADDR" to stderr, then serves until killed: for each
//	    connection it completes the handshake, reads one line, answers with key: value
//	    lines describing the connection (and the line it read), and closes with
//	    close_notify.
//	peer client -connect ADDR -ca CA [-servername NAME] [-curves LIST] [-alpn LIST]
//	    [-max-version 1.2|1.3] [-ciphers LIST] [-request STRING]
//	    Verifies the server's chain against CA and the name, prints the same key: value
//	    lines, sends the request ("\r" and "\n" escapes are decoded), then prints "---"
//	    and everything the server sends until it closes. Exits 1 on any failure.
//
// -max-version 1.2 makes the peer speak TLS 1.2 only (MinVersion and MaxVersion); the
// default is TLS 1.3 only. -ciphers limits the TLS 1.2 suites (IANA names; crypto/tls has
// no way to limit the TLS 1.3 ones). A server keeps crypto/tls's default session tickets,
// so a TLS 1.2 client can resume ("resumed: yes").
//
// Both sides report hello_retry_request: yes|no by looking at the first plaintext record
// the server sent: RFC 8446 §4.1.3 marks a HelloRetryRequest by a ServerHello whose random
// is SHA-256("HelloRetryRequest"). crypto/tls does not expose that, so the peer watches
// the bytes on the socket.
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// RFC 8446 §4.1.3: the random of a HelloRetryRequest.
var hrrRandom = []byte{
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
}

// tapConn keeps the first bytes the server sent (read by a client, written by a server).
type tapConn struct {
	net.Conn
	serverSide bool
	mu         sync.Mutex
	first      []byte
}

const tapLen = 5 + 4 + 2 + 32 // record header, handshake header, legacy_version, random

func (t *tapConn) keep(b []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := tapLen - len(t.first); n > 0 {
		if n > len(b) {
			n = len(b)
		}
		t.first = append(t.first, b[:n]...)
	}
}

func (t *tapConn) Read(b []byte) (int, error) {
	n, err := t.Conn.Read(b)
	if !t.serverSide {
		t.keep(b[:n])
	}
	return n, err
}

func (t *tapConn) Write(b []byte) (int, error) {
	if t.serverSide {
		t.keep(b)
	}
	return t.Conn.Write(b)
}

// helloRetried: the first server record was a handshake record holding a ServerHello
// (type 2) with the HelloRetryRequest random.
func (t *tapConn) helloRetried() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.first
	return len(f) == tapLen && f[0] == 22 && f[5] == 2 && bytes.Equal(f[11:43], hrrRandom)
}

func versionName(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	}
	return fmt.Sprintf("0x%04x", v)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func parseCurves(list string) ([]tls.CurveID, error) {
	if list == "" {
		return nil, nil
	}
	var out []tls.CurveID
	for _, name := range strings.Split(list, ",") {
		switch name {
		case "x25519":
			out = append(out, tls.X25519)
		case "secp256r1":
			out = append(out, tls.CurveP256)
		case "secp384r1":
			out = append(out, tls.CurveP384)
		case "secp521r1":
			out = append(out, tls.CurveP521)
		default:
			return nil, fmt.Errorf("unknown group %q", name)
		}
	}
	return out, nil
}

func splitList(list string) []string {
	if list == "" {
		return nil
	}
	return strings.Split(list, ",")
}

// versions turns -max-version into the MinVersion and MaxVersion of a tls.Config.
func versions(max string) (uint16, uint16, error) {
	switch max {
	case "1.3":
		return tls.VersionTLS13, tls.VersionTLS13, nil
	case "1.2":
		return tls.VersionTLS12, tls.VersionTLS12, nil
	}
	return 0, 0, fmt.Errorf("-max-version takes 1.2 or 1.3, not %q", max)
}

// parseSuites turns IANA names into crypto/tls suite IDs (nil: the defaults).
func parseSuites(list string) ([]uint16, error) {
	if list == "" {
		return nil, nil
	}
	known := map[string]uint16{}
	for _, cs := range tls.CipherSuites() {
		known[cs.Name] = cs.ID
	}
	var out []uint16
	for _, name := range strings.Split(list, ",") {
		id, ok := known[name]
		if !ok {
			return nil, fmt.Errorf("unknown cipher suite %q", name)
		}
		out = append(out, id)
	}
	return out, nil
}

func describe(w io.Writer, st tls.ConnectionState, hrr bool) {
	fmt.Fprintf(w, "protocol: %s\n", versionName(st.Version))
	fmt.Fprintf(w, "cipher: %s\n", tls.CipherSuiteName(st.CipherSuite))
	fmt.Fprintf(w, "hello_retry_request: %s\n", yesNo(hrr))
	fmt.Fprintf(w, "resumed: %s\n", yesNo(st.DidResume))
	fmt.Fprintf(w, "alpn: %s\n", st.NegotiatedProtocol)
	fmt.Fprintf(w, "sni: %s\n", st.ServerName)
	if len(st.PeerCertificates) > 0 {
		fmt.Fprintf(w, "peer_certificate: %s\n", st.PeerCertificates[0].Subject)
	}
}

func fatal(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "go-peer: "+format+"\n", args...)
	os.Exit(1)
}

func server(args []string) {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address")
	certFile := fs.String("cert", "", "certificate chain PEM")
	keyFile := fs.String("key", "", "private key PEM")
	curves := fs.String("curves", "", "groups, comma-separated")
	alpn := fs.String("alpn", "", "ALPN protocols, comma-separated")
	maxVersion := fs.String("max-version", "1.3", "1.3 (TLS 1.3 only) or 1.2 (TLS 1.2 only)")
	ciphers := fs.String("ciphers", "", "TLS 1.2 cipher suites, IANA names, comma-separated")
	_ = fs.Parse(args)
	minV, maxV, err := versions(*maxVersion)
	if err != nil {
		fatal("%v", err)
	}
	suites, err := parseSuites(*ciphers)
	if err != nil {
		fatal("%v", err)
	}

	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		fatal("loading %s/%s: %v", *certFile, *keyFile, err)
	}
	prefs, err := parseCurves(*curves)
	if err != nil {
		fatal("%v", err)
	}
	config := &tls.Config{
		Certificates:     []tls.Certificate{cert},
		MinVersion:       minV,
		MaxVersion:       maxV,
		CipherSuites:     suites,
		CurvePreferences: prefs,
		NextProtos:       splitList(*alpn),
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fatal("listen: %v", err)
	}
	fmt.Fprintf(os.Stderr, "listening on %s\n", ln.Addr())
	for {
		raw, err := ln.Accept()
		if err != nil {
			fatal("accept: %v", err)
		}
		go serve(raw, config)
	}
}

func serve(raw net.Conn, config *tls.Config) {
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(10 * time.Second))
	tap := &tapConn{Conn: raw, serverSide: true}
	conn := tls.Server(tap, config)
	if err := conn.Handshake(); err != nil {
		fmt.Fprintf(os.Stderr, "handshake with %s failed: %v\n", raw.RemoteAddr(), err)
		return
	}
	line, err := bufio.NewReaderSize(conn, 4096).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		fmt.Fprintf(os.Stderr, "reading from %s: %v\n", raw.RemoteAddr(), err)
		return
	}
	var out bytes.Buffer
	describe(&out, conn.ConnectionState(), tap.helloRetried())
	fmt.Fprintf(&out, "request: %s\n", strings.TrimRight(line, "\r\n"))
	os.Stderr.Write(out.Bytes())
	if _, err := conn.Write(out.Bytes()); err != nil {
		fmt.Fprintf(os.Stderr, "writing to %s: %v\n", raw.RemoteAddr(), err)
		return
	}
	if err := conn.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "closing %s: %v\n", raw.RemoteAddr(), err)
	}
}

func client(args []string) {
	fs := flag.NewFlagSet("client", flag.ExitOnError)
	addr := fs.String("connect", "", "host:port")
	serverName := fs.String("servername", "localhost", "name to verify (and send as SNI)")
	caFile := fs.String("ca", "", "trusted root PEM")
	curves := fs.String("curves", "", "groups, comma-separated")
	alpn := fs.String("alpn", "", "ALPN protocols, comma-separated")
	request := fs.String("request", "", `data to send; \r and \n are decoded`)
	maxVersion := fs.String("max-version", "1.3", "1.3 (TLS 1.3 only) or 1.2 (TLS 1.2 only)")
	ciphers := fs.String("ciphers", "", "TLS 1.2 cipher suites, IANA names, comma-separated")
	_ = fs.Parse(args)
	minV, maxV, err := versions(*maxVersion)
	if err != nil {
		fatal("%v", err)
	}
	suites, err := parseSuites(*ciphers)
	if err != nil {
		fatal("%v", err)
	}

	caPEM, err := os.ReadFile(*caFile)
	if err != nil {
		fatal("%v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		fatal("no certificate in %s", *caFile)
	}
	prefs, err := parseCurves(*curves)
	if err != nil {
		fatal("%v", err)
	}
	config := &tls.Config{
		RootCAs:          roots,
		ServerName:       *serverName,
		MinVersion:       minV,
		MaxVersion:       maxV,
		CipherSuites:     suites,
		CurvePreferences: prefs,
		NextProtos:       splitList(*alpn),
	}
	raw, err := net.DialTimeout("tcp", *addr, 10*time.Second)
	if err != nil {
		fatal("connect: %v", err)
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(10 * time.Second))
	tap := &tapConn{Conn: raw}
	conn := tls.Client(tap, config)
	if err := conn.Handshake(); err != nil {
		fatal("handshake: %v", err)
	}
	st := conn.ConnectionState()
	describe(os.Stdout, st, tap.helloRetried())
	fmt.Printf("verified: %s\n", yesNo(len(st.VerifiedChains) > 0))
	fmt.Println("---")
	req := strings.NewReplacer(`\r`, "\r", `\n`, "\n").Replace(*request)
	if _, err := io.WriteString(conn, req); err != nil {
		fatal("write: %v", err)
	}
	// crypto/tls reports close_notify as io.EOF; a TCP close without it at a record
	// boundary is also io.EOF (Go accepts it), anything else is an error.
	if _, err := io.Copy(os.Stdout, conn); err != nil {
		fatal("read: %v", err)
	}
}

func main() {
	if len(os.Args) < 2 {
		fatal("usage: peer server|client [flags]")
	}
	switch os.Args[1] {
	case "server":
		server(os.Args[2:])
	case "client":
		client(os.Args[2:])
	default:
		fatal("unknown mode %q", os.Args[1])
	}
}
