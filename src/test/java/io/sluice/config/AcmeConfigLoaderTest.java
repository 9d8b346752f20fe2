package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tls.acme: the keys, their defaults and their errors. */
class AcmeConfigLoaderTest {
    @TempDir
    Path dir;
    Map<String, String> env;

    @BeforeEach
    void files() throws Exception {
        Files.copy(new io.sluice.tls.TestPki(dir, "acme").caFile(), dir.resolve("ca.crt"));
        env = Map.of("D", dir.toString());
    }

    @Test
    void allTheKeysParseAndCertificatesBecomeOptional() throws Exception {
        SluiceConfig c = ConfigLoader.parse("""
                listeners:
                  - name: s
                    address: 127.0.0.1:0
                    protocol: https
                    tls:
                      acme:
                        directory: https://acme-staging-v02.api.letsencrypt.org/directory
                        email: ops@example.com
                        domains: [example.com, WWW.example.com]
                        storage: ./acme
                        challenge: tls-alpn-01
                        renew_before: 20d
                        check_interval: 1h
                        trust_ca: "${D}/ca.crt"
                    routes: [ { respond: { status: 200 } } ]
                """, ConfigLoaderTest.FILE, env);
        TlsConfig.Acme acme = c.listeners().get(0).tls().acme();
        assertThat(c.listeners().get(0).tls().certificates()).isEmpty();
        assertThat(acme.directory()).isEqualTo("https://acme-staging-v02.api.letsencrypt.org/directory");
        assertThat(acme.email()).isEqualTo("ops@example.com");
        assertThat(acme.domains()).containsExactly("example.com", "www.example.com");
        assertThat(acme.storage()).isEqualTo(ConfigLoaderTest.FILE.toAbsolutePath().getParent().resolve("acme").normalize());
        assertThat(acme.challenge()).isEqualTo(TlsConfig.Challenge.TLS_ALPN_01);
        assertThat(acme.renewBefore()).isEqualTo(Duration.ofDays(20));
        assertThat(acme.checkInterval()).isEqualTo(Duration.ofHours(1));
        assertThat(acme.trustCa()).isEqualTo(dir.resolve("ca.crt"));
    }

    @Test
    void defaults() throws Exception {
        SluiceConfig c = ConfigLoader.parse("""
                listeners:
                  - address: 127.0.0.1:0
                    protocol: https
                    tls:
                      acme: { directory: "acme://letsencrypt.org", domains: [example.com], storage: /var/lib/sluice/acme }
                    routes: [ { respond: { status: 200 } } ]
                """, ConfigLoaderTest.FILE, env);
        TlsConfig.Acme acme = c.listeners().get(0).tls().acme();
        assertThat(acme.email()).isNull();
        assertThat(acme.challenge()).isEqualTo(TlsConfig.Challenge.HTTP_01);
        assertThat(acme.renewBefore()).isEqualTo(Duration.ofDays(30));
        assertThat(acme.checkInterval()).isEqualTo(Duration.ofHours(12));
        assertThat(acme.trustCa()).isNull();
    }

    @Test
    void badValuesAreReportedWhereTheyAre() {
        List<String> errors = ConfigLoaderTest.errors("""
                listeners:
                  - address: 127.0.0.1:0
                    protocol: https
                    tls:
                      acme:
                        directory: http://insecure.example/dir
                        email: not-an-address
                        domains: ["*.example.com", "bad_name"]
                        storage: ./acme
                        challenge: dns-01
                        renew_befor: 10d
                        trust_ca: missing.crt
                    routes: [ { respond: { status: 200 } } ]
                """, env);
        assertThat(errors).contains(
                "test.yaml:11:9: unknown key 'renew_befor' in acme (did you mean 'renew_before'?)",
                "test.yaml:6:20: 'http://insecure.example/dir' is not an https:// (or acme://) URL of an ACME directory",
                "test.yaml:7:16: 'not-an-address' is not an email address",
                "test.yaml:8:18: '*.example.com' is not a domain name ACME can certify (wildcards need DNS-01, which is not supported)",
                "test.yaml:8:18: 'bad_name' is not a domain name ACME can certify",
                "test.yaml:10:20: unknown ACME challenge 'dns-01' (expected http-01 or tls-alpn-01)");
        assertThat(errors).anyMatch(e -> e.startsWith("test.yaml:12:19: trust_ca file 'missing.crt' does not exist"));
    }

    @Test
    void anHttpsListenerNeedsCertificatesOrAcme() {
        assertThat(ConfigLoaderTest.errors("""
                listeners:
                  - address: 127.0.0.1:0
                    protocol: https
                    tls: { provider: jdk }
                    routes: [ { respond: { status: 200 } } ]
                """, env)).containsExactly("test.yaml:4:10: missing key 'certificates' in tls");
        assertThat(ConfigLoaderTest.errors("""
                listeners:
                  - address: 127.0.0.1:0
                    protocol: https
                    tls: { acme: { directory: "https://ca.example/dir", storage: ./acme } }
                    routes: [ { respond: { status: 200 } } ]
                """, env)).containsExactly("test.yaml:4:18: missing key 'domains' in acme");
    }
}
