//! The RDF of a document shape, made once and filled in per document: the
//! costly part of turning JSON-LD into RDF (processing the contexts, which
//! oxjsonld does again for each document) is paid once per shape, and each
//! document of that shape costs a walk of its JSON and the RDFC-1.0 step.
//!
//! A shape is the document with each string that is data (not under a key
//! of [`VOCABULARY_KEYS`]) replaced by a placeholder IRI. Its RDF comes from
//! the general JSON-LD path ([`crate::rdfc`]) and is kept as canonical
//! N-Quads terms; filling it in puts each value where its placeholder
//! stands: as the literal's text (its datatype and language kept), or as an
//! IRI. A value that JSON-LD could read otherwise than as itself (in an
//! IRI's place, anything but an absolute IRI of a scheme the bundled
//! contexts define no term for), a shape whose RDF holds a placeholder
//! anywhere else, or blank nodes that [`crate::first_degree`] cannot tell
//! apart send the document to the general path, so the template answers
//! what that path would or nothing. A property test holds the two paths
//! equal for any values (tests below).

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use oxrdf::vocab::xsd;
use oxrdf::{BlankNode, Dataset, GraphNameRef, LiteralRef, NamedNode, NamedOrBlankNodeRef, TermRef};
use serde_json::Value;

use crate::first_degree::{self, Term, TextQuad};

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
    by_shape: Arc<Mutex<ByShape>>,
}

/// Each shape's template by the shape's JSON; `None` for a shape whose RDF
/// cannot have one.
type ByShape = HashMap<Vec<u8>, Option<Arc<Template>>>;

impl Templates {
    /// The canonical N-Quads of `document` through its shape's template, made
    /// now if it is new (by `general`, the JSON-LD path); `None` when the
    /// template cannot answer for this document.
    pub(crate) fn canonical<E>(
        &self,
        document: &Value,
        general: impl Fn(&Value) -> Result<Dataset, E>,
    ) -> Option<String> {
        let mut shape = Vec::with_capacity(1024);
        let mut values = Vec::new();
        write_shape(document, &mut shape, &mut values, false);
        let known = self.by_shape.lock().expect("the templates").get(&shape).cloned();
        let template = match known {
            Some(template) => template,
            None => {
                let document = serde_json::from_slice(&shape).expect("a shape is JSON");
                let template = general(&document).ok().and_then(|dataset| Template::of(&dataset)).map(Arc::new);
                let mut by_shape = self.by_shape.lock().expect("the templates");
                if by_shape.len() < SHAPES {
                    by_shape.insert(shape, template.clone());
                }
                template
            }
        }?;
        template.canonical(&values)
    }
}

/// The RDF of one shape as canonical N-Quads terms, its values placeholders.
struct Template {
    quads: Vec<TemplateQuad>,
    blank_nodes: usize,
}

struct TemplateQuad {
    subject: Slot,
    predicate: String,
    object: Slot,
    /// `None`: the default graph.
    graph: Option<Slot>,
}

/// A term of the template: fixed, or where a value goes.
enum Slot {
    Blank(usize),
    Fixed(String),
    /// The value of this index as an IRI.
    Iri(usize),
    /// The value of this index as a literal, followed by its datatype or
    /// language (`suffix`), as canonical N-Quads writes it.
    Literal {
        value: usize,
        suffix: String,
    },
}

impl Template {
    /// The template of a shape's RDF; `None` when a placeholder stands
    /// somewhere no value can be put (a predicate, inside a longer text).
    fn of(dataset: &Dataset) -> Option<Self> {
        let mut blanks: HashMap<BlankNode, usize> = HashMap::new();
        let mut blank = |node: oxrdf::BlankNodeRef<'_>| {
            let next = blanks.len();
            Slot::Blank(*blanks.entry(node.into_owned()).or_insert(next))
        };
        let mut quads = Vec::new();
        for quad in dataset.iter() {
            let subject = match quad.subject {
                NamedOrBlankNodeRef::BlankNode(node) => blank(node),
                NamedOrBlankNodeRef::NamedNode(node) => iri_slot(node.as_str())?,
            };
            let object = match quad.object {
                TermRef::BlankNode(node) => blank(node),
                TermRef::NamedNode(node) => iri_slot(node.as_str())?,
                TermRef::Literal(literal) => literal_slot(literal)?,
            };
            let graph = match quad.graph_name {
                GraphNameRef::DefaultGraph => None,
                GraphNameRef::BlankNode(node) => Some(blank(node)),
                GraphNameRef::NamedNode(node) => Some(iri_slot(node.as_str())?),
            };
            let predicate = quad.predicate.to_string();
            if predicate.contains(PLACEHOLDER) {
                return None;
            }
            quads.push(TemplateQuad { subject, predicate, object, graph });
        }
        Some(Self { quads, blank_nodes: blanks.len() })
    }

    /// The canonical N-Quads of the shape filled with `values`.
    fn canonical(&self, values: &[&str]) -> Option<String> {
        let mut quads = Vec::with_capacity(self.quads.len());
        for quad in &self.quads {
            let graph = match &quad.graph {
                None => None,
                Some(graph) => Some(filled(graph, values)?),
            };
            quads.push(TextQuad {
                subject: filled(&quad.subject, values)?,
                predicate: &quad.predicate,
                object: filled(&quad.object, values)?,
                graph,
            });
        }
        first_degree::canonical(quads, self.blank_nodes)
    }
}

/// Fixed text, which must hold no placeholder.
fn fixed(text: &str) -> Option<Slot> {
    (!text.contains(PLACEHOLDER)).then(|| Slot::Fixed(text.to_owned()))
}

fn placeholder(text: &str) -> Option<usize> {
    text.strip_prefix(PLACEHOLDER)?.parse().ok()
}

fn iri_slot(iri: &str) -> Option<Slot> {
    match placeholder(iri) {
        Some(index) => Some(Slot::Iri(index)),
        None => fixed(&format!("<{iri}>")),
    }
}

fn literal_slot(literal: LiteralRef<'_>) -> Option<Slot> {
    let Some(value) = placeholder(literal.value()) else {
        return fixed(&literal.to_string());
    };
    let suffix = match literal.language() {
        Some(language) => format!("@{language}"),
        None if literal.datatype() == xsd::STRING => String::new(),
        None => format!("^^{}", literal.datatype()),
    };
    fixed(&suffix)?;
    Some(Slot::Literal { value, suffix })
}

/// `slot` filled with `values`; `None` when a value cannot stand there.
fn filled<'a>(slot: &'a Slot, values: &[&str]) -> Option<Term<'a>> {
    Some(match slot {
        Slot::Blank(blank) => Term::Blank(*blank),
        Slot::Fixed(text) => Term::Text(Cow::Borrowed(text)),
        Slot::Iri(index) => {
            let value = values.get(*index)?;
            if !IRI_SCHEMES.iter().any(|scheme| value.starts_with(scheme)) {
                return None;
            }
            Term::Text(Cow::Owned(NamedNode::new(*value).ok()?.to_string()))
        }
        Slot::Literal { value, suffix } => {
            let mut text = LiteralRef::new_simple_literal(values.get(*value)?).to_string();
            text.push_str(suffix);
            Term::Text(Cow::Owned(text))
        }
    })
}

/// Writes the JSON of `document`'s shape to `shape`, each data string a
/// placeholder, the strings pushed to `values` in order.
fn write_shape<'a>(document: &'a Value, shape: &mut Vec<u8>, values: &mut Vec<&'a str>, vocabulary: bool) {
    match document {
        Value::String(text) if !vocabulary => {
            values.push(text);
            write!(shape, "\"{PLACEHOLDER}{}\"", values.len() - 1).expect("writing to memory");
        }
        Value::Array(items) => {
            shape.push(b'[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    shape.push(b',');
                }
                write_shape(item, shape, values, vocabulary);
            }
            shape.push(b']');
        }
        Value::Object(fields) => {
            shape.push(b'{');
            for (n, (key, value)) in fields.iter().enumerate() {
                if n > 0 {
                    shape.push(b',');
                }
                serde_json::to_writer(&mut *shape, key).expect("a key always serialises");
                shape.push(b':');
                write_shape(value, shape, values, VOCABULARY_KEYS.contains(&key.as_str()));
            }
            shape.push(b'}');
        }
        other => serde_json::to_writer(shape, other).expect("a JSON value always serialises"),
    }
}

#[cfg(test)]
mod tests {
    use oxrdf::QuadRef;
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
            let iris = ids.iter().all(|id| IRI_SCHEMES.iter().any(|scheme| id.starts_with(scheme)) && NamedNode::new(id).is_ok());
            prop_assert_eq!(fast.is_some(), iris, "the template answers when every id is an IRI");
            if let Some(fast) = fast {
                prop_assert_eq!(Ok(fast), general);
            }
        }
    }

    #[test]
    fn a_placeholder_inside_a_longer_text_makes_no_template() {
        let (subject, name) = (NamedNode::new_unchecked("urn:x"), NamedNode::new_unchecked("https://schema.org/name"));
        let text = format!("[\"{PLACEHOLDER}0\"]");
        let mut dataset = Dataset::new();
        dataset.insert(QuadRef::new(
            &subject,
            &name,
            LiteralRef::new_simple_literal(&text),
            GraphNameRef::DefaultGraph,
        ));
        assert!(Template::of(&dataset).is_none(), "a JSON literal's text would be signed with the placeholder in it");
    }

    #[test]
    fn blank_nodes_alike_take_the_general_path() {
        let contexts = Contexts::bundled();
        let entry = json!({"type": "IdentifierEntry", "identifierType": "sourcedId", "identifier": "do_1"});
        let ids = ["urn:uuid:1", "did:key:z6Mk", "https://example.org/a"].map(str::to_owned);
        let mut document = badge(&Default::default(), &ids);
        document["credentialSubject"]["achievement"]["otherIdentifier"] = json!([entry.clone(), entry]);
        let (fast, general) = both(contexts.templates(), &document);
        assert_eq!(fast, None, "two entries alike: first-degree hashes cannot tell them apart");
        assert_eq!(crate::rdfc::canonical_nquads(&document, &contexts), general);
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
