package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.tls.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TLS and HTTP/2 keys: listener tls, redirect_to_https, upstream protocol and tls. */
class TlsConfigLoaderTest {
    @TempDir
    Path dir;
    Map<String, String> env;

    @BeforeEach
    void files() throws Exception {
        TestPki pki = new TestPki(dir, "loader");
        pki.issue("a", "a.test"); // a.crt and its key a.key
        Files.copy(pki.caFile(), dir.resolve("ca.crt"));
        env = Map.of("D", dir.toString());
    }

    @Test
    void allTheKeysParse() throws Exception {
        SluiceConfig c = ConfigLoader.parse("""
                listeners:
                  - name: s
                    address: 127.0.0.1:0
                    protocol: https
                    tls:
                      certificates: [ { cert: "${D}/a.crt", key: "${D}/a.key" } ]
                      provider: jdk
                      protocols: [TLSv1.3]
                      ciphers: [TLS_AES_128_GCM_SHA256]
                      client_ca: "${D}/ca.crt"
                      client_auth: optional
                      reload_interval: 250ms
                    routes: [ { upstream: u } ]
                  - name: p
                    address: 127.0.0.1:0
                    redirect_to_https: true
                    https_port: 8443
                    routes: [ { upstream: u } ]
                upstreams:
                  u:
                    protocol: h2
                    endpoints: [ { address: "https://127.0.0.1:9443" } ]
                    tls: { ca: "${D}/ca.crt", server_name: api.internal, verify: true }
                """, ConfigLoaderTest.FILE, env);
        TlsConfig tls = c.listeners().get(0).tls();
        assertThat(tls.provider()).isEqualTo("jdk");
        assertThat(tls.protocols()).containsExactly("TLSv1.3");
        assertThat(tls.ciphers()).containsExactly("TLS_AES_128_GCM_SHA256");
        assertThat(tls.clientCa()).isEqualTo(dir.resolve("ca.crt"));
        assertThat(tls.clientAuth()).isEqualTo(TlsConfig.ClientAuth.OPTIONAL);
        assertThat(tls.reloadInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.listeners().get(1).redirectToHttps()).isTrue();
        assertThat(c.listeners().get(1).httpsPort()).isEqualTo(8443);
        UpstreamConfig u = c.upstreams().get("u");
        assertThat(u.protocol()).isEqualTo(UpstreamConfig.Wire.H2);
        assertThat(u.tls()).isEqualTo(new UpstreamTlsConfig(dir.resolve("ca.crt"), null, null, true, "api.internal"));
    }

    @Test
    void defaults() throws Exception {
        SluiceConfig c = ConfigLoader.parse("""
                listeners:
                  - address: 127.0.0.1:0
                    protocol: https
                    tls: { certificates: [ { cert: "${D}/a.crt", key: "${D}/a.key" } ], client_ca: "${D}/ca.crt" }
                    routes: [ { upstream: u } ]
                upstreams:
                  u: { endpoints: [ { address: "127.0.0.1:9001" } ] }
                """, ConfigLoaderTest.FILE, env);
        TlsConfig tls = c.listeners().get(0).tls();
        assertThat(tls.provider()).isNull();
        assertThat(tls.protocols()).isEmpty();
        assertThat(tls.clientAuth()).isEqualTo(TlsConfig.ClientAuth.REQUIRE);
        assertThat(tls.reloadInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.listeners().get(0).redirectToHttps()).isFalse();
        assertThat(c.upstreams().get("u").protocol()).isEqualTo(UpstreamConfig.Wire.HTTP1);
        assertThat(c.upstreams().get("u").tls()).isEqualTo(UpstreamTlsConfig.DEFAULTS);
    }

    @Test
    void badValuesAreReportedWhereTheyAre() {
        List<String> errors = ConfigLoaderTest.errors("""
                listeners:
                  - address: 127.0.0.1:0
                    protocol: https
                    redirect_to_https: true
                    tls:
                      certificates: [ { cert: "${D}/a.crt", key: "${D}/a.key" } ]
                      provider: libressl
                      protocols: [TLSv1.1]
                      client_auth: require
                    routes: [ { upstream: u } ]
                upstreams:
                  u:
                    protocol: h3
                    endpoints: [ { address: "127.0.0.1:9001" } ]
                    tls: { client_cert: "${D}/a.crt" }
                """, env);
        assertThat(errors).containsExactly(
                "test.yaml:4:5: 'redirect_to_https' is only for http listeners (https listener 'listener-1')",
                "test.yaml:7:17: unknown TLS provider 'libressl' (expected openssl or jdk)",
                "test.yaml:8:18: unsupported TLS protocol 'TLSv1.1' (expected TLSv1.2 and/or TLSv1.3)",
                "test.yaml:9:20: 'client_auth' needs 'client_ca' (the CA that signs client certificates)",
                "test.yaml:13:15: unknown upstream protocol 'h3' (did you mean 'h2'?)",
                "test.yaml:15:10: 'client_cert' and 'client_key' go together (one of them is missing)");
    }

    @Test
    void aCertificateAndKeyThatDoNotLoadOrDoNotPairAreReportedWhereTheyAre() throws Exception {
        new TestPki(dir, "other").issue("b", "b.test"); // b.key is not a.crt's key
        Files.writeString(dir.resolve("junk.crt"), "not a certificate\n");
        List<String> errors = ConfigLoaderTest.errors("""
                listeners:
                  - address: 127.0.0.1:0
                    protocol: https
                    tls:
                      certificates:
                        - { cert: "${D}/a.crt", key: "${D}/b.key" }
                        - { cert: "${D}/junk.crt", key: "${D}/a.key" }
                        - { cert: "${D}/a.crt", key: "${D}/a.crt" }
                    routes: [ { upstream: u } ]
                upstreams:
                  u: { endpoints: [ { address: "127.0.0.1:9001" } ] }
                """, env);
        assertThat(errors).hasSize(3);
        assertThat(errors.get(0)).startsWith("test.yaml:6:38: key file '" + dir.resolve("b.key")
                + "' is not the key of certificate a.crt (CN=a.test): use the key the certificate was issued for");
        assertThat(errors.get(1)).startsWith("test.yaml:7:19: certificate file '" + dir.resolve("junk.crt")
                + "' holds no PEM certificate");
        assertThat(errors.get(2)).isEqualTo("test.yaml:8:38: key file '" + dir.resolve("a.crt")
                + "' holds no private key (expected PEM 'PRIVATE KEY', 'RSA PRIVATE KEY' or 'EC PRIVATE KEY')");
    }

    @Test
    void caFilesWithoutCertificatesAndUpstreamClientPairsThatDoNotMatchAreReported() throws Exception {
        new TestPki(dir, "other").issue("b", "b.test");
        Files.writeString(dir.resolve("junk.crt"), "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        List<String> errors = ConfigLoaderTest.errors("""
                listeners:
                  - address: 127.0.0.1:0
                    protocol: https
                    tls: { certificates: [ { cert: "${D}/a.crt", key: "${D}/a.key" } ], client_ca: "${D}/junk.crt" }
                    routes: [ { upstream: u } ]
                upstreams:
                  u:
                    endpoints: [ { address: "https://127.0.0.1:9443" } ]
                    tls: { ca: "${D}/junk.crt", client_cert: "${D}/a.crt", client_key: "${D}/b.key" }
                """, env);
        assertThat(errors).hasSize(3);
        assertThat(errors.get(0)).startsWith("test.yaml:4:84: client CA file '" + dir.resolve("junk.crt")
                + "' holds no PEM certificate");
        assertThat(errors.get(1)).startsWith("test.yaml:9:16: CA file '" + dir.resolve("junk.crt")
                + "' holds no PEM certificate");
        assertThat(errors.get(2)).startsWith("test.yaml:9:72: client key file '" + dir.resolve("b.key")
                + "' is not the key of certificate a.crt (CN=a.test)");
    }

    @Test
    void http3IsForHttpsListenersWithCertificates() throws Exception {
        SluiceConfig c = ConfigLoader.parse("""
                listeners:
                  - address: 127.0.0.1:0
                    protocol: https
                    http3: true
                    tls: { certificates: [ { cert: "${D}/a.crt", key: "${D}/a.key" } ] }
                    routes: [ { upstream: u } ]
                upstreams:
                  u: { endpoints: [ { address: "127.0.0.1:9001" } ] }
                """, ConfigLoaderTest.FILE, env);
        assertThat(c.listeners().get(0).http3()).isTrue();

        List<String> errors = ConfigLoaderTest.errors("""
                listeners:
                  - address: 127.0.0.1:0
                    http3: true
                    routes: [ { upstream: u } ]
                  - address: 127.0.0.1:1
                    protocol: https
                    http3: yes
                    tls: { certificates: [ { cert: "${D}/a.crt", key: "${D}/a.key" } ] }
                    routes: [ { upstream: u } ]
                upstreams:
                  u: { endpoints: [ { address: "127.0.0.1:9001" } ] }
                """, env);
        assertThat(errors).hasSize(2);
        assertThat(errors.get(0)).isEqualTo("test.yaml:3:5: 'http3' is only for https listeners (http listener 'listener-1'): HTTP/3 is QUIC, which is always TLS 1.3");
        assertThat(errors.get(1)).startsWith("test.yaml:7:12: ");
    }
}
