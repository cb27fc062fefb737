//! The built-in issuer's settings, from its own environment variables: the
//! credential's shape, the issuer as credentials name it, and the texts of
//! the achievement a course completion is. A bad value stops the binary at
//! start with one line naming the variable.

use serde::Deserialize;

use crate::identity::checked_did_web;

/// Which credential the built-in issuer makes (`CREDENTIAL_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialFormat {
    /// An Open Badges 3.0 `OpenBadgeCredential`, signed with
    /// `eddsa-rdfc-2022` (`open-badge`, the default).
    OpenBadge,
    /// The earlier `CourseCertificate`, the request's fields as its subject,
    /// signed with `eddsa-jcs-2022` (`course-certificate`), for consumers
    /// that read `credentialSubject.firstName`.
    CourseCertificate,
}

/// The issuer as its Open Badges name it: an OB 3.0 `Profile`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerProfile {
    /// `ISSUER_NAME`.
    pub name: String,
    /// `ISSUER_URL`: the institution's site.
    pub url: Option<String>,
    /// `ISSUER_IMAGE_URL`: its logo.
    pub image: Option<String>,
}

/// What completing a course means, in the achievement's words; `{course}`
/// stands for the course's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AchievementTexts {
    /// `ACHIEVEMENT_DESCRIPTION`.
    pub description: String,
    /// `ACHIEVEMENT_CRITERIA`: the criteria's narrative.
    pub criteria: String,
}

impl AchievementTexts {
    pub(crate) fn for_course(text: &str, course_name: &str) -> String {
        text.replace("{course}", course_name)
    }
}

impl Default for AchievementTexts {
    fn default() -> Self {
        Self {
            description: "A certificate of completion of the course {course}.".to_owned(),
            criteria: "The learner completed the course {course}.".to_owned(),
        }
    }
}

/// Every setting of the built-in issuer but its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalIssuerConfig {
    pub format: CredentialFormat,
    /// `ISSUER_DID`: a `did:web` the issuer is known by; `None`, its key's `did:key`.
    pub issuer_did: Option<String>,
    pub profile: IssuerProfile,
    pub achievement: AchievementTexts,
}

/// What an operator who set nothing gets.
pub const DEFAULT_ISSUER_NAME: &str = "Course certificates";

impl Default for LocalIssuerConfig {
    fn default() -> Self {
        Self {
            format: CredentialFormat::OpenBadge,
            issuer_did: None,
            profile: IssuerProfile { name: DEFAULT_ISSUER_NAME.to_owned(), url: None, image: None },
            achievement: AchievementTexts::default(),
        }
    }
}

#[derive(Deserialize)]
struct Env {
    credential_format: Option<String>,
    issuer_did: Option<String>,
    issuer_name: Option<String>,
    issuer_url: Option<String>,
    issuer_image_url: Option<String>,
    achievement_description: Option<String>,
    achievement_criteria: Option<String>,
}

impl LocalIssuerConfig {
    /// The settings of a list of variables, as the environment would hold them.
    pub fn from_vars(vars: impl Iterator<Item = (String, String)>) -> Result<Self, String> {
        let env: Env = envy::from_iter(vars).map_err(|error| error.to_string())?;
        let defaults = Self::default();
        let format = match env.credential_format.as_deref().unwrap_or("open-badge") {
            "open-badge" => CredentialFormat::OpenBadge,
            "course-certificate" => CredentialFormat::CourseCertificate,
            other => return Err(format!("CREDENTIAL_FORMAT must be open-badge or course-certificate, not '{other}'")),
        };
        let text = |name: &str, value: Option<String>, default: String| match value {
            Some(value) if value.trim().is_empty() => Err(format!("{name}: set to nothing; unset it or give a text")),
            Some(value) => Ok(value),
            None => Ok(default),
        };
        let url = |name: &str, value: Option<String>| match value {
            Some(value) if !value.starts_with("https://") && !value.starts_with("http://") => {
                Err(format!("{name} must be an http(s) URL, not '{value}'"))
            }
            other => Ok(other),
        };
        Ok(Self {
            format,
            issuer_did: env.issuer_did.as_deref().map(checked_did_web).transpose()?,
            profile: IssuerProfile {
                name: text("ISSUER_NAME", env.issuer_name, defaults.profile.name)?,
                url: url("ISSUER_URL", env.issuer_url)?,
                image: url("ISSUER_IMAGE_URL", env.issuer_image_url)?,
            },
            achievement: AchievementTexts {
                description: text(
                    "ACHIEVEMENT_DESCRIPTION",
                    env.achievement_description,
                    defaults.achievement.description,
                )?,
                criteria: text("ACHIEVEMENT_CRITERIA", env.achievement_criteria, defaults.achievement.criteria)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<LocalIssuerConfig, String> {
        LocalIssuerConfig::from_vars(vars.iter().map(|(name, value)| (name.to_string(), value.to_string())))
    }

    #[test]
    fn nothing_set_is_an_open_badge_of_the_default_issuer() {
        assert_eq!(config(&[]).unwrap(), LocalIssuerConfig::default());
    }

    #[test]
    fn each_setting_is_read_and_a_bad_one_named() {
        let set = config(&[
            ("CREDENTIAL_FORMAT", "course-certificate"),
            ("ISSUER_NAME", "Example University"),
            ("ISSUER_URL", "https://university.example"),
            ("ACHIEVEMENT_CRITERIA", "Passed\tthe\nexam of {course}"),
            ("ISSUER_DID", "did:web:university.example"),
        ])
        .unwrap();
        assert_eq!(set.issuer_did.as_deref(), Some("did:web:university.example"));
        assert_eq!(set.format, CredentialFormat::CourseCertificate);
        assert_eq!(set.profile.name, "Example University");
        assert_eq!(set.profile.url.as_deref(), Some("https://university.example"));
        assert_eq!(AchievementTexts::for_course(&set.achievement.criteria, "Rust"), "Passed\tthe\nexam of Rust");
        let bad = [
            ("CREDENTIAL_FORMAT", "jwt"),
            ("ISSUER_NAME", " "),
            ("ISSUER_IMAGE_URL", "logo.png"),
            ("ISSUER_DID", "did:key:z6Mk"),
        ];
        for (name, value) in bad {
            let error = config(&[(name, value)]).unwrap_err();
            assert!(error.starts_with(name), "{error}");
        }
    }
}
