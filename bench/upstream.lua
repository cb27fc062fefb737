-- wrk script: the upstream fake alone, with the credential request's body.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"credential":{"@context":["https://www.w3.org/2018/credentials/v1","https://schema"],' ..
    '"type":["VerifiableCredential","CourseCertificate"],"issuer":"did:upai:issuer",' ..
    '"issuanceDate":"2025-10-13T00:00:00.000Z","expirationDate":"2026-10-13T00:00:00.000Z",' ..
    '"credentialSubject":{"id":"did:upai:x","type":"CourseCertificate","firstName":"John","middleName":"",' ..
    '"lastName":"Doe","userId":"af771398-bc1a-4350-b849-907561d25957","courseId":"do_1",' ..
    '"courseName":"Introduction to Programming","issuedOn":"November 2026","certificateId":"**Id**"}},' ..
    '"credentialSchemaId":"s","credentialSchemaVersion":"1.0.0","tags":[]}'

function done(summary, latency, requests)
    io.write(string.format('BENCH_JSON {"requests": %d, "duration_us": %d, "p99_us": %d}\n',
        summary.requests, summary.duration, latency:percentile(99)))
end
