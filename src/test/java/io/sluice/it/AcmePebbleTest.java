package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.tls.TestPki;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tls.acme end to end against Pebble (Debian's {@code pebble} package), all on loopback: pebble-challtestsrv
 * answers every DNS name with 127.0.0.1, Pebble validates HTTP-01 and TLS-ALPN-01 against Sluice's
 * listeners (its httpPort/tlsPort are set to them). Skipped when pebble is not installed.
 */
class AcmePebbleTest {
    private static final String DOMAIN = "acme.sluice.test";

    @TempDir
    static Path dir;
    static final List<Process> processes = new ArrayList<>();
    static int acmePort;
    static int httpPort;
    static int httpsPort;
    static TestPki pki;
    static SSLContext trustPebble;

    @BeforeAll
    static void startPebble() throws Exception {
        assumeTrue(onPath("pebble") && onPath("pebble-challtestsrv"), "pebble is not installed");
        pki = new TestPki(dir, "pebble-front");
        TestPki.Issued front = pki.issue("pebble", "localhost", "127.0.0.1");
        acmePort = freePort();
        int managementPort = freePort();
        int dnsPort = freePort();
        httpPort = freePort();
        httpsPort = freePort();
        Path config = dir.resolve("pebble.json");
        Files.writeString(config, """
                { "pebble": {
                    "listenAddress": "127.0.0.1:%d",
                    "managementListenAddress": "127.0.0.1:%d",
                    "certificate": "%s",
                    "privateKey": "%s",
                    "httpPort": %d,
                    "tlsPort": %d,
                    "ocspResponderURL": "",
                    "externalAccountBindingRequired": false } }
                """.formatted(acmePort, managementPort, front.cert(), front.key(), httpPort, httpsPort));
        start(List.of("pebble-challtestsrv", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
                "-dns01", "127.0.0.1:" + dnsPort, "-http01", "", "-https01", "", "-tlsalpn01", "",
                "-management", "127.0.0.1:" + freePort()), "challtestsrv");
        start(List.of("pebble", "-config", config.toString(), "-dnsserver", "127.0.0.1:" + dnsPort), "pebble");
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> listening(acmePort) && listening(managementPort));

        // Pebble's issuing root (a new one each run) from its management endpoint
        HttpClient client = HttpClient.newBuilder().sslContext(pki.clientContext(null)).build();
        String root = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + managementPort + "/roots/0"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        X509Certificate rootCert = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(root.getBytes(StandardCharsets.US_ASCII)));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("pebble", rootCert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        trustPebble = SSLContext.getInstance("TLS");
        trustPebble.init(null, tmf.getTrustManagers(), null);
    }

    @AfterAll
    static void stopPebble() {
        for (Process p : processes) {
            p.destroy();
        }
    }

    @Test
    void http01ObtainsACertificateAndAStoredOneIsUsedAtOnce() throws Exception {
        Path storage = dir.resolve("storage-http");
        String yaml = yaml(storage, "http-01", "30d", "1h");
        BigInteger serial;
        try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml, Map.of())) {
            X509Certificate cert = awaitPebbleCertificate(null);
            serial = cert.getSerialNumber();
            assertThat(cert.getIssuerX500Principal().getName()).containsIgnoringCase("pebble");
            assertThat(get(DOMAIN)).startsWith("HTTP/1.1 200").endsWith("acme ok\n");
            // the http listener still redirects everything that is not a challenge
            try (Socket s = new Socket("127.0.0.1", httpPort)) {
                s.setSoTimeout(5000);
                s.getOutputStream().write(("GET /x HTTP/1.1\r\nHost: " + DOMAIN + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                assertThat(new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 308");
            }
        }
        assertThat(storage.resolve("account.key")).exists();
        assertThat(storage.resolve(DOMAIN).resolve("domain.key")).exists();
        assertThat(storage.resolve(DOMAIN).resolve("chain.pem")).exists();
        // the keys and the folders that hold them are the owner's alone; no temporary file is left behind
        assertThat(permissions(storage.resolve("account.key"))).isEqualTo("rw-------");
        assertThat(permissions(storage.resolve(DOMAIN).resolve("domain.key"))).isEqualTo("rw-------");
        assertThat(permissions(storage)).isEqualTo("rwx------");
        assertThat(permissions(storage.resolve(DOMAIN))).isEqualTo("rwx------");
        try (var files = Files.list(storage.resolve(DOMAIN))) {
            assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
        // a restart serves the stored certificate from the first handshake on
        try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml, Map.of())) {
            assertThat(served(DOMAIN).getSerialNumber()).isEqualTo(serial);
        }
    }

    @Test
    void tlsAlpn01ObtainsACertificate() throws Exception {
        // a certificate folder left open by an older version, with a crash's leftover temporary key file
        Path folder = Files.createDirectories(dir.resolve("storage-alpn").resolve(DOMAIN));
        Files.setPosixFilePermissions(folder, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(folder.resolve("domain.key.tmp"), "stale");
        Files.setPosixFilePermissions(folder.resolve("domain.key.tmp"),
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml(dir.resolve("storage-alpn"), "tls-alpn-01", "30d", "1h"),
                Map.of())) {
            X509Certificate cert = awaitPebbleCertificate(null);
            assertThat(cert.getIssuerX500Principal().getName()).containsIgnoringCase("pebble");
            assertThat(get(DOMAIN)).startsWith("HTTP/1.1 200").endsWith("acme ok\n");
        }
        assertThat(permissions(folder)).isEqualTo("rwx------");
        assertThat(permissions(folder.resolve("domain.key"))).isEqualTo("rw-------");
        assertThat(folder.resolve("domain.key.tmp")).doesNotExist();
    }

    @Test
    void renewsBeforeExpiryWithoutRestart() throws Exception {
        // renew_before longer than Pebble's certificates live: renewed at every check (1s)
        try (SluiceUnderTest sluice = SluiceUnderTest.start(yaml(dir.resolve("storage-renew"), "http-01", "36500d", "1s"),
                Map.of())) {
            X509Certificate first = awaitPebbleCertificate(null);
            SSLSocket open = connect(DOMAIN);
            X509Certificate second = awaitPebbleCertificate(first.getSerialNumber());
            assertThat(second.getSerialNumber()).isNotEqualTo(first.getSerialNumber());
            // a connection opened on the old certificate is still served
            open.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + DOMAIN + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(read(open)).startsWith("HTTP/1.1 200").endsWith("acme ok\n");
            open.close();
        }
    }

    private static String permissions(Path file) throws IOException {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }

    private static String yaml(Path storage, String challenge, String renewBefore, String checkInterval) {
        return """
                listeners:
                  - name: plain
                    address: 127.0.0.1:%d
                    redirect_to_https: true
                    https_port: %d
                    routes:
                      - respond: { status: 404 }
                  - name: secure
                    address: 127.0.0.1:%d
                    protocol: https
                    tls:
                      acme:
                        directory: https://127.0.0.1:%d/dir
                        email: admin@sluice.test
                        domains: [%s]
                        storage: "%s"
                        challenge: %s
                        renew_before: %s
                        check_interval: %s
                        trust_ca: "%s"
                    routes:
                      - respond: { status: 200, body: "acme ok\\n" }
                """.formatted(httpPort, httpsPort, httpsPort, acmePort, DOMAIN, storage, challenge, renewBefore,
                checkInterval, pki.caFile());
    }

    /** Waits until the https listener serves a certificate Pebble issued (and, given, with another serial). */
    private static X509Certificate awaitPebbleCertificate(BigInteger not) {
        AtomicReference<X509Certificate> seen = new AtomicReference<>();
        Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().until(() -> {
                    X509Certificate c = served(DOMAIN);
                    seen.set(c);
                    return not == null || !c.getSerialNumber().equals(not);
                });
        return seen.get();
    }

    /** The certificate served for {@code sni}; throws unless it chains to Pebble's root. */
    private static X509Certificate served(String sni) throws Exception {
        try (SSLSocket s = connect(sni)) {
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    private static SSLSocket connect(String sni) throws Exception {
        SSLSocket s = (SSLSocket) trustPebble.getSocketFactory().createSocket("127.0.0.1", httpsPort);
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(sni)));
        p.setApplicationProtocols(new String[] {"http/1.1"});
        p.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    private static String get(String host) throws Exception {
        try (SSLSocket s = connect(host)) {
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return read(s);
        }
    }

    private static String read(SSLSocket s) throws IOException {
        byte[] buf = new byte[4096];
        int n = s.getInputStream().read(buf);
        return new String(buf, 0, n, StandardCharsets.US_ASCII);
    }

    private static void start(List<String> command, String name) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile());
        pb.environment().put("PEBBLE_VA_NOSLEEP", "1");
        pb.environment().put("PEBBLE_VA_ALWAYS_VALID", "0");
        pb.environment().put("PEBBLE_WFE_NONCEREJECT", "0");
        processes.add(pb.start());
    }

    private static boolean onPath(String exe) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, exe))) {
                return true;
            }
        }
        return false;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
