//! The rest of the NestJS certificate module through the running service:
//! render, render-PDF, template, schema and generateDid, with the built-in
//! issuer (rendered here, through Debian's Chromium) and with Sunbird RC
//! (rendered there: the HTTP fake), and what each does with bad input, a
//! failing upstream, a missing Chromium and a page that never finishes.

use std::time::{Duration, Instant};

use certificate_system_tests::pdf::{embeds, PdfFile};
use certificate_system_tests::{contract_body, with, Behaviour, Stack, TestApp, KAFKA_BROKERS};
use serde_json::{json, Value};

/// A multibase (base58btc) Ed25519 seed: a test key, signing nothing real.
const SEED: &str = "z2rUunsq5fxGSjaHbUgj8cQbx4cR8DbPNrdcHwhG1yzJL";

fn local_env(stack: &Stack, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let key = certificate_system_tests::secret_file("render-key", SEED);
    let env =
        with(stack.env(KAFKA_BROKERS), &[("CREDENTIAL_ISSUER", "local"), ("ISSUER_KEY_FILE", key.to_str().unwrap())]);
    with(env, extra)
}

/// Issues for a learner named `first_name` and answers the credential id.
async fn issued(app: &TestApp, first_name: &str) -> String {
    let mut body = contract_body();
    body["firstName"] = json!(first_name);
    body["lastName"] = json!("शर्मा");
    body["courseName"] = json!("Rust for <Everyone>");
    body["expirationDate"] = json!("2099-01-01T00:00:00Z");
    let answer = app.issue(&body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["data"]["credential"]["id"].as_str().unwrap().to_owned()
}

async fn render(app: &TestApp, credential_id: &str, template_id: Option<&str>) -> (u16, Value) {
    let answer = app
        .post_json("/certificate/render", &json!({"credentialId": credential_id, "templateId": template_id}), &[])
        .await;
    (answer.status, answer.body)
}

fn named_fields(body: &Value) -> Vec<&str> {
    body["errors"].as_array().map(|e| e.iter().filter_map(|f| f["field"].as_str()).collect()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_built_in_issuer_renders_html_and_a_pdf_whose_qr_code_verifies() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &[])).await;
    let id = issued(&app, "अनन्या <script>x</script>").await;

    let (status, body) = render(&app, &id, None).await;
    assert_eq!(status, 200, "{body}");
    let html = body["data"].as_str().unwrap();
    assert!(html.contains("अनन्या &lt;script&gt;x&lt;/script&gt; शर्मा"), "the name, escaped");
    assert!(html.contains("Rust for &lt;Everyone&gt;") && html.contains(&id) && !html.contains("**Id**"));

    for path in ["/certificate/render-PDF", "/v1/tracking/certificate/render-PDF"] {
        let pdf =
            app.send_raw("POST", path, "application/json", json!({"credentialId": id}).to_string().into(), &[]).await;
        assert_eq!(pdf.status, 201, "NestJS answers a POST with 201");
        assert_eq!(pdf.header("content-type"), Some("application/pdf"));
        let file_name = id.replace(':', "_");
        assert_eq!(
            pdf.header("content-disposition"),
            Some(format!("attachment; filename=\"certificate-{file_name}.pdf\"").as_str())
        );
        let file = PdfFile::write("served-local", &pdf.body);
        let text = file.text();
        assert!(
            text.contains("अनन्या") && text.contains("<script>x</script>") && text.contains("Rust for <Everyone>"),
            "{text}"
        );
        assert!(embeds(&file.fonts(), "Devanagari"), "a Noto Devanagari font embedded");
        let verify_url = file.qr_codes();
        assert_eq!(verify_url, app.url(&format!("/certificate/{id}/verify")).replace("127.0.0.1", "localhost"));
        let path = verify_url.split_once(&format!(":{}", app.port)).unwrap().1;
        let verdict = app.get(path).await;
        assert_eq!(
            (verdict.status, verdict.body["data"]["status"].as_str()),
            (200, Some("ISSUED")),
            "{}",
            verdict.body
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stored_template_renders_with_both_prefixes_and_a_broken_one_is_refused() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &[])).await;
    let id = issued(&app, "Ada").await;
    let template =
        "<main><h1>{{firstName}} {{lastName}}</h1><p>{{courseName}}</p><p>**Id**</p><img src=\"{{qr}}\"></main>";
    let created =
        app.post_json("/certificate/template", &json!({"schemaId": "course", "template": template}), &[]).await;
    assert_eq!((created.status, created.body["message"].as_str()), (201, Some("Template created successfully")));
    let stored = &created.body["data"];
    assert_eq!((stored["type"].as_str(), stored["schemaVersion"].as_str()), (Some("Handlebar"), Some("1.0.0")));
    assert!(stored["createdAt"].is_string(), "{stored}");
    let template_id = stored["templateId"].as_str().unwrap();
    let row = stack
        .database
        .count(&format!("SELECT count(*) FROM certificate_template WHERE template_id = '{template_id}'"))
        .await;
    assert_eq!(row, 1, "kept in Postgres");

    let (status, body) = render(&app, &id, Some(template_id)).await;
    assert_eq!(status, 200, "{body}");
    let html = body["data"].as_str().unwrap();
    assert!(html.starts_with("<main><h1>Ada शर्मा</h1><p>Rust for &lt;Everyone&gt;</p>"), "{html}");
    assert!(html.contains(&format!("<p>{id}</p>")) && html.contains("data:image/svg+xml;base64,"), "{html}");
    let legacy = app
        .post_json("/v1/tracking/certificate/render", &json!({"credentialId": id, "templateId": template_id}), &[])
        .await;
    assert_eq!(legacy.body["data"], body["data"]);

    let broken =
        app.post_json("/certificate/template", &json!({"schemaId": "course", "template": "{{#if x}}"}), &[]).await;
    assert_eq!((broken.status, named_fields(&broken.body)), (400, vec!["template"]), "{}", broken.body);
    let schema = app.post_json("/certificate/schema", &json!({"schema": {"title": "CourseCertificate"}}), &[]).await;
    assert_eq!((schema.status, &schema.body["data"]["schema"]), (201, &json!({"title": "CourseCertificate"})));
    let did = app
        .post_json("/certificate/generateDid", &json!({"userId": "af771398-bc1a-4350-b849-907561d25957"}), &[])
        .await;
    assert_eq!(
        (did.status, &did.body["data"]),
        (200, &json!([{"id": "urn:uuid:af771398-bc1a-4350-b849-907561d25957"}]))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_named_and_unknown_ids_are_404() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &[])).await;
    let id = issued(&app, "Ada").await;
    let (status, body) = render(&app, "", None).await;
    assert_eq!((status, named_fields(&body)), (400, vec!["credentialId"]), "{body}");
    let missing = app.post_json("/certificate/render-PDF", &json!({}), &[]).await;
    assert_eq!((missing.status, named_fields(&missing.body)), (400, vec!["credentialId"]));
    assert_eq!(render(&app, "urn:uuid:0b5f3c1e-4d9a-4f8e-9a51-7c2d1e6b3a90", None).await.0, 404);
    assert_eq!(render(&app, &id, Some("0b5f3c1e-4d9a-4f8e-9a51-7c2d1e6b3a90")).await.0, 404, "unknown template");
    assert_eq!(render(&app, &id, Some("not-a-template")).await.0, 404, "unknown template");
    let empty = app.post_json("/certificate/template", &json!({"schemaId": "", "template": " "}), &[]).await;
    assert_eq!((empty.status, named_fields(&empty.body)), (400, vec!["schemaId", "template"]));
    let huge = json!({"schemaId": "course", "template": "x".repeat(600 * 1024)});
    assert_eq!(app.post_json("/certificate/template", &huge, &[]).await.status, 413, "over 512 KiB");
    let no_schema = app.post_json("/certificate/schema", &json!({"schema": "text"}), &[]).await;
    assert_eq!((no_schema.status, named_fields(&no_schema.body)), (400, vec!["schema"]));
    let not_uuid = app.post_json("/certificate/generateDid", &json!({"userId": "nope"}), &[]).await;
    assert_eq!((not_uuid.status, named_fields(&not_uuid.body)), (400, vec!["userId"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rendering_has_an_etag_and_if_none_match_is_a_304() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &[])).await;
    let id = issued(&app, "Ada").await;
    for path in ["/certificate/render", "/certificate/render-PDF"] {
        let body: Vec<u8> = json!({"credentialId": id}).to_string().into();
        let first = app.send_raw("POST", path, "application/json", body.clone(), &[]).await;
        let etag = first.header("etag").expect("an ETag").to_owned();
        assert!(first.header("cache-control").unwrap().starts_with("private"), "{:?}", first.headers);
        let again = app.send_raw("POST", path, "application/json", body.clone(), &[]).await;
        assert_eq!((again.header("etag"), &again.body), (Some(etag.as_str()), &first.body), "the same bytes");
        let not_modified = app.send_raw("POST", path, "application/json", body, &[("If-None-Match", &etag)]).await;
        assert_eq!((not_modified.status, not_modified.body.len()), (304, 0), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_chromium_only_the_pdf_route_is_unavailable_and_it_says_which_variable() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &[("CHROMIUM_PATH", "/nonexistent/chromium")])).await;
    let id = issued(&app, "Ada").await;
    let pdf = app.post_json("/certificate/render-PDF", &json!({"credentialId": id}), &[]).await;
    assert_eq!(pdf.status, 503, "{}", pdf.body);
    assert!(pdf.body["message"].as_str().unwrap().contains("CHROMIUM_PATH"), "{}", pdf.body);
    assert_eq!(render(&app, &id, None).await.0, 200, "HTML needs no Chromium");
    assert_eq!(app.get("/health/ready").await.status, 200, "nor does readiness");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_that_never_finishes_is_a_504_within_the_timeout_and_the_next_pdf_prints() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &[("PDF_TIMEOUT_MS", "3000")])).await;
    let id = issued(&app, "Ada").await;
    let endless = json!({"schemaId": "course", "template": "<p>{{firstName}}</p><script>while (true) {}</script>"});
    let template_id = app.post_json("/certificate/template", &endless, &[]).await.body["data"]["templateId"].clone();
    let started = Instant::now();
    let stuck =
        app.post_json("/certificate/render-PDF", &json!({"credentialId": id, "templateId": template_id}), &[]).await;
    assert_eq!(stuck.status, 504, "{}", stuck.body);
    assert!(started.elapsed() < Duration::from_secs(6), "{:?}", started.elapsed());
    let next = app.print(&id).await;
    assert_eq!(next.status, 201);
}

/// The processes whose command line names a profile of the service `pid`.
fn browsers_of(pid: u32) -> usize {
    let listed = std::process::Command::new("pgrep").args(["-f", &format!("certificate-chromium-{pid}-")]).output();
    String::from_utf8_lossy(&listed.expect("pgrep").stdout).lines().count()
}

/// The printer's Chromium ends with the service even when the service is
/// killed (it kept running before, hundreds of them behind test runs), and
/// the profile it left is removed by the next service's first print.
/// Tried by removing the parent-death signal in
/// crates/certificate-chromium/src/launch.rs: the browser outlived the service.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_service_leaves_no_chromium_and_its_profile_goes_at_the_next_print() {
    let stack = Stack::new().await;
    let mut app = TestApp::process(local_env(&stack, &[])).await;
    let id = issued(&app, "Ada").await;
    assert_eq!(app.print(&id).await.status, 201);
    let pid = app.pid();
    assert!(browsers_of(pid) > 0, "the service started Chromium");
    let profile = std::env::temp_dir().join(format!("certificate-chromium-{pid}-0"));
    assert!(profile.exists(), "{profile:?}");

    app.signal("KILL");
    app.wait_exit(Duration::from_secs(10)).await;
    let started = Instant::now();
    while browsers_of(pid) > 0 && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(browsers_of(pid), 0, "Chromium outlived the service it printed for");

    let next = TestApp::spawn(local_env(&stack, &[])).await;
    assert_eq!(next.print(&issued(&next, "Grace").await).await.status, 201);
    assert!(!profile.exists(), "the profile of the killed service's browser is removed");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_sunbird_rc_the_routes_send_what_the_nestjs_service_sends() {
    let stack = Stack::new().await;
    let app = stack.start_app().await;
    let id = issued(&app, "Ada").await;

    let (status, body) = render(&app, &id, Some("tpl-1")).await;
    assert_eq!((status, body["message"].as_str()), (200, Some("Credential rendered successfully")), "{body}");
    let html = body["data"].as_str().unwrap();
    assert!(html.contains("Ada शर्मा") && html.contains(&format!("id {id}")) && !html.contains("**Id**"), "{html}");
    assert_eq!(stack.upstreams.renderings(), [(id.clone(), "tpl-1".to_owned(), "text/html".to_owned())]);
    let (status, body) = render(&app, &id, None).await;
    assert_eq!(status, 200, "no template: the built-in certificate, from the credential recorded here");
    assert!(body["data"].as_str().unwrap().contains("Ada शर्मा") && stack.upstreams.renderings().len() == 1);
    let pdf = app
        .send_raw(
            "POST",
            "/certificate/render-PDF",
            "application/json",
            json!({"credentialId": id, "templateId": "tpl-1"}).to_string().into(),
            &[],
        )
        .await;
    assert_eq!(pdf.status, 201);
    assert!(PdfFile::write("served-rc", &pdf.body).text().contains("Ada शर्मा"));

    let created =
        app.post_json("/certificate/template", &json!({"schemaId": "s-1", "template": "<p>{{x}}</p>"}), &[]).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["data"]["type"], "Handlebar", "Sunbird RC's answer, passed on: {}", created.body);
    assert!(created.body["data"]["templateId"].is_string());
    let schema = app.post_json("/certificate/schema", &json!({"schema": {"title": "T"}}), &[]).await;
    assert_eq!((schema.status, &schema.body["data"]["title"]), (201, &json!("T")));
    let did = app
        .post_json("/certificate/generateDid", &json!({"userId": "af771398-bc1a-4350-b849-907561d25957"}), &[])
        .await;
    assert!(did.body["data"][0]["id"].as_str().unwrap().starts_with("did:upai:"), "{}", did.body);

    stack.upstreams.set_render(Behaviour::Status(500));
    assert_eq!(render(&app, "urn:uuid:other", Some("tpl-1")).await.0, 502);
    stack.upstreams.set_render(Behaviour::Stall(Duration::from_secs(3)));
    assert_eq!(render(&app, "urn:uuid:other2", Some("tpl-1")).await.0, 504);
    stack.upstreams.set_schemas(Behaviour::Status(503));
    let failed = app.post_json("/certificate/template", &json!({"schemaId": "s-1", "template": "<p/>"}), &[]).await;
    assert_eq!(failed.status, 502, "{}", failed.body);
    assert!(failed.body["message"].as_str().unwrap().contains("credential-schema service"), "{}", failed.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_render_route_needs_the_token_when_tokens_are_set() {
    let stack = Stack::new().await;
    let app = TestApp::spawn(local_env(&stack, &[("API_TOKENS", "render-secret")])).await;
    for path in ["render", "render-PDF", "template", "schema", "generateDid"] {
        let answer = app.post_json(&format!("/certificate/{path}"), &json!({}), &[]).await;
        assert_eq!(answer.status, 401, "{path}");
        let with_token = app
            .post_json(&format!("/certificate/{path}"), &json!({}), &[("Authorization", "Bearer render-secret")])
            .await;
        assert_eq!(with_token.status, 400, "{path}: past the token, the empty body is named");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_pdfs_at_once_with_two_pages_all_print_and_never_more_than_two_pages_open() {
    let stack = Stack::new().await;
    let app = std::sync::Arc::new(TestApp::spawn(local_env(&stack, &[("PDF_CONCURRENCY", "2")])).await);
    let mut ids = Vec::new();
    for n in 0..20 {
        ids.push(issued(&app, &format!("Learner {n}")).await);
    }
    let prints = ids.into_iter().map(|id| {
        let app = app.clone();
        tokio::spawn(async move {
            let body = json!({"credentialId": id}).to_string().into_bytes();
            app.send_raw("POST", "/certificate/render-PDF", "application/json", body, &[]).await.status
        })
    });
    let statuses: Vec<u16> = futures_util::future::join_all(prints).await.into_iter().map(Result::unwrap).collect();
    assert!(statuses.iter().all(|status| *status == 201), "{statuses:?}");
    let metrics = app.send_raw("GET", "/metrics", "text/plain", Vec::new(), &[]).await;
    let metrics = String::from_utf8_lossy(&metrics.body);
    let most = metrics.lines().find(|line| line.starts_with("certificate_pdf_pages_open_max ")).expect("the gauge");
    assert_eq!(most, "certificate_pdf_pages_open_max 2", "two pages at once, never more");
}
