package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.tls.TestPki;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** https:// endpoints: the upstream's certificate is checked against the given CA (or the system's) and name. */
class UpstreamTlsTest {
    @TempDir
    static Path dir;
    static TestPki pki;
    static TestPki other;
    static TestPki.Issued backendCert;
    static TestPki.Issued client;

    @BeforeAll
    static void certificates() throws Exception {
        pki = new TestPki(dir, "upstream");
        other = new TestPki(dir, "other");
        backendCert = pki.issue("backend", "backend.test", "127.0.0.1");
        client = pki.issue("proxy-client", "proxy.test");
    }

    /** The TLS backend: a Sluice https listener that answers by itself, asking for a client certificate optionally. */
    static SluiceUnderTest backend() throws Exception {
        return SluiceUnderTest.start("""
                listeners:
                  - name: secure
                    address: 127.0.0.1:0
                    protocol: https
                    tls:
                      client_ca: "${CA}"
                      client_auth: optional
                      certificates:
                        - { cert: "${CRT}", key: "${KEY}" }
                    routes:
                      - respond: { status: 200, body: "tls backend\\n" }
                """, Map.of("CRT", backendCert.cert().toString(), "KEY", backendCert.key().toString(),
                "CA", pki.caFile().toString()));
    }

    static String proxy(String tls, String host) {
        return """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - { upstream: secure }
                upstreams:
                  secure:
                    endpoints:
                      - { address: "https://%s:${PORT}" }
                %s
                """.formatted(host, tls);
    }

    static int get(SluiceUnderTest proxy) throws Exception {
        HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(HttpRequest.newBuilder(proxy.uri("main", "/")).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
            assertThat(r.body()).isEqualTo("tls backend\n");
        }
        return r.statusCode();
    }

    static Map<String, String> env(SluiceUnderTest backend) {
        Map<String, String> env = new HashMap<>();
        env.put("PORT", String.valueOf(backend.port("secure")));
        env.put("CA", pki.caFile().toString());
        env.put("OTHER_CA", other.caFile().toString());
        env.put("CLIENT_CRT", client.cert().toString());
        env.put("CLIENT_KEY", client.key().toString());
        return env;
    }

    @Test
    void verifiedAgainstTheGivenCa() throws Exception {
        try (SluiceUnderTest backend = backend();
             SluiceUnderTest proxy = SluiceUnderTest.start(proxy("    tls: { ca: \"${CA}\" }", "127.0.0.1"), env(backend))) {
            assertThat(get(proxy)).isEqualTo(200);
        }
    }

    @Test
    void http2OverTlsToTheUpstream() throws Exception {
        String tls = "    protocol: h2\n    tls: { ca: \"${CA}\" }";
        try (SluiceUnderTest backend = backend(); SluiceUnderTest proxy = SluiceUnderTest.start(proxy(tls, "127.0.0.1"), env(backend))) {
            for (int i = 0; i < 3; i++) {
                assertThat(get(proxy)).isEqualTo(200);
            }
        }
        String wrong = "    protocol: h2\n    tls: { ca: \"${OTHER_CA}\" }";
        try (SluiceUnderTest backend = backend(); SluiceUnderTest proxy = SluiceUnderTest.start(proxy(wrong, "127.0.0.1"), env(backend))) {
            assertThat(get(proxy)).isEqualTo(502);
        }
    }

    @Test
    void serverNameAndClientCertificate() throws Exception {
        String tls = "    tls: { ca: \"${CA}\", server_name: backend.test, client_cert: \"${CLIENT_CRT}\", client_key: \"${CLIENT_KEY}\" }";
        try (SluiceUnderTest backend = backend(); SluiceUnderTest proxy = SluiceUnderTest.start(proxy(tls, "127.0.0.1"), env(backend))) {
            assertThat(get(proxy)).isEqualTo(200);
        }
    }

    @Test
    void refusedWithTheWrongCaTheSystemCaOrTheWrongName() throws Exception {
        try (SluiceUnderTest backend = backend()) {
            try (SluiceUnderTest proxy = SluiceUnderTest.start(proxy("    tls: { ca: \"${OTHER_CA}\" }", "127.0.0.1"), env(backend))) {
                assertThat(get(proxy)).isEqualTo(502);
            }
            try (SluiceUnderTest proxy = SluiceUnderTest.start(proxy("", "127.0.0.1"), env(backend))) {
                assertThat(get(proxy)).isEqualTo(502);
            }
            try (SluiceUnderTest proxy = SluiceUnderTest.start(proxy("    tls: { ca: \"${CA}\", server_name: wrong.test }",
                    "127.0.0.1"), env(backend))) {
                assertThat(get(proxy)).isEqualTo(502);
            }
            try (SluiceUnderTest proxy = SluiceUnderTest.start(proxy("    tls: { verify: false }", "127.0.0.1"), env(backend))) {
                assertThat(get(proxy)).isEqualTo(200);
            }
        }
    }
}
