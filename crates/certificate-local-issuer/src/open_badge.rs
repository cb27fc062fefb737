//! The Open Badges 3.0 credential a course completion is (1EdTech Open
//! Badges Specification 3.0, its `OpenBadgeCredential`): the learner an
//! `AchievementSubject`, the course an `Achievement` with a stable id, the
//! issuer an OB `Profile`. Every property is a term of the VC 2.0 or the
//! OB 3.0.3 context, so that JSON-LD expansion drops nothing an
//! `eddsa-rdfc-2022` proof should cover.
//!
//! The request's fields travel as OB terms, so that the domain can read
//! them back (templates, events): the learner's name as the subject's
//! `name`, its parts and the platform's `userId` as `IdentityObject`s
//! (`ext:givenName`, `ext:additionalName`, `ext:familyName`, `sourcedId`;
//! OB's identity types are extensible with `ext:`), the course's id as the
//! achievement's `otherIdentifier` entry of type `sourcedId`.

use certificate_domain::ports::CredentialRequest;
use serde_json::{json, Value};

use crate::config::{AchievementTexts, IssuerProfile};
use crate::contexts::{CREDENTIALS_V2, OPEN_BADGES_V3};

/// The achievement a course completion is, by OB's achievement types.
const ACHIEVEMENT_TYPE: &str = "CertificateOfCompletion";

/// What an Open Badge is made of besides the request.
pub(crate) struct BadgeParts<'a> {
    pub issuer_did: &'a str,
    pub profile: &'a IssuerProfile,
    pub texts: &'a AchievementTexts,
    pub achievement_id: String,
}

/// The unsigned credential, without its status.
pub(crate) fn open_badge(
    request: &CredentialRequest<'_>,
    parts: &BadgeParts<'_>,
    id: &str,
    dates: [String; 2],
) -> Value {
    let fields = request.request;
    let course = fields.course_name();
    let names = [Some(fields.first_name()), fields.middle_name(), Some(fields.last_name())];
    let full_name = names.into_iter().flatten().filter(|name| !name.is_empty()).collect::<Vec<_>>().join(" ");
    let identity = |kind: &str, value: &str| json!({"type": "IdentityObject", "identityType": kind, "hashed": false, "identityHash": value});
    let mut identifiers = vec![identity("sourcedId", &fields.user_id().to_string())];
    let parts_of_name =
        [("ext:givenName", fields.first_name()), ("ext:additionalName", fields.middle_name().unwrap_or(""))];
    for (kind, name) in parts_of_name.into_iter().chain([("ext:familyName", fields.last_name())]) {
        if !name.is_empty() {
            identifiers.push(identity(kind, name));
        }
    }
    let [valid_from, valid_until] = dates;
    json!({
        "@context": [CREDENTIALS_V2, OPEN_BADGES_V3],
        "id": id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": course,
        "issuer": profile(parts),
        "validFrom": valid_from,
        "validUntil": valid_until,
        "credentialSubject": {
            "id": request.learner_did,
            "type": ["AchievementSubject"],
            "name": full_name,
            "identifier": identifiers,
            "achievement": {
                "id": parts.achievement_id,
                "type": ["Achievement"],
                "name": course,
                "description": AchievementTexts::for_course(&parts.texts.description, course),
                "criteria": {"narrative": AchievementTexts::for_course(&parts.texts.criteria, course)},
                "achievementType": ACHIEVEMENT_TYPE,
                "otherIdentifier": [{
                    "type": "IdentifierEntry", "identifierType": "sourcedId", "identifier": fields.course_id(),
                }],
            },
        },
    })
}

fn profile(parts: &BadgeParts<'_>) -> Value {
    let mut profile = json!({"id": parts.issuer_did, "type": ["Profile"], "name": parts.profile.name});
    if let Some(url) = &parts.profile.url {
        profile["url"] = json!(url);
    }
    if let Some(image) = &parts.profile.image {
        profile["image"] = json!({"id": image, "type": "Image"});
    }
    profile
}
