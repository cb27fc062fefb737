//! RDFC-1.0 for the datasets whose blank nodes its first-degree hashes tell
//! apart (steps 1 to 5 of the algorithm, W3C RDFC-1.0 §4.4): each blank node
//! gets the SHA-256 of the sorted canonical N-Quads that mention it (itself
//! written `_:a`, any other `_:z`), and the canonical names `_:c14n0`,
//! `_:c14n1`, … in the order of those hashes. When two blank nodes share a
//! hash the algorithm goes on with n-degree hashes, which are not here: the
//! caller is told so (`None`) and takes the general path (oxrdf's).
//!
//! A credential's quads come from its shape's template already written as
//! canonical N-Quads terms ([`crate::rdf_template`]); this saves building an
//! indexed dataset for each credential, the larger half of signing one.

use std::borrow::Cow;

use sha2::{Digest, Sha256};

/// A term of a quad: a blank node (numbered within its dataset), or the
/// canonical N-Quads text of an IRI or a literal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Term<'a> {
    Blank(usize),
    Text(Cow<'a, str>),
}

/// A quad; `graph` is `None` in the default graph.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TextQuad<'a> {
    pub subject: Term<'a>,
    pub predicate: &'a str,
    pub object: Term<'a>,
    pub graph: Option<Term<'a>>,
}

impl TextQuad<'_> {
    fn terms(&self) -> impl Iterator<Item = &Term<'_>> {
        [&self.subject, &self.object].into_iter().chain(self.graph.as_ref())
    }

    fn mentions(&self, blank: usize) -> bool {
        self.terms().any(|term| *term == Term::Blank(blank))
    }

    /// The quad as a canonical N-Quads line, each blank node named by `name`.
    fn write(&self, line: &mut String, name: &impl Fn(usize, &mut String)) {
        let term = |term: &Term<'_>, line: &mut String| match term {
            Term::Blank(blank) => name(*blank, line),
            Term::Text(text) => line.push_str(text),
        };
        term(&self.subject, line);
        line.push(' ');
        line.push_str(self.predicate);
        line.push(' ');
        term(&self.object, line);
        if let Some(graph) = &self.graph {
            line.push(' ');
            term(graph, line);
        }
        line.push_str(" .\n");
    }
}

/// The canonical N-Quads of the dataset of `quads` (`blank_nodes` blank
/// nodes, numbered from 0), or `None` when first-degree hashes do not name
/// every blank node.
pub(crate) fn canonical(mut quads: Vec<TextQuad<'_>>, blank_nodes: usize) -> Option<String> {
    // A dataset is a set: two placeholders filled alike make one quad.
    quads.sort_unstable();
    quads.dedup();
    let mut hashes: Vec<([u8; 32], usize)> =
        (0..blank_nodes).map(|blank| (first_degree_hash(&quads, blank), blank)).collect();
    hashes.sort_unstable();
    if hashes.windows(2).any(|pair| pair[0].0 == pair[1].0) {
        return None;
    }
    let mut labels = vec![0; blank_nodes];
    for (label, (_, blank)) in hashes.iter().enumerate() {
        labels[*blank] = label;
    }
    let name = |blank: usize, line: &mut String| {
        line.push_str("_:c14n");
        line.push_str(&labels[blank].to_string());
    };
    Some(sorted_lines(quads.iter(), &name).concat())
}

/// RDFC-1.0's "Hash First Degree Quads" of `blank`.
fn first_degree_hash(quads: &[TextQuad<'_>], blank: usize) -> [u8; 32] {
    let name = |other: usize, line: &mut String| line.push_str(if other == blank { "_:a" } else { "_:z" });
    let mut hash = Sha256::new();
    for line in sorted_lines(quads.iter().filter(|quad| quad.mentions(blank)), &name) {
        hash.update(line.as_bytes());
    }
    hash.finalize().into()
}

/// `quads` as canonical N-Quads lines, each blank node named by `name`, sorted.
fn sorted_lines<'q, 'a: 'q>(
    quads: impl Iterator<Item = &'q TextQuad<'a>>,
    name: &impl Fn(usize, &mut String),
) -> Vec<String> {
    let mut lines: Vec<String> = quads
        .map(|quad| {
            let mut line = String::with_capacity(128);
            quad.write(&mut line, name);
            line
        })
        .collect();
    lines.sort_unstable();
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(text: &str) -> Term<'_> {
        Term::Text(Cow::Borrowed(text))
    }

    fn quad<'a>(subject: Term<'a>, predicate: &'a str, object: Term<'a>) -> TextQuad<'a> {
        TextQuad { subject, predicate, object, graph: None }
    }

    #[test]
    fn blank_nodes_are_named_in_the_order_of_their_hashes_and_lines_sorted() {
        let name = "<https://schema.org/name>";
        let quads = vec![
            quad(Term::Blank(0), name, text("\"b\"")),
            quad(Term::Blank(1), name, text("\"a\"")),
            quad(text("<urn:x>"), name, Term::Blank(1)),
        ];
        let canonical = canonical(quads, 2).expect("two hashes apart");
        let hash = |lines: &str| Sha256::digest(lines);
        let zero = hash("_:a <https://schema.org/name> \"b\" .\n");
        let one = hash("<urn:x> <https://schema.org/name> _:a .\n_:a <https://schema.org/name> \"a\" .\n");
        let (first, second) = if zero < one { ("_:c14n0", "_:c14n1") } else { ("_:c14n1", "_:c14n0") };
        let mut expected = [
            format!("{first} {name} \"b\" .\n"),
            format!("{second} {name} \"a\" .\n"),
            format!("<urn:x> {name} {second} .\n"),
        ];
        expected.sort();
        assert_eq!(canonical, expected.concat());
    }

    #[test]
    fn blank_nodes_alike_are_left_to_the_general_path() {
        let name = "<https://schema.org/name>";
        let quads = vec![quad(Term::Blank(0), name, text("\"a\"")), quad(Term::Blank(1), name, text("\"a\""))];
        assert_eq!(canonical(quads, 2), None);
    }

    #[test]
    fn a_quad_twice_is_one_quad() {
        let name = "<https://schema.org/name>";
        let quads = vec![quad(text("<urn:x>"), name, text("\"a\"")), quad(text("<urn:x>"), name, text("\"a\""))];
        assert_eq!(canonical(quads, 0).as_deref(), Some("<urn:x> <https://schema.org/name> \"a\" .\n"));
    }
}
