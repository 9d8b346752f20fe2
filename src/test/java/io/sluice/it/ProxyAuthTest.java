package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * {@code forward_proxy.auth}: without good {@code Proxy-Authorization: Basic} credentials, CONNECT and
 * absolute-form requests get 407 with {@code Proxy-Authenticate} on a connection that stays open, so the
 * client can try again; with them they go through, {@code Proxy-Authorization} is not forwarded, and the
 * access rules still apply.
 */
class ProxyAuthTest {
    static final String YAML = """
            listeners:
              - name: egress
                address: 127.0.0.1:0
                forward_proxy:
                  allow: ["127.0.0.1:${OPEN}"]
                  auth: { users_file: "${USERS}", realm: "egress proxy" }
            access_log:
              format: json
              path: ${LOG}
            admin:
              address: 127.0.0.1:0
            """;

    static String basic(String userColonPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
    }

    private static Path usersFile() throws Exception {
        Path users = Files.createTempDirectory("users").resolve("users.htpasswd");
        Files.writeString(users, "alice:" + BCrypt.with(BCrypt.Version.VERSION_2Y).hashToString(4, "wonder".toCharArray())
                + "\n");
        return users;
    }

    @Test
    void curlWithAndWithoutProxyCredentials() throws Exception {
        Tools.assumeInstalled("curl");
        Path log = Files.createTempDirectory("fwd").resolve("access.log");
        try (TestUpstream open = TestUpstream.start("open");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("OPEN", "" + open.port(),
                     "USERS", usersFile().toString(), "LOG", log.toString()))) {
            String proxy = "http://127.0.0.1:" + sluice.port("egress");
            String target = "http://127.0.0.1:" + open.port();

            Tools.Result plain = Tools.run("curl", "-sS", "-x", proxy, "--proxy-user", "alice:wonder",
                    target + "/plain");
            assertThat(plain.out()).as(plain.err()).isEqualTo("open\n");
            TestUpstream.Received got = open.next();
            assertThat(got.uri()).isEqualTo("/plain");
            assertThat(got.header("Proxy-Authorization")).isNull();

            Tools.Result tunnel = Tools.run("curl", "-sS", "-p", "-x", proxy, "--proxy-user", "alice:wonder",
                    target + "/tunnel");
            assertThat(tunnel.out()).as(tunnel.err()).isEqualTo("open\n");
            assertThat(open.next().uri()).isEqualTo("/tunnel");

            Tools.Result refused = Tools.run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-x", proxy,
                    target + "/none");
            assertThat(refused.out()).isEqualTo("407");
            Tools.Result wrong = Tools.run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-x", proxy,
                    "--proxy-user", "alice:nope", target + "/wrong");
            assertThat(wrong.out()).isEqualTo("407");
            Tools.Result refusedTunnel = Tools.run("curl", "-sS", "-p", "-x", proxy, "--proxy-user", "alice:nope",
                    target + "/wrong-tunnel");
            assertThat(refusedTunnel.out()).isEmpty();
            assertThat(refusedTunnel.err()).contains("407");
            assertThat(open.receivedCount()).isZero();

            // a 407 is counted and logged as the request it answers
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(log)
                    && Files.readString(log).contains("407"));
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(sluice.adminUri("/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).containsPattern("code=\"407\"");
        }
    }

    /** Every bad try on one connection: each 407 with the challenge, the connection kept, then a good one goes through. */
    @Test
    void badCredentialsGet407OnAConnectionThatStaysOpen() throws Exception {
        Path log = Files.createTempDirectory("fwd").resolve("access.log");
        try (TestUpstream open = TestUpstream.start("open");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("OPEN", "" + open.port(),
                     "USERS", usersFile().toString(), "LOG", log.toString()))) {
            String target = "127.0.0.1:" + open.port();
            String[] bad = {
                null,                                   // no header
                basic("alice:nope"),                    // wrong password
                basic("mallory:wonder"),                // unknown user
                "Basic !!!not-base64",                  // malformed base64
                basic("alice"),                         // no colon
                "Bearer " + basic("alice:wonder").substring(6), // not Basic
                "Digest username=\"alice\"",
            };
            try (RawHttp c = new RawHttp(sluice.port("egress"))) {
                for (String header : bad) {
                    c.send("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n"
                            + (header == null ? "" : "Proxy-Authorization: " + header + "\r\n") + "\r\n");
                    RawHttp.Response r = c.read();
                    assertThat(r.status()).as("CONNECT with " + header).isEqualTo(407);
                    assertThat(r.header("proxy-authenticate")).isEqualTo("Basic realm=\"egress proxy\"");
                    assertThat(r.header("connection")).isNotEqualToIgnoringCase("close");
                }
                for (String header : bad) {
                    // an absolute-form request with a body: answered before the body, which is read and dropped
                    c.send("POST http://" + target + "/p HTTP/1.1\r\nHost: " + target + "\r\nContent-Length: 5\r\n"
                            + (header == null ? "" : "Proxy-Authorization: " + header + "\r\n") + "\r\nhello");
                    RawHttp.Response r = c.read();
                    assertThat(r.status()).as("POST with " + header).isEqualTo(407);
                    assertThat(r.header("proxy-authenticate")).isEqualTo("Basic realm=\"egress proxy\"");
                }
                assertThat(open.receivedCount()).isZero();

                c.send("GET http://" + target + "/good HTTP/1.1\r\nHost: " + target + "\r\nProxy-Authorization: "
                        + basic("alice:wonder") + "\r\n\r\n");
                RawHttp.Response ok = c.read();
                assertThat(ok.status()).isEqualTo(200);
                assertThat(ok.bodyText()).isEqualTo("open\n");
                TestUpstream.Received got = open.next();
                assertThat(got.uri()).isEqualTo("/good");
                assertThat(got.header("Proxy-Authorization")).isNull();

                // the same credentials again (remembered, no bcrypt), then a tunnel on this very connection
                c.send("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\nProxy-Authorization: "
                        + basic("alice:wonder") + "\r\n\r\n");
                assertThat(c.read(true).status()).isEqualTo(200);
                c.send("GET /through HTTP/1.1\r\nHost: " + target + "\r\n\r\n");
                assertThat(c.read().bodyText()).isEqualTo("open\n");
                TestUpstream.Received through = open.next();
                assertThat(through.uri()).isEqualTo("/through");
                assertThat(through.header("Proxy-Authorization")).isNull();
            }

            // the access rules still apply once the client is known: a destination not allowed is 403
            try (RawHttp c = new RawHttp(sluice.port("egress"))) {
                String other = "127.0.0.1:" + (open.port() == 65535 ? 1 : open.port() + 1);
                c.send("CONNECT " + other + " HTTP/1.1\r\nHost: " + other + "\r\nProxy-Authorization: "
                        + basic("alice:wonder") + "\r\n\r\n");
                assertThat(c.read().status()).isEqualTo(403);
                c.send("CONNECT " + other + " HTTP/1.1\r\nHost: " + other + "\r\n\r\n");
                assertThat(c.read().status()).isEqualTo(407);
            }
        }
    }
}
