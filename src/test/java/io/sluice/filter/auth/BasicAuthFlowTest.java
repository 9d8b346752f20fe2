package io.sluice.filter.auth;

import static io.sluice.filter.auth.PasswordCheckTest.basic;
import static io.sluice.filter.auth.PasswordCheckTest.bcrypt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.config.ConfigError;
import io.sluice.config.ConfigException;
import io.sluice.config.ConfigLoader;
import io.sluice.it.RawHttp;
import io.sluice.it.SluiceUnderTest;
import io.sluice.it.TestUpstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code basic_auth} filter through real sockets: 401 with the challenge, 200 with good credentials
 * ({@code Authorization} forwarded), the check off the event loop, the users file read again on reload (a bad
 * one refuses the reload), and bad files reported at the configuration key.
 */
class BasicAuthFlowTest {
    static final String YAML = """
            server:
              workers: 1
            listeners:
              - name: web
                address: 127.0.0.1:0
                routes:
                  - name: staff
                    match: { path_prefix: /staff/ }
                    filters:
                      - basic_auth: { users_file: "${USERS}", realm: "staff only" }
                    upstream: app
                  - name: public
                    upstream: app
            upstreams:
              app:
                endpoints: [ { address: "${UP1}" } ]
            """;

    @TempDir
    Path dir;

    @AfterEach
    void noHook() {
        PasswordCheck.beforeCheck = null;
    }

    private static RawHttp.Response get(int port, String path, String authorization) throws Exception {
        try (RawHttp c = new RawHttp(port)) {
            c.send("GET " + path + " HTTP/1.1\r\nHost: h\r\n"
                    + (authorization == null ? "" : "Authorization: " + authorization + "\r\n") + "\r\n");
            return c.read();
        }
    }

    @Test
    void answers401WithoutGoodCredentialsAndForwardsWithThem() throws Exception {
        Path users = dir.resolve("users.htpasswd");
        Files.writeString(users, "alice:" + bcrypt("2y", "wonder") + "\n");
        try (TestUpstream app = TestUpstream.start("app");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("USERS", users.toString(),
                     "UP1", app.address()))) {
            int port = sluice.port("web");
            for (String bad : new String[] {null, basic("alice:nope"), basic("bob:wonder"), "Basic %%%", basic("alice"),
                    "Bearer abc"}) {
                RawHttp.Response r = get(port, "/staff/x", bad);
                assertThat(r.status()).as(bad).isEqualTo(401);
                assertThat(r.header("www-authenticate")).isEqualTo("Basic realm=\"staff only\"");
                assertThat(r.header("x-request-id")).isNotEmpty();
            }
            assertThat(app.receivedCount()).isZero();

            for (int i = 0; i < 2; i++) { // the second is remembered: no bcrypt
                RawHttp.Response ok = get(port, "/staff/x", basic("alice:wonder"));
                assertThat(ok.status()).isEqualTo(200);
                assertThat(app.next().header("Authorization")).isEqualTo(basic("alice:wonder"));
            }
            assertThat(get(port, "/other", null).status()).isEqualTo(200); // a route without the filter
        }
    }

    /** A check that has not finished holds neither the event loop nor the other clients on it (one event loop here). */
    @Test
    void theCheckRunsOffTheEventLoop() throws Exception {
        Path users = dir.resolve("users.htpasswd");
        Files.writeString(users, "alice:" + bcrypt("2y", "wonder") + "\n");
        CountDownLatch inCheck = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        String[] checkThread = new String[1];
        try (TestUpstream app = TestUpstream.start("app");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("USERS", users.toString(),
                     "UP1", app.address()))) {
            int port = sluice.port("web");
            PasswordCheck.beforeCheck = () -> {
                checkThread[0] = Thread.currentThread().getName();
                inCheck.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            // a body sent while the check runs is held, then forwarded whole
            CompletableFuture<RawHttp.Response> waiting = CompletableFuture.supplyAsync(() -> {
                try (RawHttp c = new RawHttp(port)) {
                    c.send("POST /staff/slow HTTP/1.1\r\nHost: h\r\nAuthorization: " + basic("alice:wonder")
                            + "\r\nContent-Length: 11\r\n\r\nhello world");
                    return c.read();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            assertThat(inCheck.await(20, TimeUnit.SECONDS)).isTrue();
            assertThat(checkThread[0]).startsWith(PasswordCheck.THREAD_NAME);
            // the only event loop serves another client while the check is held
            assertThat(get(port, "/open", null).status()).isEqualTo(200);
            assertThat(app.next().uri()).isEqualTo("/open");
            assertThat(waiting).isNotDone();
            release.countDown();
            assertThat(waiting.get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
            TestUpstream.Received slow = app.next();
            assertThat(slow.uri()).isEqualTo("/staff/slow");
            assertThat(slow.bodyText()).isEqualTo("hello world");
        }
    }

    @Test
    void theUsersFileIsReadAgainOnReloadAndABadOneRefusesTheReload() throws Exception {
        Path users = dir.resolve("users.htpasswd");
        Files.writeString(users, "alice:" + bcrypt("2y", "wonder") + "\n");
        try (TestUpstream app = TestUpstream.start("app")) {
            Map<String, String> env = Map.of("USERS", users.toString(), "UP1", app.address());
            try (SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env)) {
                int port = sluice.port("web");
                assertThat(get(port, "/staff/", basic("alice:wonder")).status()).isEqualTo(200);

                Files.writeString(users, "bob:" + bcrypt("2b", "builder") + "\n");
                sluice.reload(YAML, env);
                assertThat(get(port, "/staff/", basic("bob:builder")).status()).isEqualTo(200);
                assertThat(get(port, "/staff/", basic("alice:wonder")).status()).isEqualTo(401);

                Files.writeString(users, "# moved to md5\ncarol:$apr1$x3m7i2yR$J4H4dK5u7hYZ2L1a0cU6p/\n");
                ConfigException refused = catchThrowableOfType(ConfigException.class, () -> sluice.reload(YAML, env));
                assertThat(refused).isNotNull();
                assertThat(refused.errors()).singleElement().asString()
                        .contains("users.htpasswd line 2").contains("Apache MD5");
                // the running configuration keeps the file it read last
                assertThat(get(port, "/staff/", basic("bob:builder")).status()).isEqualTo(200);
                assertThat(app.receivedCount()).isEqualTo(3); // alice, bob, bob: nothing refused reached it
            }
        }
    }

    @Test
    void badUsersFilesAreErrorsAtTheirKey() throws Exception {
        Path yaml = dir.resolve("sluice.yaml");
        Files.writeString(dir.resolve("md5.htpasswd"), "alice:" + bcrypt("2y", "x") + "\nbob:$apr1$abc$def\n");
        Files.writeString(yaml, """
                listeners:
                  - name: web
                    address: 127.0.0.1:0
                    routes:
                      - filters:
                          - basic_auth: { users_file: missing.htpasswd }
                          - basic_auth: { users_file: md5.htpasswd, realm: "a \\"quoted\\" realm" }
                          - basic_auth: {}
                        respond: { status: 200 }
                  - name: egress
                    address: 127.0.0.1:0
                    forward_proxy:
                      allow: ["*.example.com"]
                      auth: { users_file: md5.htpasswd, realms: x }
                """);
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(yaml, Map.of()));
        assertThat(e).isNotNull();
        List<String> errors = e.errors().stream().map(ConfigError::toString).toList();
        assertThat(errors).anySatisfy(s -> assertThat(s).startsWith(yaml + ":6:39: ")
                .contains("missing.htpasswd does not exist"));
        assertThat(errors).anySatisfy(s -> assertThat(s).startsWith(yaml + ":7:39: ")
                .contains("md5.htpasswd line 2").contains("Apache MD5").contains("htpasswd -B md5.htpasswd bob"));
        assertThat(errors).anySatisfy(s -> assertThat(s).startsWith(yaml + ":7:60: ")
                .contains("realm"));
        assertThat(errors).anySatisfy(s -> assertThat(s).startsWith(yaml + ":8:25: ")
                .contains("users_file"));
        assertThat(errors).anySatisfy(s -> assertThat(s).startsWith(yaml + ":14:41: ")
                .contains("realms"));
        assertThat(errors).anySatisfy(s -> assertThat(s).startsWith(yaml + ":14:27: ")
                .contains("md5.htpasswd line 2"));
    }
}
