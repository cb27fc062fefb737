//! RDF Dataset Canonicalization (W3C RDFC-1.0) of a JSON-LD document: the
//! document to RDF with the bundled contexts only (oxjsonld), its blank
//! nodes named canonically with SHA-256 (oxrdf's `rdfc-10`), each quad as a
//! canonical N-Quads line, the lines sorted by code point.

use oxjsonld::{JsonLdParser, JsonLdRemoteDocument};
use oxrdf::dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
use oxrdf::Dataset;
use serde_json::Value;

use crate::contexts::Contexts;

/// Why a document has no canonical form here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not JSON-LD this issuer can canonicalize: {0}")]
pub struct CanonicalizationError(String);

/// The canonical N-Quads of `document`: through the template of its shape
/// when there is one ([`crate::rdf_template`]), else by JSON-LD itself.
pub fn canonical_nquads(document: &Value, contexts: &Contexts) -> Result<String, CanonicalizationError> {
    let general = |document: &Value| dataset_of(document, contexts);
    if let Some(canonical) = contexts.templates().canonical(document, general) {
        return Ok(canonical);
    }
    Ok(canonical_form(general(document)?))
}

/// `document`'s RDF by the JSON-LD path, its contexts loaded from `contexts` only.
pub(crate) fn dataset_of(document: &Value, contexts: &Contexts) -> Result<Dataset, CanonicalizationError> {
    let text = serde_json::to_vec(document).expect("a JSON value always serialises");
    let contexts = contexts.clone();
    let parser = JsonLdParser::new().for_slice(&text).with_load_document_callback(move |url, _options| {
        let document = contexts.get(url).ok_or_else(|| format!("{url} is not a context this issuer knows"))?;
        Ok(JsonLdRemoteDocument { document: document.to_vec(), document_url: url.to_owned() })
    });
    let mut dataset = Dataset::new();
    for quad in parser {
        dataset.insert(&quad.map_err(|error| CanonicalizationError(error.to_string()))?);
    }
    Ok(dataset)
}

/// RDFC-1.0 of `dataset`, as sorted canonical N-Quads lines.
pub(crate) fn canonical_form(mut dataset: Dataset) -> String {
    dataset.canonicalize(CanonicalizationAlgorithm::Rdfc10 { hash_algorithm: CanonicalizationHashAlgorithm::Sha256 });
    let mut lines: Vec<String> = dataset.iter().map(|quad| format!("{quad} .\n")).collect();
    lines.sort_unstable();
    lines.concat()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::contexts::CREDENTIALS_V2;

    #[test]
    fn a_context_not_bundled_is_refused() {
        let document = json!({"@context": [CREDENTIALS_V2, "https://example.org/other"], "name": "x"});
        let error = canonical_nquads(&document, &Contexts::bundled()).unwrap_err();
        assert!(error.to_string().contains("https://example.org/other"), "{error}");
    }

    #[test]
    fn blank_nodes_get_canonical_names_and_lines_are_sorted() {
        let document = json!({
            "@context": [CREDENTIALS_V2],
            "type": ["VerifiableCredential"],
            "credentialSubject": {"name": "b\tc\u{7f}"},
            "name": "a",
        });
        let canonical = canonical_nquads(&document, &Contexts::bundled()).unwrap();
        let lines: Vec<&str> = canonical.lines().collect();
        assert!(lines.windows(2).all(|pair| pair[0] <= pair[1]), "{canonical}");
        assert!(canonical.contains("_:c14n0") && canonical.contains("_:c14n1"), "{canonical}");
        assert!(canonical.contains(r#""b\tc\u007F""#), "RDFC-1.0's escapes: {canonical}");
    }
}
