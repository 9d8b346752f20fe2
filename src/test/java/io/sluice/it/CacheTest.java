package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** The cache filter through real sockets: what is stored and served, revalidation, collapsing, purge, and Redis. */
class CacheTest {
    private static final String YAML = """
            admin: { address: 127.0.0.1:0 }
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - name: plain
                    match: { path_prefix: /plain }
                    filters: [ { cache: { default_ttl: 60s } } ]
                    upstream: app
                  - name: lang
                    match: { path_prefix: /lang }
                    request_headers: { set: { Accept-Language: en } }
                    filters: [ { cache: {} } ]
                    upstream: app
                  - name: cached
                    filters: [ { cache: { max_object: 16KiB, lock_timeout: 30s %s} } ]
                    upstream: app
            upstreams:
              app:
                endpoints: [ { address: "${UP1}" } ]
            %s
            """;

    /** An origin whose answers depend on the path; counts the requests of each path. */
    private static final class Origin implements HttpHandler {
        final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        final List<String> ifNoneMatch = new java.util.concurrent.CopyOnWriteArrayList<>();
        final CountDownLatch slow = new CountDownLatch(1);
        final CountDownLatch streaming = new CountDownLatch(1);

        /** Holds the answer until the test lets {@code latch} go (at most 30 s). */
        private static void hold(CountDownLatch latch) {
            try {
                latch.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        int count(String path) {
            return counts.computeIfAbsent(path, p -> new AtomicInteger()).get();
        }

        @Override
        public void handle(HttpExchange ex) throws IOException {
            try (InputStream in = ex.getRequestBody()) {
                in.readAllBytes();
            }
            String path = ex.getRequestURI().getPath();
            int n = counts.computeIfAbsent(ex.getRequestURI().toString(), p -> new AtomicInteger()).incrementAndGet();
            var h = ex.getResponseHeaders();
            h.set("Content-Type", "text/plain");
            String body = path + " #" + n;
            int status = 200;
            if (path.startsWith("/etag")) {
                String inm = ex.getRequestHeaders().getFirst("If-None-Match");
                ifNoneMatch.add(String.valueOf(inm));
                h.set("ETag", "\"e1\"");
                h.set("Cache-Control", "max-age=0");
                if ("\"e1\"".equals(inm)) {
                    h.set("Cache-Control", "max-age=0, must-revalidate");
                    if (path.equals("/etag-meta")) { // a 304 that names other metadata: not the stored bytes'
                        h.set("ETag", "\"e1-other\"");
                        h.set("Content-Type", "application/json");
                        h.set("X-Refreshed", "yes");
                    }
                    if (path.equals("/etag-fresh")) {
                        h.set("Cache-Control", "max-age=60"); // fresh once revalidated
                    }
                    if (path.equals("/etag-cookie")) {
                        h.set("Set-Cookie", "session=renewed");
                    }
                    if (path.equals("/etag-slow")) {
                        h.set("Cache-Control", "max-age=60"); // fresh once revalidated
                        hold(slow);
                    }
                    ex.sendResponseHeaders(304, -1);
                    ex.close();
                    return;
                }
            } else if (path.startsWith("/vary") || path.startsWith("/lang")) {
                h.set("Cache-Control", "max-age=60");
                h.set("Vary", "Accept-Language");
                body = "lang=" + ex.getRequestHeaders().getFirst("Accept-Language") + " #" + n;
            } else if (path.startsWith("/private")) {
                h.set("Cache-Control", "private, max-age=60");
            } else if (path.startsWith("/cookie")) {
                h.set("Cache-Control", "max-age=60");
                h.set("Set-Cookie", "s=1");
            } else if (path.startsWith("/none")) {
                // no freshness at all
            } else if (path.startsWith("/plain")) {
                status = n == 1 ? 404 : 200; // stored with default_ttl
            } else if (path.startsWith("/big")) {
                h.set("Cache-Control", "max-age=60");
                body = "x".repeat(20_000) + n;
            } else if (path.startsWith("/events")) { // not storable, and slow
                hold(slow);
            } else if (path.startsWith("/slow")) {
                hold(slow);
                h.set("Cache-Control", "max-age=60");
            } else if (path.startsWith("/cond")) { // slow; a matching If-None-Match gets 304
                h.set("Cache-Control", "max-age=60");
                h.set("ETag", "\"c1\"");
                hold(slow);
                if ("\"c1\"".equals(ex.getRequestHeaders().getFirst("If-None-Match"))) {
                    ex.sendResponseHeaders(304, -1);
                    ex.close();
                    return;
                }
            } else if (path.startsWith("/tagged")) {
                h.set("Cache-Control", "max-age=60");
                h.set("ETag", "\"t1\"");
            } else if (path.startsWith("/stream")) { // server-sent events that say they are fresh for a minute
                h.set("Content-Type", "text/event-stream");
                h.set("Cache-Control", "max-age=60");
                ex.sendResponseHeaders(200, 0); // chunked, and open until the test lets it end
                try (OutputStream out = ex.getResponseBody()) {
                    out.write("data: one\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    hold(streaming);
                }
                return;
            } else if (path.startsWith("/chunked")) {
                h.set("Cache-Control", "public, max-age=60");
                ex.sendResponseHeaders(200, 0); // chunked
                try (OutputStream out = ex.getResponseBody()) {
                    for (int i = 0; i < 3; i++) {
                        out.write(("part" + i + ";").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                    }
                }
                return;
            } else {
                h.set("Cache-Control", "max-age=60");
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, "HEAD".equals(ex.getRequestMethod()) ? -1 : bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static RawHttp.Response get(SluiceUnderTest sluice, String path, String... headers) throws IOException {
        return request(sluice, "GET", path, headers);
    }

    private static RawHttp.Response request(SluiceUnderTest sluice, String method, String path, String... headers)
            throws IOException {
        try (RawHttp client = new RawHttp(sluice.port("main"))) {
            StringBuilder req = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: cache.test\r\n");
            for (String h : headers) {
                req.append(h).append("\r\n");
            }
            client.send(req + (method.equals("POST") ? "Content-Length: 0\r\n" : "") + "\r\n");
            return client.read(method.equals("HEAD"));
        }
    }

    /** A GET on a connection of its own, answered on another thread. */
    private static CompletableFuture<RawHttp.Response> getAsync(SluiceUnderTest sluice, String path, String... fields) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return get(sluice, path, fields);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private static String yaml(String cacheExtra, String tail) {
        return YAML.formatted(cacheExtra, tail);
    }

    @Test
    void aFreshResponseIsServedFromTheCacheWithAgeAndCacheStatusAndHeadUsesIt() throws Exception {
        Origin origin = new Origin();
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", ""), TestUpstream.env(app))) {
            RawHttp.Response first = get(sluice, "/a?x=1");
            assertThat(first.bodyText()).isEqualTo("/a #1");
            assertThat(first.header("Cache-Status")).isEqualTo("sluice; fwd=miss; stored");
            assertThat(first.header("Age")).isNull();

            RawHttp.Response second = get(sluice, "/a?x=1");
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.bodyText()).isEqualTo("/a #1");
            assertThat(second.header("Cache-Status")).startsWith("sluice; hit; ttl=");
            assertThat(Integer.parseInt(second.header("Age"))).isBetween(0, 60);
            assertThat(second.header("Content-Type")).isEqualTo("text/plain");
            assertThat(second.header("X-Request-ID")).isNotBlank();

            RawHttp.Response head = request(sluice, "HEAD", "/a?x=1");
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).isEqualTo("5");
            assertThat(head.header("Cache-Status")).startsWith("sluice; hit");

            assertThat(get(sluice, "/a?x=2").bodyText()).isEqualTo("/a #1"); // another query: another key
            assertThat(origin.count("/a?x=1")).isEqualTo(1);

            // a client's conditional request on a fresh entry: the Date it has is as new as the stored one
            RawHttp.Response since = get(sluice, "/a?x=1", "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT");
            assertThat(since.status()).isEqualTo(200); // no Last-Modified stored: If-Modified-Since cannot match
        }
    }

    @Test
    void whatMustNotBeStoredIsNot() throws Exception {
        Origin origin = new Origin();
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", ""), TestUpstream.env(app))) {
            for (String path : List.of("/private", "/cookie", "/none", "/big")) {
                RawHttp.Response r = get(sluice, path);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.header("Cache-Status")).as(path).isEqualTo("sluice; fwd=miss");
                assertThat(get(sluice, path).header("Cache-Status")).as(path).isEqualTo("sluice; fwd=miss");
                assertThat(origin.count(path)).as(path).isEqualTo(2);
            }
            assertThat(get(sluice, "/big").body()).hasSize(20_001); // too large to store, served whole

            get(sluice, "/auth", "Authorization: Bearer x"); // a response to an authorized request, not public
            assertThat(get(sluice, "/auth", "Authorization: Bearer x").header("Cache-Status")).isEqualTo("sluice; fwd=miss");
            assertThat(get(sluice, "/chunked", "Authorization: Bearer x").bodyText()).isEqualTo("part0;part1;part2;");
            RawHttp.Response chunked = get(sluice, "/chunked"); // public: stored even for an authorized request
            assertThat(chunked.header("Cache-Status")).startsWith("sluice; hit");
            assertThat(chunked.bodyText()).isEqualTo("part0;part1;part2;");
            assertThat(chunked.header("Content-Length")).isEqualTo("18");

            get(sluice, "/nostore", "Cache-Control: no-store");
            assertThat(get(sluice, "/nostore").header("Cache-Status")).isEqualTo("sluice; fwd=miss; stored");
            assertThat(origin.count("/nostore")).isEqualTo(2);
        }
    }

    @Test
    void defaultTtlStoresResponsesWithoutFreshnessAndAnUnsafeMethodInvalidates() throws Exception {
        Origin origin = new Origin();
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", ""), TestUpstream.env(app))) {
            assertThat(get(sluice, "/plain").status()).isEqualTo(404); // 404 may be kept for default_ttl
            RawHttp.Response again = get(sluice, "/plain");
            assertThat(again.status()).isEqualTo(404);
            assertThat(again.header("Cache-Status")).startsWith("sluice; hit");

            RawHttp.Response post = request(sluice, "POST", "/plain");
            assertThat(post.header("Cache-Status")).isEqualTo("sluice; fwd=method");
            RawHttp.Response after = get(sluice, "/plain");
            assertThat(after.status()).isEqualTo(200);
            assertThat(after.header("Cache-Status")).isEqualTo("sluice; fwd=miss; stored");
        }
    }

    @Test
    void responsesAreStoredPerVaryValue() throws Exception {
        Origin origin = new Origin();
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", ""), TestUpstream.env(app))) {
            assertThat(get(sluice, "/vary", "Accept-Language: en").bodyText()).isEqualTo("lang=en #1");
            assertThat(get(sluice, "/vary", "Accept-Language: fr").bodyText()).isEqualTo("lang=fr #2");
            RawHttp.Response en = get(sluice, "/vary", "Accept-Language: en");
            assertThat(en.bodyText()).isEqualTo("lang=en #1");
            assertThat(en.header("Cache-Status")).startsWith("sluice; hit");
            assertThat(get(sluice, "/vary", "Accept-Language: fr").bodyText()).isEqualTo("lang=fr #2");
            assertThat(get(sluice, "/vary").bodyText()).isEqualTo("lang=null #3");
            assertThat(origin.count("/vary")).isEqualTo(3);
        }
    }

    @Test
    void aStaleResponseIsRevalidatedAndA304RefreshesIt() throws Exception {
        Origin origin = new Origin();
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", ""), TestUpstream.env(app))) {
            RawHttp.Response first = get(sluice, "/etag");
            assertThat(first.bodyText()).isEqualTo("/etag #1");
            assertThat(first.header("Cache-Status")).isEqualTo("sluice; fwd=miss; stored");

            RawHttp.Response second = get(sluice, "/etag"); // max-age=0: stale at once, revalidated
            assertThat(second.status()).isEqualTo(200);
            assertThat(second.bodyText()).isEqualTo("/etag #1");
            assertThat(second.header("Cache-Status")).isEqualTo("sluice; fwd=stale; fwd-status=304");
            assertThat(second.header("Content-Length")).isEqualTo("8");
            assertThat(second.header("Cache-Control")).isEqualTo("max-age=0, must-revalidate"); // the 304's fields
            assertThat(origin.ifNoneMatch).containsExactly("null", "\"e1\"");

            RawHttp.Response conditional = get(sluice, "/etag", "If-None-Match: \"e1\"");
            assertThat(conditional.status()).isEqualTo(304); // revalidated, and the client's own condition holds
            assertThat(conditional.header("ETag")).isEqualTo("\"e1\"");
            assertThat(conditional.header("Content-Length")).isNull();
            assertThat(origin.ifNoneMatch).containsExactly("null", "\"e1\"", "\"e1\"");

            RawHttp.Response other = get(sluice, "/etag", "If-None-Match: \"zz\"");
            assertThat(other.status()).isEqualTo(200);
            assertThat(other.bodyText()).isEqualTo("/etag #1");
            assertThat(origin.count("/etag")).isEqualTo(4);
        }
    }

    @Test
    void aFreshEntryAnswersConditionalRequestsAndNoCacheRevalidates() throws Exception {
        Origin origin = new Origin();
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", ""), TestUpstream.env(app))) {
            get(sluice, "/f");
            RawHttp.Response forced = get(sluice, "/f", "Cache-Control: no-cache");
            assertThat(forced.header("Cache-Status")).isEqualTo("sluice; fwd=request; stored");
            assertThat(forced.bodyText()).isEqualTo("/f #2");
            RawHttp.Response pragma = get(sluice, "/f", "Pragma: no-cache");
            assertThat(pragma.bodyText()).isEqualTo("/f #3");
            RawHttp.Response served = get(sluice, "/f", "If-None-Match: \"nope\"");
            assertThat(served.bodyText()).isEqualTo("/f #3");
            assertThat(served.header("Cache-Status")).startsWith("sluice; hit");
            assertThat(origin.count("/f")).isEqualTo(3);
        }
    }

    @Test
    void concurrentMissesSendOneRequestUpstream() throws Exception {
        Origin origin = new Origin();
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", ""), TestUpstream.env(app))) {
            List<CompletableFuture<RawHttp.Response>> waiting = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                waiting.add(getAsync(sluice, "/slow"));
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> origin.count("/slow") == 1);
            origin.slow.countDown();
            int hits = 0;
            for (CompletableFuture<RawHttp.Response> w : waiting) {
                RawHttp.Response r = w.get(30, TimeUnit.SECONDS);
                assertThat(r.bodyText()).isEqualTo("/slow #1");
                hits += r.header("Cache-Status").startsWith("sluice; hit") ? 1 : 0;
            }
            assertThat(origin.count("/slow")).isEqualTo(1);
            assertThat(hits).isGreaterThanOrEqualTo(1); // every later request either waited for the first or came after it
        }
    }

    @Test
    void thePurgeOfTheAdminApiRemovesEntriesByPathPrefix() throws Exception {
        Origin origin = new Origin();
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", ""), TestUpstream.env(app))) {
            get(sluice, "/img/a.png");
            get(sluice, "/img/b.png?size=2");
            get(sluice, "/vary", "Accept-Language: en");
            get(sluice, "/other");
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> purged = http.send(HttpRequest.newBuilder(sluice.adminUri("/api/cache?prefix=/img/"))
                    .DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(purged.statusCode()).isEqualTo(200);
            assertThat(purged.body()).isEqualTo("{\"purged\": 2}\n");
            assertThat(get(sluice, "/img/a.png").header("Cache-Status")).isEqualTo("sluice; fwd=miss; stored");
            assertThat(get(sluice, "/other").header("Cache-Status")).startsWith("sluice; hit");

            HttpResponse<String> bad = http.send(HttpRequest.newBuilder(sluice.adminUri("/api/cache"))
                    .DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(bad.statusCode()).isEqualTo(400);
            HttpResponse<String> all = http.send(HttpRequest.newBuilder(sluice.adminUri("/api/cache?prefix=/"))
                    .DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(all.body()).isEqualTo("{\"purged\": 3}\n"); // /img/a.png again, /vary's one variant, /other

            String metrics = http.send(HttpRequest.newBuilder(sluice.adminUri("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("sluice_cache_requests_total{listener=\"main\",result=\"hit\",route=\"cached\"} 1.0")
                    .contains("sluice_cache_requests_total{listener=\"main\",result=\"miss\",route=\"cached\"} 5.0")
                    .contains("sluice_cache_memory_entries{listener=\"main\",route=\"cached\"} 0")
                    .containsPattern("sluice_cache_memory_bytes\\{listener=\"main\",route=\"cached\"\\} [0-9]");
        }
    }

    @Test
    void aSecondInstanceServesWhatTheFirstStoredInRedisAndRedisAwayIsAMiss() throws Exception {
        Origin origin = new Origin();
        try (RedisServerProcess redis = RedisServerProcess.start(); TestUpstream app = TestUpstream.start("app", origin)) {
            Map<String, String> env = new HashMap<>(TestUpstream.env(app));
            env.put("REDIS_PORT", Integer.toString(redis.port()));
            String yaml = yaml(", redis: true", "redis: { address: \"redis://127.0.0.1:${REDIS_PORT}\" }");
            try (SluiceUnderTest a = SluiceUnderTest.start(yaml, env); SluiceUnderTest b = SluiceUnderTest.start(yaml, env)) {
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                        a.sluice().sharedStoreConnected() && b.sluice().sharedStoreConnected());
                assertThat(get(a, "/shared").header("Cache-Status")).isEqualTo("sluice; fwd=miss; stored");
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                        get(b, "/shared").header("Cache-Status").startsWith("sluice; hit"));
                assertThat(get(b, "/shared").bodyText()).isEqualTo("/shared #1");
                get(a, "/vary", "Accept-Language: de");
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                        get(b, "/vary", "Accept-Language: de").bodyText().equals("lang=de #1"));
                assertThat(origin.count("/shared")).isEqualTo(1);

                HttpResponse<String> purged = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        a.adminUri("/api/cache?prefix=/shared")).DELETE().build(), HttpResponse.BodyHandlers.ofString());
                assertThat(purged.body()).isEqualTo("{\"purged\": 1}\n"); // in a's memory and in Redis: one response

                redis.down(); // Redis away: a miss goes upstream, the proxy keeps serving
                RawHttp.Response away = get(a, "/away");
                assertThat(away.status()).isEqualTo(200);
                assertThat(get(a, "/away").header("Cache-Status")).startsWith("sluice; hit"); // memory still works
            }
        }
    }

    @Test
    void entriesSurviveAReloadAndServeHttp2ClientsAndStaticFiles(@org.junit.jupiter.api.io.TempDir java.nio.file.Path root)
            throws Exception {
        Origin origin = new Origin();
        java.nio.file.Files.writeString(root.resolve("page.html"), "<p>static</p>");
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - name: files
                        match: { path_prefix: /files/ }
                        strip_prefix: /files
                        filters: [ { cache: { default_ttl: 60s } } ]
                        static: { root: "%s" }
                      - name: cached
                        filters: [ { cache: { %s } } ]
                        upstream: app
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                """;
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml.formatted(root, ""), TestUpstream.env(app))) {
            HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
            h2.send(HttpRequest.newBuilder(sluice.uri("main", "/r")).build(), HttpResponse.BodyHandlers.ofString());
            sluice.reload(yaml.formatted(root, "max_object: 1MiB"), TestUpstream.env(app));
            HttpResponse<String> viaH2 = h2.send(HttpRequest.newBuilder(sluice.uri("main", "/r")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(viaH2.body()).isEqualTo("/r #1");
            assertThat(viaH2.headers().firstValue("cache-status").orElseThrow()).startsWith("sluice; hit");
            HttpResponse<String> headViaH2 = h2.send(HttpRequest.newBuilder(sluice.uri("main", "/r"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(headViaH2.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(headViaH2.body()).isEmpty();
            assertThat(headViaH2.headers().firstValue("content-length")).hasValue("5");
            assertThat(origin.count("/r")).isEqualTo(1);

            RawHttp.Response file = get(sluice, "/files/page.html");
            assertThat(file.bodyText()).isEqualTo("<p>static</p>");
            assertThat(file.header("Cache-Status")).isEqualTo("sluice; fwd=miss; stored");
            RawHttp.Response again = get(sluice, "/files/page.html");
            assertThat(again.bodyText()).isEqualTo("<p>static</p>");
            assertThat(again.header("Cache-Status")).startsWith("sluice; hit");
            assertThat(again.header("Last-Modified")).isEqualTo(file.header("Last-Modified"));
        }
    }

    @Test
    void withCompressAfterItEachEncodingIsStoredAsItsOwnVariant() throws Exception {
        Origin origin = new Origin();
        String yaml = """
                listeners:
                  - name: main
                    address: 127.0.0.1:0
                    routes:
                      - filters: [ { cache: {} }, { compress: { algorithms: [gzip], min_length: 0B } } ]
                        upstream: app
                upstreams:
                  app:
                    endpoints: [ { address: "${UP1}" } ]
                """;
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml, TestUpstream.env(app))) {
            RawHttp.Response gzip = get(sluice, "/text", "Accept-Encoding: gzip");
            assertThat(gzip.header("Content-Encoding")).isEqualTo("gzip");
            assertThat(gzip.header("Cache-Status")).isEqualTo("sluice; fwd=miss; stored");
            RawHttp.Response plain = get(sluice, "/text");
            assertThat(plain.header("Content-Encoding")).isNull();
            assertThat(plain.bodyText()).isEqualTo("/text #2");

            RawHttp.Response gzipHit = get(sluice, "/text", "Accept-Encoding: gzip");
            assertThat(gzipHit.header("Cache-Status")).startsWith("sluice; hit");
            assertThat(gzipHit.header("Content-Encoding")).isEqualTo("gzip");
            assertThat(gzipHit.header("Vary")).isEqualTo("Accept-Encoding");
            try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(gzipHit.body()))) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("/text #1");
            }
            RawHttp.Response plainHit = get(sluice, "/text");
            assertThat(plainHit.header("Cache-Status")).startsWith("sluice; hit");
            assertThat(plainHit.bodyText()).isEqualTo("/text #2");
            assertThat(origin.count("/text")).isEqualTo(2);
        }
    }

    @Test
    void a304sCookieRangeRequestsOnlyIfCachedAndMissesThatCannotBeStored() throws Exception {
        Origin origin = new Origin();
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", ""), TestUpstream.env(app))) {
            // a 304's Set-Cookie reaches the client, and is not stored
            get(sluice, "/etag-cookie");
            RawHttp.Response renewed = get(sluice, "/etag-cookie");
            assertThat(renewed.bodyText()).isEqualTo("/etag-cookie #1");
            assertThat(renewed.header("Set-Cookie")).isEqualTo("session=renewed");

            // a Range request on a stale entry is not turned into a revalidation (its If-Range would be lost)
            get(sluice, "/etag-range");
            get(sluice, "/etag-range", "Range: bytes=2-", "If-Range: \"e1\"");
            assertThat(origin.ifNoneMatch).containsExactly("null", "\"e1\"", "null", "null");

            // only-if-cached: 504 when nothing fresh is stored
            RawHttp.Response onlyIfCached = get(sluice, "/never", "Cache-Control: only-if-cached");
            assertThat(onlyIfCached.status()).isEqualTo(504);
            assertThat(origin.count("/never")).isZero();

            // misses on a response that cannot be stored do not wait for each other
            List<CompletableFuture<RawHttp.Response>> waiting = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                waiting.add(getAsync(sluice, "/events"));
                if (i == 0) {
                    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> origin.count("/events") == 1);
                }
            }
            origin.slow.countDown(); // the first answers (not storable): the two waiting go upstream at once
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> origin.count("/events") == 3);
            for (CompletableFuture<RawHttp.Response> w : waiting) {
                assertThat(w.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
            }
        }
    }

    /**
     * A client's conditional miss never leads: the plain requests after it wait for one plain request instead
     * (found by a review: they waited for the conditional one, whose 304 cannot be stored, then all went upstream).
     */
    @Test
    void aConditionalMissIsNotTheOneOthersWaitFor() throws Exception {
        Origin origin = new Origin();
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", ""), TestUpstream.env(app))) {
            CompletableFuture<RawHttp.Response> conditional = getAsync(sluice, "/cond", "If-None-Match: \"c1\"");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> origin.count("/cond") == 1);
            List<CompletableFuture<RawHttp.Response>> plain = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                plain.add(getAsync(sluice, "/cond"));
            }
            // the first plain request goes upstream (the route's lock_timeout is 30 s: one waiting for the
            // conditional request would not)
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> origin.count("/cond") == 2);
            origin.slow.countDown();
            assertThat(conditional.get(30, TimeUnit.SECONDS).status()).isEqualTo(304);
            for (CompletableFuture<RawHttp.Response> p : plain) {
                assertThat(p.get(30, TimeUnit.SECONDS).bodyText()).isEqualTo("/cond #2");
            }
            assertThat(origin.count("/cond")).isEqualTo(2);
        }
    }

    @Test
    void a304DoesNotReplaceTheStoredRepresentationsMetadata() throws Exception {
        Origin origin = new Origin();
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", ""), TestUpstream.env(app))) {
            get(sluice, "/etag-meta"); // stored, stale at once
            RawHttp.Response refreshed = get(sluice, "/etag-meta");
            assertThat(refreshed.header("Cache-Status")).contains("fwd-status=304");
            assertThat(refreshed.bodyText()).isEqualTo("/etag-meta #1");
            assertThat(refreshed.header("X-Refreshed")).isEqualTo("yes"); // other fields are updated
            assertThat(refreshed.header("ETag")).isEqualTo("\"e1\"");
            assertThat(refreshed.header("Content-Type")).isEqualTo("text/plain");
        }
    }

    @Test
    void aVariantIsStoredUnderTheValuesTheClientSent() throws Exception {
        Origin origin = new Origin();
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", ""), TestUpstream.env(app))) {
            // the route sets Accept-Language on the way upstream; the response varies on it
            RawHttp.Response first = get(sluice, "/lang/page", "Accept-Language: fr");
            assertThat(first.bodyText()).isEqualTo("lang=en #1");
            RawHttp.Response again = get(sluice, "/lang/page", "Accept-Language: fr");
            assertThat(again.header("Cache-Status")).startsWith("sluice; hit");
            assertThat(again.bodyText()).isEqualTo("lang=en #1");
            assertThat(get(sluice, "/lang/page", "Accept-Language: de").header("Cache-Status"))
                    .startsWith("sluice; fwd=miss");
            assertThat(origin.count("/lang/page")).isEqualTo(2);
        }
    }

    @Test
    void aRevalidationTheRequestForbidsToStoreStoresNothing() throws Exception {
        Origin origin = new Origin();
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", ""), TestUpstream.env(app))) {
            get(sluice, "/etag-fresh"); // stored, stale at once (max-age=0, an ETag)
            RawHttp.Response revalidated = get(sluice, "/etag-fresh", "Cache-Control: no-store");
            assertThat(revalidated.bodyText()).isEqualTo("/etag-fresh #1");
            assertThat(origin.ifNoneMatch).containsExactly("null", "\"e1\"");
            // the 304 said max-age=60, but the request said no-store: the entry is still the stale one
            RawHttp.Response next = get(sluice, "/etag-fresh");
            assertThat(next.header("Cache-Status")).startsWith("sluice; fwd=stale");
            assertThat(origin.count("/etag-fresh")).isEqualTo(3);
            // without no-store the refreshed entry is stored, and the one after is a hit
            assertThat(get(sluice, "/etag-fresh").header("Cache-Status")).startsWith("sluice; hit");
        }
    }

    @Test
    void anEventStreamIsNeitherStoredNorWaitedFor() throws Exception {
        Origin origin = new Origin();
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", ""), TestUpstream.env(app))) {
            CompletableFuture<RawHttp.Response> first = getAsync(sluice, "/stream");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> origin.count("/stream") == 1);
            // the route's lock_timeout is 30 s: a second request that waited for the first would not reach the
            // origin before the await below gives up
            CompletableFuture<RawHttp.Response> second = getAsync(sluice, "/stream");
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> origin.count("/stream") == 2);
            origin.streaming.countDown();
            assertThat(first.get(10, TimeUnit.SECONDS).header("Cache-Status")).isEqualTo("sluice; fwd=miss");
            assertThat(second.get(10, TimeUnit.SECONDS).bodyText()).isEqualTo("data: one\n\n");
            assertThat(get(sluice, "/stream").header("Cache-Status")).isEqualTo("sluice; fwd=miss");
            assertThat(origin.count("/stream")).isEqualTo(3);
        }
    }

    @Test
    void twoRoutesNeverShareEntriesInRedis() throws Exception {
        Origin origin = new Origin();
        try (RedisServerProcess redis = RedisServerProcess.start(); TestUpstream app = TestUpstream.start("app", origin)) {
            Map<String, String> env = new HashMap<>(TestUpstream.env(app));
            env.put("REDIS_PORT", Integer.toString(redis.port()));
            String yaml = """
                    listeners:
                      - name: main
                        address: 127.0.0.1:0
                        routes:
                          - name: canary
                            match: { headers: { X-Canary: "1" } }
                            filters: [ { cache: { redis: true, default_ttl: 60s } } ]
                            respond: { status: 200, body: "canary" }
                          - name: stable
                            filters: [ { cache: { redis: true } } ]
                            upstream: app
                    upstreams:
                      app:
                        endpoints: [ { address: "${UP1}" } ]
                    redis: { address: "redis://127.0.0.1:${REDIS_PORT}" }
                    """;
            try (SluiceUnderTest a = SluiceUnderTest.start(yaml, env); SluiceUnderTest b = SluiceUnderTest.start(yaml, env)) {
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                        a.sluice().sharedStoreConnected() && b.sluice().sharedStoreConnected());
                assertThat(get(a, "/page").bodyText()).isEqualTo("/page #1");
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                        get(b, "/page").header("Cache-Status").startsWith("sluice; hit"));
                RawHttp.Response canary = get(b, "/page", "X-Canary: 1");
                assertThat(canary.bodyText()).isEqualTo("canary");
                assertThat(canary.header("Cache-Status")).isEqualTo("sluice; fwd=miss; stored");
            }
        }
    }

    @Test
    void concurrentRevalidationsSendOneRequestUpstream() throws Exception {
        Origin origin = new Origin();
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", ""), TestUpstream.env(app))) {
            get(sluice, "/etag-slow"); // stored, stale at once (max-age=0, an ETag)
            List<CompletableFuture<RawHttp.Response>> waiting = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                waiting.add(getAsync(sluice, "/etag-slow"));
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> origin.count("/etag-slow") == 2);
            origin.slow.countDown();
            for (CompletableFuture<RawHttp.Response> w : waiting) {
                assertThat(w.get(30, TimeUnit.SECONDS).bodyText()).isEqualTo("/etag-slow #1");
            }
            assertThat(origin.count("/etag-slow")).isEqualTo(2); // the first, and one revalidation for the four
            assertThat(get(sluice, "/etag-slow").header("Cache-Status")).startsWith("sluice; hit");
        }
    }

    @Test
    void aFreshEntryAnswersASingleByteRange() throws Exception {
        Origin origin = new Origin();
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", ""), TestUpstream.env(app))) {
            assertThat(get(sluice, "/bytes").bodyText()).isEqualTo("/bytes #1");
            RawHttp.Response part = get(sluice, "/bytes", "Range: bytes=1-4");
            assertThat(part.status()).isEqualTo(206);
            assertThat(part.bodyText()).isEqualTo("byte");
            assertThat(part.header("Content-Range")).isEqualTo("bytes 1-4/9");
            assertThat(part.header("Cache-Status")).startsWith("sluice; hit");
            assertThat(get(sluice, "/bytes", "Range: bytes=-2").bodyText()).isEqualTo("#1");
            RawHttp.Response past = get(sluice, "/bytes", "Range: bytes=100-");
            assertThat(past.status()).isEqualTo(416);
            assertThat(past.header("Content-Range")).isEqualTo("bytes */9");
            RawHttp.Response several = get(sluice, "/bytes", "Range: bytes=0-1,3-4");
            assertThat(several.status()).isEqualTo(200); // several ranges: the whole response, as the RFC allows
            // If-None-Match is decided before Range (RFC 9110 §13.2.2): a matching one gets 304, not 206
            assertThat(get(sluice, "/tagged").status()).isEqualTo(200);
            RawHttp.Response notModified = get(sluice, "/tagged", "Range: bytes=0-3", "If-None-Match: \"t1\"");
            assertThat(notModified.status()).isEqualTo(304);
            assertThat(get(sluice, "/tagged", "Range: bytes=0-3", "If-None-Match: \"t0\"").status()).isEqualTo(206);
            RawHttp.Response changed = get(sluice, "/bytes", "Range: bytes=1-4", "If-Range: \"other\"");
            assertThat(changed.status()).isEqualTo(200);
            assertThat(changed.bodyText()).isEqualTo("/bytes #1");
            assertThat(origin.count("/bytes")).isEqualTo(1);
        }
    }

    @Test
    void theAccessLogSaysWhatTheCacheDid(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Origin origin = new Origin();
        java.nio.file.Path log = dir.resolve("access.log");
        String tail = "access_log: { format: json, path: \"" + log + "\", fields: [uri, status, cache_status] }";
        try (TestUpstream app = TestUpstream.start("app", origin);
             SluiceUnderTest sluice = SluiceUnderTest.start(yaml("", tail), TestUpstream.env(app))) {
            get(sluice, "/logged");
            get(sluice, "/logged");
            get(sluice, "/plain"); // the plain route's cache: 404 stored by default_ttl
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                    java.nio.file.Files.exists(log) && java.nio.file.Files.readAllLines(log).size() == 3);
            List<String> lines = java.nio.file.Files.readAllLines(log);
            assertThat(lines.get(0)).isEqualTo("{\"uri\":\"/logged\",\"status\":200,\"cache_status\":\"sluice; fwd=miss; stored\"}");
            assertThat(lines.get(1)).startsWith("{\"uri\":\"/logged\",\"status\":200,\"cache_status\":\"sluice; hit; ttl=");
            assertThat(lines.get(2)).isEqualTo("{\"uri\":\"/plain\",\"status\":404,\"cache_status\":\"sluice; fwd=miss; stored\"}");
        }
    }
}
