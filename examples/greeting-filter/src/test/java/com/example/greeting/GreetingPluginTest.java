package com.example.greeting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built jar, loaded into a running Sluice (the real sluice.jar in its own JVM, started with
 * {@code plugins:} naming it), in front of a small upstream.
 */
class GreetingPluginTest {
    @TempDir
    Path dir;

    @Test
    void sluiceLoadsThePluginAndRunsTheFilter() throws Exception {
        Path pluginJar = Path.of(System.getProperty("plugin.jar"));
        Path sluiceJar = Path.of(System.getProperty("sluice.jar"));
        assertTrue(Files.isRegularFile(pluginJar), "no plugin jar at " + pluginJar);
        assertTrue(Files.isRegularFile(sluiceJar), "no Sluice jar at " + sluiceJar + " (build Sluice first)");

        BlockingQueue<String> greetings = new LinkedBlockingQueue<>();
        HttpServer upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        upstream.createContext("/", exchange -> {
            greetings.add(String.valueOf(exchange.getRequestHeaders().getFirst("X-Greeting")));
            byte[] body = "from upstream\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        upstream.start();
        Files.createDirectories(dir.resolve("plugins"));
        Files.copy(pluginJar, dir.resolve("plugins/greeting-filter.jar"));
        Path config = dir.resolve("sluice.yaml");
        Files.writeString(config, """
                plugins: [ plugins/greeting-filter.jar ]
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - filters: [ { greeting: { greeting: hi } } ]
                        upstream: app
                upstreams:
                  app:
                    endpoints: [ { address: "127.0.0.1:%d" } ]
                """.formatted(upstream.getAddress().getPort()));

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process check = new ProcessBuilder(java, "-jar", sluiceJar.toString(), "check", config.toString())
                .redirectErrorStream(true).start();
        String checkOutput = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, check.waitFor(), "sluice check: " + checkOutput);

        Process sluice = new ProcessBuilder(java, "-jar", sluiceJar.toString(), "run", config.toString())
                .redirectErrorStream(true).start();
        try {
            int port = listenerPort(sluice);
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/x"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertEquals("from upstream\n", r.body());
            assertEquals("hi", r.headers().firstValue("X-Greeting").orElse(null));
            assertEquals("hi #1", greetings.poll(10, TimeUnit.SECONDS));

            HttpResponse<String> teapot = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/teapot")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(418, teapot.statusCode());
            assertEquals("I'm a teapot\n", teapot.body());
            assertTrue(teapot.headers().firstValue("X-Request-ID").isPresent());
        } finally {
            sluice.destroy();
            sluice.waitFor(20, TimeUnit.SECONDS);
            upstream.stop(0);
        }
    }

    /** Reads Sluice's output until it says where the listener is ("main http://127.0.0.1:PORT"). */
    private static int listenerPort(Process sluice) throws Exception {
        Pattern started = Pattern.compile("main http://127\\.0\\.0\\.1:(\\d+)");
        BufferedReader out = new BufferedReader(new InputStreamReader(sluice.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<Integer> port = new CompletableFuture<>();
        StringBuilder seen = new StringBuilder();
        Thread reader = new Thread(() -> {
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    seen.append(line).append('\n');
                    Matcher m = started.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
                port.completeExceptionally(new IllegalStateException("sluice exited:\n" + seen));
            } catch (Exception e) {
                port.completeExceptionally(e);
            }
        }, "sluice-output");
        reader.setDaemon(true);
        reader.start();
        return port.get(60, TimeUnit.SECONDS);
    }
}
