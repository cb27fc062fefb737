// HTTPS on loopback in front of the service under test, for did:web: its
// resolvers fetch https:// only. Usage: node tls-proxy.mjs KEY_FILE CERT_FILE
// [MOUNT] (a certificate the test made for localhost). Prints {"port": N}
// once it listens, then forwards every request to the base URL of the last
// line of its standard input (http://127.0.0.1:PORT; a new line, a new
// service); exits when that closes. With MOUNT (/certs), it stands for a
// proxy that serves the service under that path: /certs/x goes to the
// service as /x, any other path (the host's /.well-known/…) as it is.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import readline from 'node:readline';

const [key, cert] = process.argv.slice(2, 4).map(file => fs.readFileSync(file));
const mount = process.argv[4];
let upstream;
const server = https.createServer({key, cert}, (request, response) => {
  const path = mount && request.url.startsWith(`${mount}/`) ? request.url.slice(mount.length) : request.url;
  const forwarded = http.request(upstream + path, {method: request.method, headers: request.headers},
    answer => {
      response.writeHead(answer.statusCode, answer.headers);
      answer.pipe(response);
    });
  forwarded.on('error', error => {
    response.writeHead(502);
    response.end(String(error));
  });
  request.pipe(forwarded);
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({port: server.address().port})));
const input = readline.createInterface({input: process.stdin});
input.on('line', line => {
  upstream = line.trim();
});
input.on('close', () => process.exit(0));
