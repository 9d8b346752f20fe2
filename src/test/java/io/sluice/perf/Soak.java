package io.sluice.perf;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bench/soak}: mixed traffic through a real Sluice process (started with {@code bin/sluice run}, so
 * with the launcher's JVM settings) for {@code --minutes} (30 by default), sampling the proxy's RSS, direct
 * memory, file descriptors and threads every minute and printing them as a table. Flat columns mean
 * nothing accumulates: no leaked buffers, connections, timers or threads.
 *
 * <p>The traffic, each kind on its own paced thread (so the load is modest and the count bounded): keep-alive
 * GETs, a new connection per GET, 256 KiB uploads, HTTP/2 (h2c by Upgrade) small and 1 MiB GETs, WebSocket
 * sessions, clients that leave in the middle of a 1 MiB response, slow readers (some read a little at a
 * time, some nothing until {@code send} cuts them), and a reload (SIGHUP, the upstream's weights changed)
 * every 10 s. Everything on 127.0.0.1; the upstreams run in this JVM.
 */
public final class Soak {
    private static final byte[] BIG = new byte[1024 * 1024];
    private static final byte[] SMALL = "ok\n".getBytes(StandardCharsets.US_ASCII);

    private final Map<String, AtomicLong> ok = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> failed = new ConcurrentHashMap<>();
    /** The first few failures of each kind, to say what they were. */
    private final Map<String, List<String>> failures = new ConcurrentHashMap<>();
    /** Reloads the proxy confirmed ({@code GET /api/reload} changed and says success). */
    private final AtomicLong reloadsMade = new AtomicLong();
    private final long deadline;
    private final int port;
    private final Path config;
    private final int[] upstreamPorts;
    private final int wsPort;
    private final int adminPort;

    private Soak(long deadline, int port, int adminPort, Path config, int[] upstreamPorts, int wsPort) {
        this.deadline = deadline;
        this.port = port;
        this.adminPort = adminPort;
        this.config = config;
        this.upstreamPorts = upstreamPorts;
        this.wsPort = wsPort;
    }

    public static void main(String[] args) throws Exception {
        double minutes = 30;
        int sampleSeconds = 60;
        String launcher = "bin/sluice";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--minutes" -> minutes = Double.parseDouble(args[++i]);
                case "--sample-seconds" -> sampleSeconds = Integer.parseInt(args[++i]);
                case "--sluice" -> launcher = args[++i];
                default -> {
                    System.err.println("usage: bench/soak [--minutes 30] [--sample-seconds 60]");
                    System.exit(2);
                }
            }
        }
        HttpServer a = upstream();
        HttpServer b = upstream();
        ServerSocket ws = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
        daemon("ws-accept", () -> acceptWebSockets(ws));
        Path dir = Files.createTempDirectory("sluice-soak");
        Soak soak = new Soak(System.nanoTime() + (long) (minutes * 60e9), freePort(), freePort(),
                dir.resolve("soak.yaml"), new int[] {a.getAddress().getPort(), b.getAddress().getPort()},
                ws.getLocalPort());
        soak.writeConfig(1);
        Path log = dir.resolve("sluice.log");
        Process proxy = new ProcessBuilder(launcher, "run", soak.config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            soak.run(proxy, sampleSeconds, log);
        } finally {
            proxy.destroy();
            if (!proxy.waitFor(60, TimeUnit.SECONDS)) {
                proxy.destroyForcibly();
            }
            a.stop(0);
            b.stop(0);
            ws.close();
        }
        System.out.println("proxy exit code after SIGTERM: " + proxy.exitValue() + "; its log: " + log);
        System.exit(0);
    }

    private void run(Process proxy, int sampleSeconds, Path log) throws Exception {
        HttpClient admin = HttpClient.newHttpClient();
        for (int i = 0; !healthy(admin); i++) {
            if (!proxy.isAlive() || i > 600) {
                throw new IllegalStateException("the proxy did not start; its log:\n" + Files.readString(log));
            }
            Thread.sleep(200);
        }
        long pid = proxy.pid();
        ExecutorService traffic = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        });
        HttpClient h1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        loop(traffic, "keepalive", 5, () -> get(h1, "/small", "keepalive"));
        loop(traffic, "keepalive", 5, () -> get(h1, "/small", "keepalive"));
        loop(traffic, "newconn", 10, this::newConnection);
        loop(traffic, "upload", 50, () -> upload(h1));
        loop(traffic, "h2", 10, () -> get(h2, "/small", "h2"));
        loop(traffic, "h2", 200, () -> get(h2, "/big", "h2"));
        loop(traffic, "websocket", 200, this::webSocket);
        loop(traffic, "leaver", 100, this::leaver);
        for (int i = 0; i < 4; i++) {
            loop(traffic, "slowreader", 500, () -> slowReader(200, 5));
        }
        loop(traffic, "stalled", 2000, () -> slowReader(0, 15));
        long[] reloads = {0};
        loop(traffic, "reload", 10_000, () -> {
            String before = lastReload(admin);
            writeConfig((int) (++reloads[0] % 3) + 1);
            new ProcessBuilder("kill", "-HUP", Long.toString(pid)).start().waitFor();
            // A reload counts only when the proxy says it made it (a process started with SIGHUP ignored,
            // as under nohup, would otherwise pass a soak without a single reload).
            org.awaitility.Awaitility.await("a reload after SIGHUP (GET /api/reload was " + before + ")")
                    .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !lastReload(admin).equals(before));
            if (!lastReload(admin).contains("\"success\":true")) {
                throw new IOException("reload failed: " + lastReload(admin));
            }
            reloadsMade.incrementAndGet();
        });

        System.out.println("sluice pid " + pid + ", port " + port + ", admin " + adminPort + "; sampling every "
                + sampleSeconds + " s until the end (" + log + ")");
        List<String> rows = new ArrayList<>();
        String header = String.format(Locale.ROOT, "%6s %9s %7s %8s %10s %10s %9s %5s %7s",
                "minute", "requests", "errors", "RSS MiB", "direct MiB", "jvm-dir MiB", "heap MiB", "fds", "threads");
        System.out.println(header);
        long start = System.nanoTime();
        while (true) {
            long now = System.nanoTime();
            String row = sample(admin, pid, (now - start) / 60e9);
            rows.add(row);
            System.out.println(row);
            if (now >= deadline || !proxy.isAlive()) {
                break;
            }
            Thread.sleep(Math.min(sampleSeconds * 1000L, Math.max(1, (deadline - now) / 1_000_000)));
        }
        traffic.shutdownNow();
        System.out.println();
        System.out.println(header);
        rows.forEach(System.out::println);
        System.out.println("by kind (ok / failed): " + summary());
        System.out.println("reloads made (confirmed by GET /api/reload): " + reloadsMade.get());
        failures.forEach((kind, list) -> System.out.println("first failures of " + kind + ": " + list));
    }

    private String sample(HttpClient admin, long pid, double minute) throws IOException, InterruptedException {
        Map<String, Long> status = procStatus(pid);
        long fds;
        try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            fds = s.count();
        }
        String metrics = admin.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        return String.format(Locale.ROOT, "%6.1f %9d %7d %8.1f %10.1f %10.1f %9.1f %5d %7d", minute, total(ok),
                total(failed), status.getOrDefault("VmRSS", 0L) / 1024.0,
                metric(metrics, "sluice_netty_direct_memory_used_bytes") / 1048576.0,
                metric(metrics, "jvm_buffer_pool_used_bytes{pool=\"direct\"}") / 1048576.0,
                metric(metrics, "jvm_memory_used_bytes{area=\"heap\"}") / 1048576.0, fds,
                status.getOrDefault("Threads", 0L));
    }

    // ---------------------------------------------------------------- traffic

    interface Step {
        void run() throws Exception;
    }

    /** Runs {@code step} every {@code pauseMillis} until the deadline; counts what fails. */
    private void loop(ExecutorService on, String kind, long pauseMillis, Step step) {
        on.execute(() -> {
            while (System.nanoTime() < deadline && !Thread.currentThread().isInterrupted()) {
                try {
                    step.run();
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    count(failed, kind);
                    List<String> seen = failures.computeIfAbsent(kind, k -> new java.util.concurrent.CopyOnWriteArrayList<>());
                    if (seen.size() < 3) {
                        seen.add(e.toString());
                    }
                }
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    private void get(HttpClient client, String path, String kind) throws Exception {
        HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        int expected = path.equals("/big") ? BIG.length : SMALL.length;
        if (r.statusCode() != 200 || r.body().length != expected) {
            throw new IOException(path + ": " + r.statusCode() + " " + excerpt(r.body()));
        }
        count(ok, kind.equals("h2") && r.version() != HttpClient.Version.HTTP_2 ? "h2-fell-back-to-h1" : kind);
    }

    /** The start of a failed answer's body: a 502's text says why (connect failed, reset, timeout...). */
    private static String excerpt(byte[] body) {
        String text = new String(body, 0, Math.min(body.length, 120), java.nio.charset.StandardCharsets.ISO_8859_1);
        return text.replaceAll("\\s+", " ").trim();
    }

    private void upload(HttpClient client) throws Exception {
        byte[] body = new byte[256 * 1024];
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/upload")).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200 || !r.body().equals(Integer.toString(body.length))) {
            throw new IOException("upload: " + r.statusCode() + " " + excerpt(r.body().getBytes(
                    java.nio.charset.StandardCharsets.ISO_8859_1)));
        }
        count(ok, "upload");
    }

    private void newConnection() throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write("GET /small HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            if (!answer.startsWith("HTTP/1.1 200")) {
                throw new IOException("newconn");
            }
        }
        count(ok, "newconn");
    }

    /** Takes 4 KiB of a 1 MiB response and goes away. */
    private void leaver() throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write("GET /big HTTP/1.1\r\nHost: soak\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getInputStream().readNBytes(4096);
        }
        count(ok, "leaver");
    }

    /** Reads 1 KiB every {@code everyMillis} (0: nothing) for {@code seconds}, then leaves. */
    private void slowReader(long everyMillis, int seconds) throws Exception {
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.connect(new InetSocketAddress("127.0.0.1", port));
            s.setSoTimeout(30_000);
            s.getOutputStream().write("GET /big HTTP/1.1\r\nHost: soak\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            InputStream in = s.getInputStream();
            // A short answer (a 502) would otherwise leave readNBytes below waiting for bytes that never come.
            String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            if (!status.equals("HTTP/1.1 200")) {
                throw new IOException("/big: " + status + " " + excerpt(in.readNBytes(Math.min(in.available(), 120))));
            }
            while (System.nanoTime() < end) {
                Thread.sleep(everyMillis > 0 ? everyMillis : 1000);
                if (everyMillis > 0 && in.readNBytes(1024).length == 0) {
                    break;
                }
            }
        }
        count(ok, everyMillis > 0 ? "slowreader" : "stalled");
    }

    private void webSocket() throws Exception {
        CompletableFuture<String>[] next = new CompletableFuture[] {new CompletableFuture<String>()};
        WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), new WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public java.util.concurrent.CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            next[0].complete(text.toString());
                            text.setLength(0);
                        }
                        ws.request(1);
                        return null;
                    }
                }).get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 10; i++) {
            next[0] = new CompletableFuture<>();
            String message = "message " + i;
            socket.sendText(message, true).get(10, TimeUnit.SECONDS);
            if (!message.equals(next[0].get(10, TimeUnit.SECONDS))) {
                throw new IOException("websocket echo");
            }
        }
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
        count(ok, "websocket");
    }

    // ---------------------------------------------------------------- the proxy, its configuration

    /** Variant 1..3: the same routes, the app endpoints' weights changed (what a reload then rebuilds). */
    private void writeConfig(int variant) throws IOException {
        String yaml = """
                server:
                  shutdown_timeout: 5s
                  client_timeouts: { send: 10s }
                listeners:
                  - name: main
                    address: 127.0.0.1:%d
                    routes:
                      - match: { path_prefix: /ws }
                        upstream: ws
                      - upstream: app
                upstreams:
                  app:
                    balancer: weighted_round_robin
                    endpoints:
                      - { address: "127.0.0.1:%d", weight: %d }
                      - { address: "127.0.0.1:%d", weight: 2 }
                  ws:
                    endpoints: [ { address: "127.0.0.1:%d" } ]
                admin: { address: 127.0.0.1:%d }
                """.formatted(port, upstreamPorts[0], variant, upstreamPorts[1], wsPort, adminPort);
        Path tmp = config.resolveSibling("soak.yaml.tmp");
        Files.writeString(tmp, yaml);
        Files.move(tmp, config, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The proxy's record of its last reload ({@code GET /api/reload}). */
    private String lastReload(HttpClient admin) throws IOException, InterruptedException {
        return admin.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/api/reload")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private boolean healthy(HttpClient admin) {
        try {
            return admin.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/healthz")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private String summary() {
        Map<String, String> all = new TreeMap<>();
        ok.forEach((k, v) -> all.put(k, v.get() + " / " + failed.getOrDefault(k, new AtomicLong()).get()));
        failed.forEach((k, v) -> all.putIfAbsent(k, "0 / " + v.get()));
        return all.toString();
    }

    private static void count(Map<String, AtomicLong> counts, String kind) {
        counts.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
    }

    private static long total(Map<String, AtomicLong> counts) {
        return counts.values().stream().mapToLong(AtomicLong::get).sum();
    }

    private static double metric(String text, String name) {
        Matcher m = Pattern.compile("^" + Pattern.quote(name) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    private static Map<String, Long> procStatus(long pid) throws IOException {
        Map<String, Long> values = new TreeMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            String[] parts = line.split("\\s+");
            if (parts.length >= 2 && (line.startsWith("VmRSS:") || line.startsWith("Threads:"))) {
                values.put(parts[0].substring(0, parts[0].length() - 1), Long.parseLong(parts[1]));
            }
        }
        return values;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
    }

    // ---------------------------------------------------------------- upstreams

    /** /small: 3 bytes; /big: 1 MiB; /upload: reads the body, answers its length. */
    private static HttpServer upstream() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        server.createContext("/", exchange -> {
            try (exchange) {
                long read = 0;
                try (InputStream in = exchange.getRequestBody()) {
                    byte[] buf = new byte[16 * 1024];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        read += n;
                    }
                }
                String path = exchange.getRequestURI().getPath();
                byte[] body = path.equals("/big") ? BIG : path.equals("/upload")
                        ? Long.toString(read).getBytes(StandardCharsets.US_ASCII) : SMALL;
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            } catch (IOException clientLeft) {
                // a leaver or a stalled reader: the proxy closed the upstream request
            }
        });
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "upstream");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        return server;
    }

    private static void acceptWebSockets(ServerSocket server) {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                daemon("ws", () -> echoWebSocket(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    /** A WebSocket echo server (RFC 6455): the handshake, then each client frame back, unmasked. */
    private static void echoWebSocket(Socket socket) {
        try (socket) {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    return;
                }
                head.append((char) c);
            }
            Matcher key = Pattern.compile("(?im)^sec-websocket-key:\\s*(\\S+)").matcher(head);
            if (!key.find()) {
                return;
            }
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key.group(1)
                    + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII));
            out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + Base64.getEncoder().encodeToString(sha1) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            while (true) {
                int b0 = in.read();
                int b1 = in.read();
                if (b0 < 0 || b1 < 0) {
                    return;
                }
                long length = b1 & 0x7f;
                if (length == 126) {
                    length = (in.read() << 8) | in.read();
                } else if (length == 127) {
                    length = 0;
                    for (int i = 0; i < 8; i++) {
                        length = (length << 8) | in.read();
                    }
                }
                byte[] mask = (b1 & 0x80) != 0 ? in.readNBytes(4) : null;
                byte[] payload = in.readNBytes((int) length);
                for (int i = 0; mask != null && i < payload.length; i++) {
                    payload[i] ^= mask[i & 3];
                }
                out.write(b0);
                if (payload.length < 126) {
                    out.write(payload.length);
                } else {
                    out.write(126);
                    out.write(payload.length >> 8);
                    out.write(payload.length & 0xff);
                }
                out.write(payload);
                out.flush();
                if ((b0 & 0x0f) == 8) {
                    return; // close: echoed, done
                }
            }
        } catch (Exception e) {
            // the client or the proxy went away
        }
    }
}
