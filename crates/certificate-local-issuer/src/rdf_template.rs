//! The RDF of a document shape, made once and filled in per document: the
//! costly part of turning JSON-LD into RDF (processing the contexts, which
//! oxjsonld does again for each document) is paid once per shape, and each
//! document of that shape costs a walk of its JSON and the RDFC-1.0 step.
//!
//! A shape is the document with each string that is data (not under a key
//! of [`VOCABULARY_KEYS`]) replaced by a placeholder IRI. Its RDF comes from
//! the general JSON-LD path ([`crate::rdfc`]); filling it in puts each value
//! where its placeholder stands: as the literal's text (its datatype and
//! language kept), or as an IRI. A value that JSON-LD could read otherwise
//! than as itself (in an IRI's place, anything but an absolute IRI of a
//! scheme the bundled contexts define no term for) makes the document fall
//! back to the general path, so the template answers what that path would or
//! nothing. A property test holds the two paths equal for any values
//! (tests below).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use oxrdf::{Dataset, GraphName, Literal, NamedNode, NamedOrBlankNode, Quad, Term};
use serde_json::Value;

/// Keys whose strings are vocabulary (terms JSON-LD maps to IRIs of the
/// contexts), not data: they stay in the shape as they are.
const VOCABULARY_KEYS: [&str; 8] = [
    "@context",
    "type",
    "achievementType",
    "identityType",
    "identifierType",
    "statusPurpose",
    "proofPurpose",
    "cryptosuite",
];

/// The schemes a value may have where an IRI stands: absolute IRIs that no
/// bundled context's term could turn into another IRI.
const IRI_SCHEMES: [&str; 4] = ["urn:", "did:", "https://", "http://"];

const PLACEHOLDER: &str = "urn:x-certificate-template:";

/// How many shapes are kept: an issuer signs a handful.
const SHAPES: usize = 64;

/// The templates made so far, by shape, shared by every clone.
#[derive(Clone, Default)]
pub(crate) struct Templates {
    by_shape: Arc<Mutex<HashMap<String, Arc<Template>>>>,
}

impl Templates {
    /// The canonical N-Quads of `document` through its shape's template, made
    /// now if it is new (by `general`, the JSON-LD path); `None` when the
    /// template cannot answer for this document.
    pub(crate) fn canonical<E>(
        &self,
        document: &Value,
        general: impl Fn(&Value) -> Result<Dataset, E>,
    ) -> Option<String> {
        let mut values = Vec::new();
        let shape = shape_of(document, &mut values, false);
        let key = shape.to_string();
        let known = self.by_shape.lock().expect("the templates").get(&key).cloned();
        let template = match known {
            Some(template) => template,
            None => {
                let template =
                    Arc::new(Template { quads: general(&shape).ok()?.iter().map(|quad| quad.into_owned()).collect() });
                let mut by_shape = self.by_shape.lock().expect("the templates");
                if by_shape.len() < SHAPES {
                    by_shape.insert(key, template.clone());
                }
                template
            }
        };
        template.filled(&values).map(crate::rdfc::canonical_form)
    }
}

/// The RDF of one shape, its values placeholders.
struct Template {
    quads: Vec<Quad>,
}

impl Template {
    fn filled(&self, values: &[String]) -> Option<Dataset> {
        let mut dataset = Dataset::new();
        for quad in &self.quads {
            let subject = match &quad.subject {
                NamedOrBlankNode::NamedNode(node) => NamedOrBlankNode::NamedNode(iri(node, values)?),
                blank => blank.clone(),
            };
            let object = match &quad.object {
                Term::NamedNode(node) => Term::NamedNode(iri(node, values)?),
                Term::Literal(literal) => Term::Literal(literal_of(literal, values)?),
                other => other.clone(),
            };
            let graph_name = match &quad.graph_name {
                GraphName::NamedNode(node) => GraphName::NamedNode(iri(node, values)?),
                other => other.clone(),
            };
            dataset.insert(&Quad::new(subject, quad.predicate.clone(), object, graph_name));
        }
        Some(dataset)
    }
}

/// The value a placeholder stands for; `text` itself when it is none.
fn value_of<'a>(text: &'a str, values: &'a [String]) -> Option<Option<&'a str>> {
    match text.strip_prefix(PLACEHOLDER) {
        None => Some(None),
        Some(index) => values.get(index.parse::<usize>().ok()?).map(|value| Some(value.as_str())),
    }
}

fn iri(node: &NamedNode, values: &[String]) -> Option<NamedNode> {
    match value_of(node.as_str(), values)? {
        None => Some(node.clone()),
        Some(value) if IRI_SCHEMES.iter().any(|scheme| value.starts_with(scheme)) => NamedNode::new(value).ok(),
        Some(_) => None,
    }
}

fn literal_of(literal: &Literal, values: &[String]) -> Option<Literal> {
    let Some(value) = value_of(literal.value(), values)? else {
        return Some(literal.clone());
    };
    Some(match literal.language() {
        Some(language) => Literal::new_language_tagged_literal(value, language).ok()?,
        None => Literal::new_typed_literal(value, literal.datatype().into_owned()),
    })
}

/// `document` with each data string replaced by a placeholder, the strings
/// pushed to `values` in order.
fn shape_of(document: &Value, values: &mut Vec<String>, vocabulary: bool) -> Value {
    match document {
        Value::String(text) if !vocabulary => {
            values.push(text.clone());
            Value::String(format!("{PLACEHOLDER}{}", values.len() - 1))
        }
        Value::Array(items) => Value::Array(items.iter().map(|item| shape_of(item, values, vocabulary)).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(key, value)| (key.clone(), shape_of(value, values, VOCABULARY_KEYS.contains(&key.as_str()))))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::contexts::{Contexts, CREDENTIALS_V2, OPEN_BADGES_V3};
    use crate::rdfc::{canonical_form, dataset_of, CanonicalizationError};

    /// An Open Badge of the issuer's shape, its data given.
    fn badge(texts: &[String; 6], ids: &[String; 3]) -> Value {
        json!({
            "@context": [CREDENTIALS_V2, OPEN_BADGES_V3],
            "id": ids[0],
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": texts[0],
            "issuer": {"id": ids[1], "type": ["Profile"], "name": texts[1], "url": ids[2]},
            "validFrom": texts[2],
            "credentialSubject": {
                "id": ids[0], "type": ["AchievementSubject"], "name": texts[3],
                "identifier": [{"type": "IdentityObject", "identityType": "sourcedId", "hashed": false, "identityHash": texts[4]}],
                "achievement": {
                    "id": ids[2], "type": ["Achievement"], "name": texts[0], "description": texts[5],
                    "criteria": {"narrative": texts[5]}, "achievementType": "CertificateOfCompletion",
                    "otherIdentifier": [{"type": "IdentifierEntry", "identifierType": "sourcedId", "identifier": texts[4]}],
                },
            },
            "credentialStatus": {
                "id": format!("{}#7", ids[2]), "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                "statusListIndex": texts[4], "statusListCredential": ids[2],
            },
        })
    }

    /// Both paths on `document`: the template's answer, and the general one.
    fn both(templates: &Templates, document: &Value) -> (Option<String>, Result<String, CanonicalizationError>) {
        let contexts = Contexts::bundled();
        let general = |document: &Value| dataset_of(document, &contexts);
        (templates.canonical(document, general), general(document).map(canonical_form))
    }

    fn id() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("urn:uuid:af771398-bc1a-4350-b849-907561d25957".to_owned()),
            Just("did:key:z6MkhqtW4nWbjSTo4gcXSknngR5i5ndbdfn1iYBcvNN125n9".to_owned()),
            "https://[a-z]{1,8}\\.example/[a-z%0-9_~.-]{0,12}",
            any::<String>(),
            Just("relative/path".to_owned()),
            Just("_:b0".to_owned()),
            Just("xsd:string".to_owned()),
            Just("http://a b".to_owned()),
            Just(String::new()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        /// The template answers exactly what JSON-LD answers, or nothing.
        #[test]
        fn the_template_answers_what_json_ld_answers_or_nothing(
            texts in prop::array::uniform6(any::<String>()),
            ids in prop::array::uniform3(id()),
        ) {
            let templates = Templates::default();
            let (fast, general) = both(&templates, &badge(&texts, &ids));
            if let Some(fast) = fast {
                prop_assert_eq!(Ok(fast), general);
            }
        }
    }

    #[test]
    fn a_document_of_a_known_shape_goes_through_its_template() {
        let templates = Templates::default();
        let texts = [
            "Introduction\t\"Programming\"",
            "Example University",
            "2025-10-13T00:00:00Z",
            "अनन्या 🎓",
            "do_1",
            "a\nb\u{7f}",
        ]
        .map(str::to_owned);
        let ids =
            ["urn:uuid:af771398-bc1a-4350-b849-907561d25957", "did:key:z6Mk", "https://example.org/achievements/do_1"]
                .map(str::to_owned);
        for _ in 0..2 {
            let (fast, general) = both(&templates, &badge(&texts, &ids));
            assert_eq!(Ok(fast.expect("the template answers")), general);
        }
        assert_eq!(templates.by_shape.lock().unwrap().len(), 1, "one shape, one template");
    }
}
