//! Every word of the verification page, in one place per language: English
//! and Hindi (the platforms this service replaces serve Indian learners).
//! A language is chosen by `Accept-Language` ([`Language::chosen`]).

/// The page's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Language {
    English,
    Hindi,
}

impl Language {
    /// The supported language the reader ranks highest in `accept_language`
    /// (`hi-IN,hi;q=0.9,en;q=0.8`), English when it names none.
    pub(crate) fn chosen(accept_language: Option<&str>) -> Self {
        let mut best: Option<(f32, Self)> = None;
        for (tag, quality) in super::ranked(accept_language) {
            let language = match tag.split('-').next() {
                Some("hi") => Self::Hindi,
                Some("en") => Self::English,
                _ => continue,
            };
            if quality > 0.0 && best.is_none_or(|(ranked, _)| quality > ranked) {
                best = Some((quality, language));
            }
        }
        best.map_or(Self::English, |(_, language)| language)
    }

    pub(crate) fn tag(self) -> &'static str {
        match self {
            Self::English => "en",
            Self::Hindi => "hi",
        }
    }

    pub(crate) fn texts(self) -> &'static Texts {
        match self {
            Self::English => &ENGLISH,
            Self::Hindi => &HINDI,
        }
    }
}

/// A verdict's heading and its sentence; `{date}` stands for a date.
pub(crate) struct Said {
    pub title: &'static str,
    pub sentence: &'static str,
    /// The sentence when no date is known.
    pub undated: &'static str,
}

/// One check: its name, and what it says when it passes or fails.
pub(crate) struct CheckWords {
    pub name: &'static str,
    pub passed: &'static str,
    pub failed: &'static str,
}

pub(crate) struct Texts {
    pub page_title: &'static str,
    pub valid: Said,
    pub revoked: Said,
    pub suspended: Said,
    pub expired: Said,
    pub invalid: Said,
    pub not_found: Said,
    pub unavailable: Said,
    pub checks: &'static str,
    pub signature: CheckWords,
    pub revocation: CheckWords,
    pub suspension: CheckWords,
    pub expiry: CheckWords,
    pub learner: &'static str,
    pub course: &'static str,
    pub description: &'static str,
    pub criteria: &'static str,
    pub issuer: &'static str,
    pub issued: &'static str,
    pub valid_until: &'static str,
    pub certificate_id: &'static str,
    pub share: &'static str,
    pub linkedin: &'static str,
    pub copy_link: &'static str,
    pub link_label: &'static str,
    pub about: &'static str,
    pub months: [&'static str; 12],
}

const ENGLISH: Texts = Texts {
    page_title: "Certificate verification",
    valid: Said {
        title: "Valid certificate",
        sentence: "This certificate is authentic and in good standing.",
        undated: "This certificate is authentic and in good standing.",
    },
    revoked: Said {
        title: "Revoked",
        sentence: "Its issuer revoked this certificate on {date}.",
        undated: "Its issuer revoked this certificate.",
    },
    suspended: Said {
        title: "Suspended",
        sentence: "Its issuer suspended this certificate on {date}.",
        undated: "Its issuer suspended this certificate.",
    },
    expired: Said {
        title: "Expired",
        sentence: "This certificate expired on {date}.",
        undated: "This certificate has expired.",
    },
    invalid: Said {
        title: "Not issued by this service",
        sentence: "Its signature does not hold: it was changed, or another issuer made it.",
        undated: "Its signature does not hold: it was changed, or another issuer made it.",
    },
    not_found: Said {
        title: "Certificate not found",
        sentence: "No certificate with this id was issued here.",
        undated: "No certificate with this id was issued here.",
    },
    unavailable: Said {
        title: "Status could not be checked",
        sentence: "The service could not check this certificate just now. Please try again later.",
        undated: "The service could not check this certificate just now. Please try again later.",
    },
    checks: "Checks",
    signature: CheckWords { name: "Issuer's signature", passed: "valid", failed: "does not hold" },
    revocation: CheckWords { name: "Revocation", passed: "not revoked", failed: "revoked" },
    suspension: CheckWords { name: "Suspension", passed: "not suspended", failed: "suspended" },
    expiry: CheckWords { name: "Expiry", passed: "not expired", failed: "expired" },
    learner: "Awarded to",
    course: "Course",
    description: "Description",
    criteria: "Criteria",
    issuer: "Issuer",
    issued: "Issued on",
    valid_until: "Valid until",
    certificate_id: "Certificate id",
    share: "Share",
    linkedin: "Add to LinkedIn profile",
    copy_link: "Copy link",
    link_label: "Link to this page",
    about: "This certificate is a W3C verifiable credential (Open Badges 3.0): any verifier can check its signature.",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
};

const HINDI: Texts = Texts {
    page_title: "प्रमाणपत्र सत्यापन",
    valid: Said {
        title: "मान्य प्रमाणपत्र",
        sentence: "यह प्रमाणपत्र प्रामाणिक है और मान्य है।",
        undated: "यह प्रमाणपत्र प्रामाणिक है और मान्य है।",
    },
    revoked: Said {
        title: "रद्द किया गया",
        sentence: "जारीकर्ता ने {date} को यह प्रमाणपत्र रद्द कर दिया।",
        undated: "जारीकर्ता ने यह प्रमाणपत्र रद्द कर दिया है।",
    },
    suspended: Said {
        title: "निलंबित",
        sentence: "जारीकर्ता ने {date} को यह प्रमाणपत्र निलंबित कर दिया।",
        undated: "जारीकर्ता ने यह प्रमाणपत्र निलंबित कर दिया है।",
    },
    expired: Said {
        title: "वैधता समाप्त",
        sentence: "इस प्रमाणपत्र की वैधता {date} को समाप्त हो गई।",
        undated: "इस प्रमाणपत्र की वैधता समाप्त हो गई है।",
    },
    invalid: Said {
        title: "इस सेवा द्वारा जारी नहीं",
        sentence: "इसके हस्ताक्षर मेल नहीं खाते: इसे बदला गया है, या इसे किसी अन्य जारीकर्ता ने बनाया है।",
        undated: "इसके हस्ताक्षर मेल नहीं खाते: इसे बदला गया है, या इसे किसी अन्य जारीकर्ता ने बनाया है।",
    },
    not_found: Said {
        title: "प्रमाणपत्र नहीं मिला",
        sentence: "इस आईडी का कोई प्रमाणपत्र यहाँ जारी नहीं किया गया।",
        undated: "इस आईडी का कोई प्रमाणपत्र यहाँ जारी नहीं किया गया।",
    },
    unavailable: Said {
        title: "स्थिति की जाँच नहीं हो सकी",
        sentence: "सेवा अभी इस प्रमाणपत्र की जाँच नहीं कर सकी। कृपया बाद में फिर प्रयास करें।",
        undated: "सेवा अभी इस प्रमाणपत्र की जाँच नहीं कर सकी। कृपया बाद में फिर प्रयास करें।",
    },
    checks: "जाँच",
    signature: CheckWords {
        name: "जारीकर्ता के हस्ताक्षर", passed: "मान्य", failed: "मेल नहीं खाते"
    },
    revocation: CheckWords {
        name: "रद्दीकरण", passed: "रद्द नहीं", failed: "रद्द"
    },
    suspension: CheckWords {
        name: "निलंबन", passed: "निलंबित नहीं", failed: "निलंबित"
    },
    expiry: CheckWords { name: "वैधता", passed: "वैध", failed: "समाप्त" },
    learner: "प्राप्तकर्ता",
    course: "पाठ्यक्रम",
    description: "विवरण",
    criteria: "मानदंड",
    issuer: "जारीकर्ता",
    issued: "जारी करने की तिथि",
    valid_until: "वैधता समाप्ति",
    certificate_id: "प्रमाणपत्र आईडी",
    share: "साझा करें",
    linkedin: "LinkedIn प्रोफ़ाइल में जोड़ें",
    copy_link: "लिंक कॉपी करें",
    link_label: "इस पृष्ठ का लिंक",
    about:
        "यह प्रमाणपत्र एक W3C सत्यापन योग्य क्रेडेंशियल (Open Badges 3.0) है: कोई भी सत्यापनकर्ता इसके हस्ताक्षर की जाँच कर सकता है।",
    months: ["जनवरी", "फ़रवरी", "मार्च", "अप्रैल", "मई", "जून", "जुलाई", "अगस्त", "सितंबर", "अक्तूबर", "नवंबर", "दिसंबर"],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_s_highest_ranked_supported_language_is_chosen() {
        assert_eq!(Language::chosen(None), Language::English);
        assert_eq!(Language::chosen(Some("hi-IN,hi;q=0.9,en;q=0.8")), Language::Hindi);
        assert_eq!(Language::chosen(Some("en-GB,en;q=0.9,hi;q=0.8")), Language::English);
        assert_eq!(Language::chosen(Some("fr-FR, hi;q=0.5")), Language::Hindi);
        assert_eq!(Language::chosen(Some("hi;q=0, en;q=0.1")), Language::English);
        assert_eq!(Language::chosen(Some("de")), Language::English);
    }
}
