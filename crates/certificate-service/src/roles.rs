//! Which adapter plays each credential role (Sunbird RC, or the built-in
//! issuer), each metered, and who renders: said once, here.

use std::sync::Arc;
use std::time::Duration;

use certificate_credential_service::HttpCredentialIssuer;
use certificate_domain::ports::{
    CertificateRepo, CertificateStandings, CopySigning, CredentialDesign, CredentialIssuance, CredentialRendering,
    CredentialRevocation, CredentialVerification, HolderProofs, HtmlRenderer, IssuedLookup, LearnerIdentity,
    PdfPrinter, PresentationProofs, PublicLinks, StatusListStore, SystemClock, SystemRandomness, TemplateStore,
};
use certificate_domain::{
    IssuanceRoles, LocalRendering, ManageTemplates, PublishStatusLists, RenderCertificate, RenderSources,
    StatusAllocator, TemplateRegistry,
};
use certificate_handlebars::HandlebarsRenderer;
use certificate_local_issuer::{
    IssuerKey, JwtHolderProofs, Keyring, LocalIssuer, StatusListRevocation, UrnLearnerIdentity,
};
use certificate_metrics::{MeteredIssuer, Metrics};

use crate::config::{Config, Issuer};

/// Which adapter plays each credential role, each metered.
pub(crate) struct CredentialRoles {
    pub(crate) issuance: IssuanceRoles,
    pub(crate) revocation: Arc<dyn CredentialRevocation>,
    pub(crate) verification: Arc<dyn CredentialVerification>,
    /// Sunbird RC's renderer and template registry; `None`: the service's own.
    pub(crate) rendering: Option<(Arc<dyn CredentialRendering>, Arc<dyn CredentialDesign>)>,
    /// The built-in issuer's DID document; Sunbird RC's DIDs resolve there.
    pub(crate) did_document: Option<serde_json::Value>,
    /// The built-in issuer's status lists; Sunbird RC publishes none.
    pub(crate) status_lists: Option<Arc<PublishStatusLists>>,
    /// The built-in issuer binds wallets' copies; Sunbird RC cannot.
    pub(crate) wallet: Option<WalletSigning>,
}

/// What wallet delivery takes from the built-in issuer.
pub(crate) struct WalletSigning {
    pub(crate) signing: Arc<dyn CopySigning>,
    pub(crate) proofs: Arc<dyn HolderProofs>,
    pub(crate) presentations: Arc<dyn PresentationProofs>,
    /// The OpenID4VCI credential configuration, under its id.
    pub(crate) configuration: (String, serde_json::Value),
    pub(crate) issuer_name: String,
}

/// Status list entries reserved at a time: one round trip to the store per
/// this many issuances, and at most this many entries lost per restart.
const STATUS_ENTRIES_PER_RESERVATION: u32 = 256;

/// What the built-in issuer needs to publish status lists and revoke
/// superseded credentials in them.
pub(crate) struct StatusSettings<'a> {
    pub(crate) store: &'a Arc<dyn StatusListStore>,
    pub(crate) repo: &'a Arc<dyn CertificateRepo>,
    pub(crate) standings: &'a Arc<dyn CertificateStandings>,
    pub(crate) links: Arc<dyn PublicLinks>,
    pub(crate) ttl: Duration,
}

pub(crate) fn metered<T: ?Sized>(role: Arc<T>, metrics: &Arc<Metrics>) -> Arc<MeteredIssuer<T>> {
    Arc::new(MeteredIssuer::new(role, metrics.clone()))
}

/// Sunbird RC plays every role; the built-in issuer signs and verifies,
/// names learners by their user id, revokes by recording and publishes the
/// status lists.
pub(crate) fn credential_roles(config: &Config, metrics: &Arc<Metrics>, status: StatusSettings<'_>) -> CredentialRoles {
    let (keyring, whose, settings) = match &config.issuer {
        Issuer::Rc(upstream) => {
            let rc = Arc::new(HttpCredentialIssuer::new(upstream.clone()));
            let identity: Arc<dyn LearnerIdentity> = metered(rc.clone() as Arc<dyn LearnerIdentity>, metrics);
            let issuance: Arc<dyn CredentialIssuance> = metered(rc.clone() as Arc<dyn CredentialIssuance>, metrics);
            let lookup: Arc<dyn IssuedLookup> = metered(rc.clone() as Arc<dyn IssuedLookup>, metrics);
            return CredentialRoles {
                issuance: IssuanceRoles { identity, issuance, lookup: Some(lookup), status: None },
                revocation: metered(rc.clone() as Arc<dyn CredentialRevocation>, metrics),
                verification: metered(rc.clone() as Arc<dyn CredentialVerification>, metrics),
                rendering: Some((
                    metered(rc.clone() as Arc<dyn CredentialRendering>, metrics),
                    metered(rc as Arc<dyn CredentialDesign>, metrics),
                )),
                did_document: None,
                status_lists: None,
                wallet: None,
            };
        }
        Issuer::Local(Some(keyring), settings) => (keyring.clone(), "the keys of its key file", settings),
        Issuer::Local(None, settings) => {
            (Keyring::single(&IssuerKey::generate()), "a key made at start, which a restart forgets", settings)
        }
    };
    let format = settings.format;
    let local = Arc::new(LocalIssuer::with_keyring(keyring, status.links.clone()).with_config(settings.clone()));
    tracing::info!(did = %local.did(), ?format, "issuing W3C credentials with the built-in issuer and {whose}");
    let identity: Arc<dyn LearnerIdentity> = metered(Arc::new(UrnLearnerIdentity) as Arc<dyn LearnerIdentity>, metrics);
    let issuance: Arc<dyn CredentialIssuance> = metered(local.clone() as Arc<dyn CredentialIssuance>, metrics);
    let allocator = Arc::new(StatusAllocator::new(status.store.clone(), STATUS_ENTRIES_PER_RESERVATION));
    let lists = Arc::new(PublishStatusLists::new(
        status.store.clone(),
        local.clone(),
        Arc::new(SystemClock),
        status.links.clone(),
        status.ttl,
    ));
    let revocation = StatusListRevocation {
        repo: status.repo.clone(),
        standings: status.standings.clone(),
        lists: Some(lists.clone()),
    };
    CredentialRoles {
        issuance: IssuanceRoles { identity, issuance, lookup: None, status: Some(allocator) },
        status_lists: Some(lists),
        revocation: metered(Arc::new(revocation) as Arc<dyn CredentialRevocation>, metrics),
        rendering: None,
        did_document: Some(local.did_document()),
        wallet: Some(WalletSigning {
            signing: local.clone(),
            proofs: Arc::new(JwtHolderProofs),
            presentations: local.clone(),
            configuration: local.wallet_configuration(),
            issuer_name: settings.profile.name.clone(),
        }),
        verification: metered(local as Arc<dyn CredentialVerification>, metrics),
    }
}

pub(crate) struct RenderSettings {
    pub(crate) printer: Arc<dyn PdfPrinter>,
    pub(crate) links: Arc<dyn PublicLinks>,
    pub(crate) cache_bytes: usize,
}

/// Sunbird RC renders through and keeps the templates when it issues; the
/// built-in issuer's certificates are rendered here, through the templates
/// stored here; the built-in certificate is rendered here with either.
pub(crate) fn rendering(
    upstream: Option<(Arc<dyn CredentialRendering>, Arc<dyn CredentialDesign>)>,
    repo: Arc<dyn CertificateRepo>,
    store: Arc<dyn TemplateStore>,
    settings: RenderSettings,
    clock: Arc<SystemClock>,
) -> (Arc<RenderCertificate>, Arc<ManageTemplates>) {
    let renderer: Arc<dyn HtmlRenderer> = Arc::new(HandlebarsRenderer::new());
    let local = LocalRendering { repo, templates: store.clone(), renderer: renderer.clone(), links: settings.links };
    let (source, keeper) = match upstream {
        Some((rc, design)) => (RenderSources { upstream: Some(rc), local }, TemplateRegistry::Upstream(design)),
        None => {
            let keeper = TemplateRegistry::Local { store, renderer, clock, ids: Arc::new(SystemRandomness) };
            (RenderSources { upstream: None, local }, keeper)
        }
    };
    let render = RenderCertificate::new(source, settings.printer, settings.cache_bytes);
    (Arc::new(render), Arc::new(ManageTemplates::new(keeper)))
}
