// Node.js `tls` client for the tlspp interop suite (standard library only; Node's own
// OpenSSL 3).
//
//   node peer.js client CONNECT_HOST:PORT CA SERVERNAME LINE
//     TLS 1.3 only; verifies the server's chain against CA and SERVERNAME. Prints
//     "protocol: ...", "cipher: ...", "authorized: true|false" and "---", writes LINE
//     and a newline, and once a whole line has come back ends its side (close_notify,
//     then FIN); then prints everything the server sent and exits 0 when the server
//     closed cleanly. Exits 1 on any error or after 10 s.
'use strict';
const fs = require('fs');
const tls = require('tls');

const [mode, addr, ca, servername, line] = process.argv.slice(2);
if (mode !== 'client' || !line) {
  console.error('usage: node peer.js client HOST:PORT CA SERVERNAME LINE');
  process.exit(2);
}
const i = addr.lastIndexOf(':');
const timer = setTimeout(() => {
  console.error('node-peer: timed out');
  process.exit(1);
}, 10000);
let received = '';
const socket = tls.connect(
    {host: addr.slice(0, i), port: Number(addr.slice(i + 1)), ca: fs.readFileSync(ca), servername,
     minVersion: 'TLSv1.3'},
    () => {
      console.log(`protocol: ${socket.getProtocol()}`);
      console.log(`cipher: ${socket.getCipher().standardName}`);
      console.log(`authorized: ${socket.authorized}`);
      console.log('---');
      socket.write(line + '\n');
    });
socket.setEncoding('utf8');
socket.on('data', (d) => {
  received += d;
  if (received.includes('\n')) socket.end();
});
socket.on('error', (e) => {
  console.error(`node-peer: ${e.message}`);
  process.exit(1);
});
socket.on('close', (hadError) => {
  clearTimeout(timer);
  process.stdout.write(received);
  process.exit(hadError ? 1 : 0);
});
