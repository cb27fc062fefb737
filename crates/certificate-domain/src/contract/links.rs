//! The `PublicLinks` contract: the links a credential and a printed
//! certificate carry outlive the service's deployments, so each must be an
//! absolute address, the same every time it is asked for, and name only its
//! own document, whatever characters an id holds.

use crate::model::{StatusListId, StatusPurpose};
use crate::ports::PublicLinks;

/// Ids whose characters would, unescaped, change which document a link
/// names: another path segment, a query, a fragment.
const AWKWARD_IDS: &[&str] = &["a/b", "a?b=c", "a#b", "a b", "a%2Fb", "../b"];

/// Runs every check of the links contract on `links`, made for the base
/// address `base` (no trailing `/`).
pub fn check_public_links(links: &dyn PublicLinks, base: &str) {
    let list = StatusListId { list: 3, purpose: StatusPurpose::Revocation };
    let id = "urn:uuid:7c1b2d3e-0a4b-4c5d-8e6f-7a8b9c0d1e2f";
    let named = [links.verification(id), links.status_list(list), links.achievement("do_2143")];
    for link in &named {
        assert!(link.starts_with(&format!("{base}/")), "{link} is under the base address {base}");
    }
    assert_eq!(links.verification(id), named[0], "the same link every time");
    assert!(
        named[0].contains(id),
        "an id a path may hold as it is stands in its link unchanged (links already printed keep working): {}",
        named[0]
    );
    let other_list = StatusListId { list: 3, purpose: StatusPurpose::Suspension };
    assert_ne!(links.status_list(list), links.status_list(other_list), "a list per purpose");
    assert_ne!(links.verification("urn:uuid:1"), links.verification("urn:uuid:2"), "a link per certificate");

    let plain = [links.verification("plain"), links.achievement("plain")];
    for id in AWKWARD_IDS {
        for (link, plain) in [links.verification(id), links.achievement(id)].iter().zip(&plain) {
            let path = &link[base.len()..];
            assert!(!path.contains(['?', '#', ' ']), "{id:?} stays inside its segment: {link}");
            assert_eq!(
                path.matches('/').count(),
                plain[base.len()..].matches('/').count(),
                "{id:?} adds no path segment: {link}"
            );
            assert!(!path.contains("/../"), "{id:?} cannot climb: {link}");
        }
    }
    assert_ne!(links.verification("a/b"), links.verification("a%2Fb"), "ids that look alike once escaped stay apart");
}
