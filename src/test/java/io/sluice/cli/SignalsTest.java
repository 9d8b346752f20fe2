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
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every signal Sluice reacts to, sent to a real process: HUP reloads and reopens, USR1 reopens the logs,
 * TERM and INT stop with exit 0 even right after the listener opens, and the signals whose default would
 * kill the process are logged and ignored. Also {@code sluice reload} and its admin endpoint.
 */
class SignalsTest {
    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private HttpServer upstream;

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        upstream.createContext("/", exchange -> {
            byte[] body = ("upstream " + exchange.getRequestURI().getPath() + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        upstream.start();
    }

    @AfterEach
    void stopUpstream() {
        upstream.stop(0);
    }

    private String config(int port, int adminPort, String route) {
        return """
                server: { shutdown_timeout: 5s }
                listeners:
                  - name: main
                    address: 127.0.0.1:%d
                    routes:
                      - %s
                upstreams:
                  app:
                    endpoints: [ { address: "127.0.0.1:%d" } ]
                admin: { address: "127.0.0.1:%d" }
                access_log: { format: json, path: logs/access.log }
                """.formatted(port, route, upstream.getAddress().getPort(), adminPort);
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        // a bounded wait: a request that hangs fails as itself, not as the await around it
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private SluiceProcess startProxy(Path file, int port) throws Exception {
        SluiceProcess p = SluiceProcess.start("run", file.toString());
        p.awaitServing(port);
        return p;
    }

    private Path write(String yaml) throws Exception {
        Path file = dir.resolve("sluice.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    private String accessLog() throws Exception {
        Path log = dir.resolve("logs/access.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Test
    void usr1ReopensTheAccessLogAfterItWasMovedAway() throws Exception {
        int port = SluiceProcess.freePort();
        Path file = write(config(port, SluiceProcess.freePort(), "upstream: app"));
        try (SluiceProcess p = startProxy(file, port)) {
            get(port, "/before");
            await().atMost(Duration.ofSeconds(60)).until(() -> accessLog().contains("/before"));
            Files.move(dir.resolve("logs/access.log"), dir.resolve("logs/access.log.1"));
            p.signal("USR1");
            await().atMost(Duration.ofSeconds(60)).until(() -> p.output().contains("access log: reopened"));
            get(port, "/after");
            await().atMost(Duration.ofSeconds(60)).until(() -> accessLog().contains("/after"));
            assertThat(accessLog()).doesNotContain("/before");
            assertThat(Files.readString(dir.resolve("logs/access.log.1"))).doesNotContain("/after");
            assertThat(p.waitForExit(0)).isFalse();
        }
    }

    @Test
    void hupReloadsAndAlsoReopensTheAccessLog() throws Exception {
        int port = SluiceProcess.freePort();
        int admin = SluiceProcess.freePort();
        Path file = write(config(port, admin, "respond: { status: 200, body: \"first\\n\" }"));
        try (SluiceProcess p = startProxy(file, port)) {
            get(port, "/before");
            await().atMost(Duration.ofSeconds(60)).until(() -> accessLog().contains("/before"));
            Files.move(dir.resolve("logs/access.log"), dir.resolve("logs/access.log.1"));
            write(config(port, admin, "upstream: app"));
            p.signal("HUP");
            await().atMost(Duration.ofSeconds(60)).until(() -> get(port, "/x").body().equals("upstream /x\n"));
            await().atMost(Duration.ofSeconds(60)).until(() -> accessLog().contains("/x"));
            String last = get(admin, "/api/reload").body();
            assertThat(last).contains("\"trigger\":\"SIGHUP\"").contains("\"success\":true");
        }
    }

    @Test
    void signalsThatWouldKillAreLoggedAndIgnored() throws Exception {
        int port = SluiceProcess.freePort();
        Path file = write(config(port, SluiceProcess.freePort(), "upstream: app"));
        try (SluiceProcess p = startProxy(file, port)) {
            for (String signal : List.of("USR2", "ALRM", "VTALRM", "PROF", "IO", "PWR", "XCPU", "XFSZ", "SYS", "TRAP")) {
                p.signal(signal);
                assertThat(get(port, "/").statusCode()).as("after SIG" + signal).isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> p.output().contains("signal SIGALRM received and ignored"));
            assertThat(p.output()).contains("signal SIGUSR2 received and ignored").contains("SIGPWR received and ignored");
            assertThat(p.waitForExit(0)).isFalse();
        }
    }

    @Test
    void hupAndTermAreNeverFatalOnceTheListenerAccepts() throws Exception {
        int port = SluiceProcess.freePort();
        Path file = write(config(port, SluiceProcess.freePort(), "upstream: app"));
        try (SluiceProcess p = SluiceProcess.start("run", file.toString())) {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(1)).until(() -> SluiceProcess.accepts(port));
            p.signal("HUP"); // the instant the listener accepts
            assertThat(get(port, "/").statusCode()).isEqualTo(200);
            assertThat(p.waitForExit(0)).isFalse();
        }
        int port2 = SluiceProcess.freePort();
        Files.writeString(file, config(port2, SluiceProcess.freePort(), "upstream: app"));
        try (SluiceProcess p = SluiceProcess.start("run", file.toString())) {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(1)).until(() -> SluiceProcess.accepts(port2));
            p.signal("TERM");
            assertThat(p.waitForExit(30)).isTrue();
            assertThat(p.exitValue()).as(p.output()).isEqualTo(0);
        }
    }

    @Test
    void intStopsGracefully() throws Exception {
        int port = SluiceProcess.freePort();
        Path file = write(config(port, SluiceProcess.freePort(), "upstream: app"));
        // SIGINT as a terminal sends it to a process that takes it: a test run started in the background
        // (`.ci/run &`) hands its children an ignored INT, which Sluice reports and keeps (tested below with HUP)
        boolean resettable = new ProcessBuilder("env", "--default-signal=INT", "true").start().waitFor() == 0;
        SluiceProcess started = resettable
                ? SluiceProcess.startWrapped(List.of("env", "--default-signal=INT"), "run", file.toString())
                : SluiceProcess.start("run", file.toString());
        try (SluiceProcess p = started) {
            p.awaitServing(port);
            org.junit.jupiter.api.Assumptions.assumeFalse(p.output().contains("SIGINT is ignored"),
                    "this test run ignores SIGINT and `env --default-signal` is missing");
            p.signal("INT");
            assertThat(p.waitForExit(30)).isTrue();
            assertThat(p.exitValue()).isEqualTo(0);
            assertThat(p.output()).contains("stopped");
        }
    }

    @Test
    void anIgnoredHupIsReportedAtStart() throws Exception {
        int port = SluiceProcess.freePort();
        Path file = write(config(port, SluiceProcess.freePort(), "upstream: app"));
        try (SluiceProcess p = SluiceProcess.startWrapped(List.of("nohup"), "run", file.toString())) {
            p.awaitServing(port);
            assertThat(p.output()).contains("SIGHUP is ignored by this process").contains("sluice reload");
        }
    }

    @Test
    void reloadCommandReportsSuccessAndRefusals() throws Exception {
        int port = SluiceProcess.freePort();
        int admin = SluiceProcess.freePort();
        Path file = write(config(port, admin, "respond: { status: 200, body: \"first\\n\" }"));
        try (SluiceProcess p = startProxy(file, port)) {
            write(config(port, admin, "upstream: app"));
            try (SluiceProcess reload = SluiceProcess.start("reload", file.toString())) {
                assertThat(reload.waitFor()).as(reload.output()).isEqualTo(0);
                assertThat(reload.output()).contains("reloaded at");
            }
            assertThat(get(port, "/y").body()).isEqualTo("upstream /y\n");

            Files.writeString(file, config(port, admin, "upstream: nowhere"));
            try (SluiceProcess reload = SluiceProcess.start("reload", "--admin", "127.0.0.1:" + admin)) {
                assertThat(reload.waitFor()).isEqualTo(1);
                assertThat(reload.output()).contains("reload refused").contains(file + ":6:").contains("nowhere");
            }
            assertThat(get(port, "/z").body()).isEqualTo("upstream /z\n");
            assertThat(get(admin, "/api/reload").body()).contains("\"success\":false").contains("nowhere");
            String metrics = get(admin, "/metrics").body();
            assertThat(metrics).contains("sluice_config_last_reload_success 0.0")
                    .contains("sluice_config_last_reload_timestamp_seconds ");
        }
    }

    @Test
    void reloadCommandSaysWhenTheProxyCannotBeReached() throws Exception {
        try (SluiceProcess reload = SluiceProcess.start("reload", "--admin", "127.0.0.1:" + SluiceProcess.freePort())) {
            assertThat(reload.waitFor()).isEqualTo(1);
            assertThat(reload.output()).contains("cannot reach the admin API");
        }
    }

    @Test
    void usr1AlsoReopensTheProcessLogFile() throws Exception {
        int port = SluiceProcess.freePort();
        Path file = write(config(port, SluiceProcess.freePort(), "upstream: app"));
        Path processLog = dir.resolve("logs/sluice.log");
        try (SluiceProcess p = SluiceProcess.startWith(List.of(), java.util.Map.of("SLUICE_LOG_FILE", processLog.toString(),
                "SLUICE_LOG_FORMAT", "json"), "run", file.toString())) {
            p.awaitServing(port);
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(processLog).contains("sluice started"));
            Files.move(processLog, dir.resolve("logs/sluice.log.1"));
            p.signal("USR1");
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(processLog)
                    && Files.readString(processLog).contains("access log: reopened"));
            String line = Files.readAllLines(processLog).get(0);
            assertThat(line).startsWith("{\"time\":");
            assertThat(Files.readString(dir.resolve("logs/sluice.log.1"))).doesNotContain("reopened");
        }
    }

    @Test
    void aProcessLogThatCannotBeReopenedKeepsLoggingToTheOldFile() throws Exception {
        int port = SluiceProcess.freePort();
        Path file = write(config(port, SluiceProcess.freePort(), "upstream: app"));
        Path processLog = dir.resolve("logs/sluice.log");
        Path rotated = dir.resolve("logs/sluice.log.1");
        try (SluiceProcess p = SluiceProcess.startWith(List.of(), java.util.Map.of("SLUICE_LOG_FILE", processLog.toString()),
                "run", file.toString())) {
            p.awaitServing(port);
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(processLog).contains("sluice started"));
            Files.move(processLog, rotated);
            Files.createDirectory(processLog); // a directory cannot be opened as the log, not even by root
            p.signal("USR1");
            // logged after the failed reopen: it must still reach the file already open
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(rotated).contains("access log: reopened"));
            assertThat(Files.readString(rotated)).contains("process log: cannot reopen");

            Files.delete(processLog);
            p.signal("USR1");
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.isRegularFile(processLog)
                    && Files.readString(processLog).contains("access log: reopened"));
        }
    }
}
