package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands of the contract, run as a real process: exit codes, messages, signals. */
class CommandLineTest {
    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private HttpServer upstream;
    private final CountDownLatch release = new CountDownLatch(1);
    private final java.util.concurrent.atomic.AtomicInteger slowArrived = new java.util.concurrent.atomic.AtomicInteger();

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        upstream.createContext("/", exchange -> {
            if (exchange.getRequestURI().getPath().equals("/slow")) {
                slowArrived.incrementAndGet();
                try {
                    release.await(2, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] body = ("upstream " + exchange.getRequestURI().getPath() + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        upstream.setExecutor(Executors.newCachedThreadPool());
        upstream.start();
    }

    @AfterEach
    void stopUpstream() {
        release.countDown();
        upstream.stop(0);
    }

    private String config(int port, String body) {
        return """
                server: { shutdown_timeout: 10s }
                listeners:
                  - name: main
                    address: 127.0.0.1:%d
                    routes:
                %s
                upstreams:
                  app:
                    endpoints: [ { address: "127.0.0.1:%d" } ]
                """.formatted(port, body, upstream.getAddress().getPort());
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        // a bounded wait: a request that hangs fails as itself, not as the await around it
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void checkAcceptsAValidFileAndExitsZero() throws Exception {
        Path file = dir.resolve("ok.yaml");
        Files.writeString(file, config(8080, "      - upstream: app"));
        try (SluiceProcess p = SluiceProcess.start("check", file.toString())) {
            assertThat(p.waitFor()).isEqualTo(0);
        }
    }

    @Test
    void checkPrintsEveryErrorWithFileLineAndColumn() throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, """
                server:
                  shutdown_timeout: 5
                listeners:
                  - name: main
                    adress: 127.0.0.1:8080
                    routes: [ { upstream: nowhere } ]
                """);
        try (SluiceProcess p = SluiceProcess.start("check", file.toString())) {
            assertThat(p.waitFor()).isEqualTo(1);
            String out = p.output();
            assertThat(out).contains(file + ":2:21: ");
            assertThat(out).contains(file + ":5:5: ").contains("did you mean 'address'");
            assertThat(out).contains("nowhere");
            assertThat(out).doesNotContain("Exception");
        }
    }

    @Test
    void checkPrintsOneLinePerErrorWhateverTheValuesHold() throws Exception {
        Path file = dir.resolve("bad.yaml");
        // a double-quoted YAML string can hold a newline, a tab or an ESC; echoed as-is they forged an error
        Files.writeString(file, """
                server:
                  shutdown_timeout: "5s\\nother.yaml:1:1: forged"
                  max_request_head: "1x\\t\\e[2J"
                listeners:
                  - name: main
                    address: 127.0.0.1:8080
                    routes: [ { upstream: app } ]
                upstreams:
                  app:
                    endpoints: [ { address: "127.0.0.1:9" } ]
                """);
        try (SluiceProcess p = SluiceProcess.start("check", file.toString())) {
            assertThat(p.waitFor()).isEqualTo(1);
            String out = p.output();
            assertThat(out.lines().toList()).isNotEmpty()
                    .allSatisfy(line -> assertThat(line).startsWith(file + ":").matches(".*:\\d+:\\d+: .*"));
            assertThat(out).contains("5s\\nother.yaml:1:1: forged").contains("1x\\t\\x1b[2J")
                    .doesNotContain("\u001b");
        }
    }

    @Test
    void checkAndRunRefuseAnAccessLogPathThatCannotBeWritten() throws Exception {
        // a parent that is a regular file: unwritable for root too, where a read-only directory is not
        Path notADir = Files.writeString(dir.resolve("plain.txt"), "x");
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, config(8080, "      - upstream: app") + "access_log:\n  path: plain.txt/access.log\n");
        for (String command : new String[] {"check", "run"}) {
            try (SluiceProcess p = SluiceProcess.start(command, file.toString())) {
                assertThat(p.waitFor()).isEqualTo(1);
                assertThat(p.output()).contains(file + ":11:9: access_log path '" + notADir.resolve("access.log")
                        + "' cannot be written: " + notADir + " is not a directory (fix the path)");
            }
        }
    }

    @Test
    void checkReportsAnAccessLogInADirectoryWithoutWritePermission() throws Exception {
        Path readOnly = Files.createDirectory(dir.resolve("ro"));
        assertThat(readOnly.toFile().setWritable(false, false)).isTrue();
        try {
            // root may write anywhere, so permissions prove nothing there
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isWritable(readOnly), "permissions do not apply (root)");
            Path file = dir.resolve("bad.yaml");
            Files.writeString(file, config(8080, "      - upstream: app") + "access_log: { path: ro/access.log }\n");
            try (SluiceProcess p = SluiceProcess.start("check", file.toString())) {
                assertThat(p.waitFor()).isEqualTo(1);
                assertThat(p.output()).contains(file + ":11:21: access_log path").contains("no permission");
            }
        } finally {
            readOnly.toFile().setWritable(true, false);
        }
    }

    @Test
    void runRefusesABadFileWithTheSameMessages() throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "listeners: 3\n");
        try (SluiceProcess p = SluiceProcess.start("run", file.toString())) {
            assertThat(p.waitFor()).isEqualTo(1);
            assertThat(p.output()).contains(file + ":1:12: ");
        }
    }

    @Test
    void versionPrintsTheVersion() throws Exception {
        try (SluiceProcess p = SluiceProcess.start("version")) {
            assertThat(p.waitFor()).isEqualTo(0);
            assertThat(p.output()).startsWith("sluice ");
        }
    }

    @Test
    void quickModeProxiesWithoutAFile() throws Exception {
        int port = SluiceProcess.freePort();
        try (SluiceProcess p = SluiceProcess.start("proxy", "--from", "127.0.0.1:" + port,
                "--to", "http://127.0.0.1:" + upstream.getAddress().getPort())) {
            p.awaitServing(port);
            assertThat(get(port, "/hello").body()).isEqualTo("upstream /hello\n");
            p.signal("TERM");
            assertThat(p.waitForExit(60)).isTrue();
            assertThat(p.exitValue()).isEqualTo(0);
        }
    }

    @Test
    void sighupReloadsAndABadFileKeepsTheRunningConfiguration() throws Exception {
        int port = SluiceProcess.freePort();
        Path file = dir.resolve("sluice.yaml");
        Files.writeString(file, config(port, "      - respond: { status: 200, body: \"first\\n\" }"));
        try (SluiceProcess p = SluiceProcess.start("run", file.toString())) {
            p.awaitServing(port);
            assertThat(get(port, "/").body()).isEqualTo("first\n");

            Files.writeString(file, config(port, "      - upstream: app"));
            p.signal("HUP");
            await().atMost(Duration.ofSeconds(60)).until(() -> get(port, "/x").body().equals("upstream /x\n"));

            Files.writeString(file, "listeners: [ { name: main, adress: oops } ]\n");
            p.signal("HUP");
            await().atMost(Duration.ofSeconds(60)).until(() -> p.output().contains("reload refused"));
            assertThat(get(port, "/y").body()).isEqualTo("upstream /y\n");
            assertThat(p.output()).contains(file + ":1:");
        }
    }

    @Test
    void sigtermLetsARequestInFlightFinishThenExitsZero() throws Exception {
        int port = SluiceProcess.freePort();
        Path file = dir.resolve("sluice.yaml");
        Files.writeString(file, config(port, "      - upstream: app"));
        try (SluiceProcess p = SluiceProcess.start("run", file.toString())) {
            p.awaitServing(port);
            CompletableFuture<HttpResponse<String>> slow = client.sendAsync(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow")).build(),
                    HttpResponse.BodyHandlers.ofString());
            // Wait until the request is inside the upstream, then ask the proxy to stop.
            await().atMost(Duration.ofSeconds(60)).until(() -> slowArrived.get() > 0);
            p.signal("TERM");
            await().atMost(Duration.ofSeconds(60)).until(() -> p.output().contains("stopping"));
            release.countDown();
            assertThat(slow.get(60, TimeUnit.SECONDS).body()).isEqualTo("upstream /slow\n");
            assertThat(p.waitForExit(60)).isTrue();
            assertThat(p.exitValue()).isEqualTo(0);
        }
    }

    @Test
    void everyCommandHasHelp() throws Exception {
        for (String command : java.util.List.of("run", "check", "proxy", "reload", "version")) {
            try (SluiceProcess p = SluiceProcess.start(command, "--help")) {
                assertThat(p.waitFor()).as(command + " --help: " + p.output()).isEqualTo(0);
                assertThat(p.output()).contains("Usage: sluice " + command).doesNotContain("Missing required");
            }
            try (SluiceProcess p = SluiceProcess.start("help", command)) {
                assertThat(p.waitFor()).as("help " + command).isEqualTo(0);
                assertThat(p.output()).contains("Usage: sluice " + command);
            }
        }
        try (SluiceProcess p = SluiceProcess.start("help")) {
            assertThat(p.waitFor()).isEqualTo(0);
            assertThat(p.output()).contains("Usage: sluice").contains("reload").contains("check");
        }
    }

    @Test
    void versionVerboseNamesTheBuildAndPlatform() throws Exception {
        try (SluiceProcess p = SluiceProcess.start("version", "--verbose")) {
            assertThat(p.waitFor()).isEqualTo(0);
            assertThat(p.output()).startsWith("sluice ").contains("commit: ").contains("java: 17")
                    .contains("netty: 4.2").containsPattern("transport: (epoll|io_uring|nio)")
                    .containsPattern("tls: (openssl|jdk)");
        }
    }

    @Test
    void checkWarnsAboutAnOpenAdminWithoutATokenAndWithWarningsAboutDeadRoutes() throws Exception {
        Path file = dir.resolve("warn.yaml");
        Files.writeString(file, """
                listeners:
                  - name: main
                    address: 127.0.0.1:8080
                    routes:
                      - { name: all, upstream: app }
                      - { name: api, match: { path_prefix: /api/ }, upstream: app }
                upstreams:
                  app: { endpoints: [ { address: "127.0.0.1:9001" } ] }
                  spare: { endpoints: [ { address: "127.0.0.1:9002" } ] }
                admin: { address: 0.0.0.0:9901 }
                """);
        try (SluiceProcess p = SluiceProcess.start("check", file.toString())) {
            assertThat(p.waitFor()).isEqualTo(0);
            assertThat(p.output()).contains("warning: admin.address 0.0.0.0:9901 is not loopback and admin.token is not set")
                    .doesNotContain("can never match");
        }
        try (SluiceProcess p = SluiceProcess.start("check", "--warnings", file.toString())) {
            assertThat(p.waitFor()).isEqualTo(0);
            assertThat(p.output()).contains("route 'api' can never match: route 'all' before it")
                    .contains("upstream 'spare' is not used").contains("(3 warnings)");
        }
    }

    @Test
    void aYamlSyntaxErrorShowsTheLineAndACaret() throws Exception {
        Path file = dir.resolve("syntax.yaml");
        Files.writeString(file, "listeners:\n  - name: main\n    address: \"127.0.0.1:8080\n");
        try (SluiceProcess p = SluiceProcess.start("check", file.toString())) {
            assertThat(p.waitFor()).isEqualTo(1);
            assertThat(p.output()).contains("bad YAML").contains("started at line 3, column 14")
                    .contains("    address: \"127.0.0.1:8080\n" + " ".repeat(17) + "^");
        }
    }
}
