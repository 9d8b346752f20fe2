package io.sluice.response;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** StaticFiles behind a real HttpServerCodec on 127.0.0.1, files in a temporary directory. */
class StaticFilesTest {

    private static final String HELLO = "hello, world\n"; // 13 bytes
    private static final String SECRET = "TOP SECRET";
    private static final Instant MODIFIED = Instant.parse("2024-05-06T07:08:09.500Z");

    @TempDir
    static Path dir;

    private static Path root;
    private static byte[] big;
    private static EventLoopGroup group;
    private static Channel server;
    private static HttpClient client;

    @BeforeAll
    static void start() throws Exception {
        root = Files.createDirectories(dir.resolve("root"));
        Files.writeString(dir.resolve("secret"), SECRET);
        Files.createDirectories(dir.resolve("outside"));
        Files.writeString(dir.resolve("outside/f.txt"), SECRET);

        Files.writeString(root.resolve("index.html"), "<h1>home</h1>");
        Files.writeString(root.resolve("hello.txt"), HELLO);
        Files.setLastModifiedTime(root.resolve("hello.txt"), FileTime.from(MODIFIED));
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(root.resolve("docs/index.html"), "<h1>docs</h1>");
        Files.createDirectories(root.resolve("empty"));
        Files.createDirectories(root.resolve("a"));
        Files.writeString(root.resolve("a b.txt"), "space");
        Files.writeString(root.resolve("café.txt"), "accent");
        Files.writeString(root.resolve(".hidden"), "hidden");
        Files.writeString(root.resolve("zero.txt"), "");
        for (String name : new String[] {"style.css", "app.js", "mod.mjs", "data.json", "logo.svg", "logo.png",
                "photo.JPG", "font.woff2", "app.wasm", "doc.pdf", "blob.xyz", "README"}) {
            Files.writeString(root.resolve(name), "x");
        }
        big = new byte[1 << 20];
        new Random(42).nextBytes(big);
        Files.write(root.resolve("big.bin"), big);
        Files.createSymbolicLink(root.resolve("escape"), dir.resolve("secret"));
        Files.createSymbolicLink(root.resolve("outdir"), dir.resolve("outside"));
        Files.createSymbolicLink(root.resolve("inlink.txt"), root.resolve("hello.txt"));
        Files.createSymbolicLink(root.resolve("relative-escape"), Path.of("../secret"));

        StaticFiles files = new StaticFiles(root);
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new ServeHandler(files));
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close().sync();
        }
        if (group != null) {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    /** What the proxy does around serve(): path without query, an optional prefix stripped, decorate. */
    private static final class ServeHandler extends SimpleChannelInboundHandler<HttpObject> {
        private final StaticFiles files;

        ServeHandler(StaticFiles files) {
            this.files = files;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            // Bodies (HttpContent) are released by SimpleChannelInboundHandler after this returns.
            if (!(msg instanceof HttpRequest request)) {
                return;
            }
            String uri = request.uri();
            int query = uri.indexOf('?');
            String path = query < 0 ? uri : uri.substring(0, query);
            if (path.startsWith("/pre/") || path.equals("/pre")) {
                path = path.substring("/pre".length()); // strip_prefix: /pre
            }
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            ChannelFuture last = files.serve(ctx, request, path, response -> {
                response.headers().set("X-Decorated", "yes");
                if (!keepAlive) {
                    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                }
            });
            if (!keepAlive) {
                last.addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    private static int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    private static java.net.http.HttpRequest.Builder request(String path) {
        return java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
                .timeout(java.time.Duration.ofSeconds(10));
    }

    private static HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        java.net.http.HttpRequest.Builder builder = request(path).GET();
        if (headers.length > 0) {
            builder.headers(headers);
        }
        return client.send(builder.build(), BodyHandlers.ofByteArray());
    }

    private static String body(HttpResponse<byte[]> response) {
        return new String(response.body(), UTF_8);
    }

    private static String header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    /** A response read off a raw socket until the server closed it. */
    private record Raw(int status, Map<String, String> headers, byte[] body, String all) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Sends {@code requestLine} (e.g. "GET /x") with Connection: close, byte for byte, as a client would not. */
    private static Raw raw(String requestLine) throws IOException {
        return rawExchange(requestLine + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    }

    private static Raw rawExchange(String bytes) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(bytes.getBytes(ISO_8859_1));
            socket.getOutputStream().flush();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            in.transferTo(received);
            byte[] all = received.toByteArray();
            String text = new String(all, ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            assertThat(end).as("end of the response head in %s", text).isPositive();
            String[] lines = text.substring(0, end).split("\r\n");
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
            return new Raw(Integer.parseInt(lines[0].split(" ")[1]), headers,
                    Arrays.copyOfRange(all, end + 4, all.length), text);
        }
    }

    // ---------------------------------------------------------------- plain GETs

    @Test
    void servesAFileWithItsHeaders() throws Exception {
        HttpResponse<byte[]> response = get("/hello.txt");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(body(response)).isEqualTo(HELLO);
        assertThat(header(response, "Content-Type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(header(response, "Content-Length")).isEqualTo("13");
        assertThat(header(response, "Last-Modified")).isEqualTo("Mon, 06 May 2024 07:08:09 GMT");
        assertThat(header(response, "ETag")).startsWith("W/\"").endsWith("\"");
        assertThat(header(response, "Accept-Ranges")).isEqualTo("bytes");
        assertThat(header(response, "Date")).isNotNull();
        assertThat(header(response, "X-Decorated")).isEqualTo("yes");
    }

    @Test
    void aLargeFileArrivesWhole() throws Exception {
        HttpResponse<byte[]> response = get("/big.bin");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(header(response, "Content-Type")).isEqualTo("application/octet-stream");
        assertThat(response.body()).isEqualTo(big);
    }

    @Test
    void anEmptyFile() throws Exception {
        HttpResponse<byte[]> response = get("/zero.txt");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(header(response, "Content-Length")).isEqualTo("0");
        assertThat(response.body()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "/style.css   | text/css; charset=utf-8",
            "/app.js      | text/javascript; charset=utf-8",
            "/mod.mjs     | text/javascript; charset=utf-8",
            "/data.json   | application/json; charset=utf-8",
            "/logo.svg    | image/svg+xml; charset=utf-8",
            "/logo.png    | image/png",
            "/photo.JPG   | image/jpeg",
            "/font.woff2  | font/woff2",
            "/app.wasm    | application/wasm",
            "/doc.pdf     | application/pdf",
            "/index.html  | text/html; charset=utf-8",
            "/blob.xyz    | application/octet-stream",
            "/README      | application/octet-stream"})
    void contentTypeByExtension(String path, String type) throws Exception {
        HttpResponse<byte[]> response = get(path);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(header(response, "Content-Type")).isEqualTo(type);
    }

    @Test
    void namesArePercentDecoded() throws Exception {
        assertThat(body(get("/a%20b.txt"))).isEqualTo("space");
        assertThat(body(get("/caf%C3%A9.txt"))).isEqualTo("accent");
        assertThat(raw("GET /caf\u00c3\u00a9.txt").status()).isEqualTo(200); // raw UTF-8 on the wire
        assertThat(body(get("/.hidden"))).isEqualTo("hidden"); // as nginx: hidden files are files
    }

    @Test
    void dotSegmentsInsideTheRootAreResolved() throws Exception {
        assertThat(raw("GET /docs/../hello.txt").body()).asString(ISO_8859_1).isEqualTo(HELLO);
        assertThat(raw("GET /docs/%2e%2e/hello.txt").body()).asString(ISO_8859_1).isEqualTo(HELLO);
        assertThat(raw("GET //docs/./index.html").body()).asString(ISO_8859_1).isEqualTo("<h1>docs</h1>");
    }

    @Test
    void missingFileIs404WithAShortText() throws Exception {
        HttpResponse<byte[]> response = get("/nope.txt");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(body(response)).isEqualTo("404 Not Found\n");
        assertThat(header(response, "Content-Type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(header(response, "X-Decorated")).isEqualTo("yes");
        assertThat(get("/hello.txt/").statusCode()).isEqualTo(404);
        assertThat(get("/hello.txt/x").statusCode()).isEqualTo(404);
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PUT", "DELETE", "OPTIONS"})
    void otherMethodsAre405(String method) throws Exception {
        HttpResponse<byte[]> response = client.send(
                request("/hello.txt").method(method, BodyPublishers.ofString("some body")).build(),
                BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).isEqualTo(405);
        assertThat(header(response, "Allow")).isEqualTo("GET, HEAD");
        assertThat(header(response, "X-Decorated")).isEqualTo("yes");
    }

    // ---------------------------------------------------------------- HEAD

    @Test
    void headHasTheHeadersOfGetAndNoBody() throws Exception {
        Raw get = raw("GET /hello.txt");
        Raw head = raw("HEAD /hello.txt");

        assertThat(head.status()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.header("Content-Length")).isEqualTo("13");
        for (String name : new String[] {"Content-Type", "Content-Length", "Last-Modified", "ETag", "Accept-Ranges"}) {
            assertThat(head.header(name)).as(name).isEqualTo(get.header(name));
        }
        Raw missing = raw("HEAD /nope");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body()).isEmpty();
    }

    @Test
    void headThenGetOnOneConnection() throws Exception {
        Raw both = rawExchange("HEAD /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"
                + "GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");

        String all = both.all();
        assertThat(all).startsWith("HTTP/1.1 200 OK\r\n");
        int second = all.indexOf("HTTP/1.1 200 OK\r\n", 1);
        assertThat(second).isPositive();
        assertThat(all.substring(0, second)).endsWith("\r\n\r\n").doesNotContain(HELLO);
        assertThat(all).endsWith("\r\n\r\n" + HELLO);
    }

    @Test
    void headIgnoresRange() throws Exception {
        Raw head = rawExchange("HEAD /hello.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-1\r\nConnection: close\r\n\r\n");

        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("Content-Length")).isEqualTo("13");
        assertThat(head.body()).isEmpty();
    }

    // ---------------------------------------------------------------- directories

    @Test
    void directoriesServeTheirIndex() throws Exception {
        assertThat(body(get("/"))).isEqualTo("<h1>home</h1>");
        HttpResponse<byte[]> docs = get("/docs/");
        assertThat(docs.statusCode()).isEqualTo(200);
        assertThat(body(docs)).isEqualTo("<h1>docs</h1>");
        assertThat(header(docs, "Content-Type")).isEqualTo("text/html; charset=utf-8");
        assertThat(body(get("/pre"))).isEqualTo("<h1>home</h1>"); // strip_prefix leaving ""
    }

    @Test
    void aDirectoryWithoutIndexIs404NotAListing() throws Exception {
        assertThat(get("/empty/").statusCode()).isEqualTo(404);
    }

    @Test
    void aDirectoryWithoutSlashRedirects() throws Exception {
        HttpResponse<byte[]> response = get("/docs");
        assertThat(response.statusCode()).isEqualTo(301);
        assertThat(header(response, "Location")).isEqualTo("/docs/");
        assertThat(header(response, "X-Decorated")).isEqualTo("yes");

        HttpResponse<byte[]> prefixed = get("/pre/docs?x=1&y=%2F");
        assertThat(prefixed.statusCode()).isEqualTo(301);
        assertThat(header(prefixed, "Location")).isEqualTo("/pre/docs/?x=1&y=%2F");

        assertThat(header(get("/empty"), "Location")).isEqualTo("/empty/");
    }

    @Test
    void aRedirectNeverPointsAtAnotherHost() throws Exception {
        Files.createDirectories(root.resolve("evil.example"));
        Raw response = raw("GET //evil.example");

        assertThat(response.status()).isEqualTo(301);
        assertThat(response.header("Location")).isEqualTo("/evil.example/");
    }

    // ---------------------------------------------------------------- validators

    @Test
    void ifNoneMatchGives304() throws Exception {
        String etag = header(get("/hello.txt"), "ETag");

        HttpResponse<byte[]> same = get("/hello.txt", "If-None-Match", etag);
        assertThat(same.statusCode()).isEqualTo(304);
        assertThat(same.body()).isEmpty();
        assertThat(header(same, "ETag")).isEqualTo(etag);
        assertThat(header(same, "X-Decorated")).isEqualTo("yes");

        assertThat(get("/hello.txt", "If-None-Match", "\"other\", " + etag.substring(2)).statusCode()).isEqualTo(304);
        assertThat(get("/hello.txt", "If-None-Match", "*").statusCode()).isEqualTo(304);
        assertThat(get("/hello.txt", "If-None-Match", "W/\"other\"").statusCode()).isEqualTo(200);
        // If-None-Match decides; If-Modified-Since is then ignored
        assertThat(get("/hello.txt", "If-None-Match", "W/\"other\"",
                "If-Modified-Since", "Mon, 06 May 2024 07:08:09 GMT").statusCode()).isEqualTo(200);
    }

    @Test
    void ifModifiedSinceGives304() throws Exception {
        HttpResponse<byte[]> same = get("/hello.txt", "If-Modified-Since", "Mon, 06 May 2024 07:08:09 GMT");
        assertThat(same.statusCode()).isEqualTo(304);
        assertThat(same.body()).isEmpty();
        assertThat(get("/hello.txt", "If-Modified-Since", "Tue, 07 May 2024 00:00:00 GMT").statusCode()).isEqualTo(304);

        HttpResponse<byte[]> older = get("/hello.txt", "If-Modified-Since", "Mon, 06 May 2024 07:08:08 GMT");
        assertThat(older.statusCode()).isEqualTo(200);
        assertThat(body(older)).isEqualTo(HELLO);
        assertThat(get("/hello.txt", "If-Modified-Since", "yesterday").statusCode()).isEqualTo(200);
    }

    @Test
    void headIs304Too() throws Exception {
        Raw head = rawExchange("HEAD /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                + "If-Modified-Since: " + DateFormatter.format(new Date()) + "\r\n\r\n");

        assertThat(head.status()).isEqualTo(304);
        assertThat(head.body()).isEmpty();
    }

    // ---------------------------------------------------------------- ranges

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "bytes=0-4    | bytes 0-4/13  | hello",
            "bytes=7-     | bytes 7-12/13 | 'world\n'",
            "bytes=-6     | bytes 7-12/13 | 'world\n'",
            "bytes=5-1000 | bytes 5-12/13 | ', world\n'"})
    void aSingleRangeIs206(String range, String contentRange, String expected) throws Exception {
        HttpResponse<byte[]> response = get("/hello.txt", "Range", range);

        assertThat(response.statusCode()).isEqualTo(206);
        assertThat(header(response, "Content-Range")).isEqualTo(contentRange);
        assertThat(header(response, "Content-Length")).isEqualTo(String.valueOf(expected.length()));
        assertThat(header(response, "Content-Type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(body(response)).isEqualTo(expected);
    }

    @Test
    void aRangeOfALargeFile() throws Exception {
        HttpResponse<byte[]> response = get("/big.bin", "Range", "bytes=1000-500999");

        assertThat(response.statusCode()).isEqualTo(206);
        assertThat(header(response, "Content-Range")).isEqualTo("bytes 1000-500999/" + big.length);
        assertThat(response.body()).isEqualTo(Arrays.copyOfRange(big, 1000, 501000));
    }

    @Test
    void anUnsatisfiableRangeIs416() throws Exception {
        HttpResponse<byte[]> response = get("/hello.txt", "Range", "bytes=13-");

        assertThat(response.statusCode()).isEqualTo(416);
        assertThat(header(response, "Content-Range")).isEqualTo("bytes */13");
        assertThat(get("/zero.txt", "Range", "bytes=0-").statusCode()).isEqualTo(416);
    }

    @Test
    void severalRangesOrABadOneGiveTheWholeFile() throws Exception {
        for (String range : new String[] {"bytes=0-1,3-4", "bytes=4-1", "lines=1-2"}) {
            HttpResponse<byte[]> response = get("/hello.txt", "Range", range);
            assertThat(response.statusCode()).as(range).isEqualTo(200);
            assertThat(body(response)).isEqualTo(HELLO);
            assertThat(header(response, "Content-Range")).isNull();
        }
    }

    @Test
    void ifRange() throws Exception {
        HttpResponse<byte[]> sameDate = get("/hello.txt", "Range", "bytes=0-4",
                "If-Range", "Mon, 06 May 2024 07:08:09 GMT");
        assertThat(sameDate.statusCode()).isEqualTo(206);
        assertThat(body(sameDate)).isEqualTo("hello");

        HttpResponse<byte[]> otherDate = get("/hello.txt", "Range", "bytes=0-4",
                "If-Range", "Mon, 06 May 2024 07:08:08 GMT");
        assertThat(otherDate.statusCode()).isEqualTo(200);
        assertThat(body(otherDate)).isEqualTo(HELLO);

        // our ETag is weak, and If-Range needs a strong match
        String etag = header(get("/hello.txt"), "ETag");
        assertThat(get("/hello.txt", "Range", "bytes=0-4", "If-Range", etag).statusCode()).isEqualTo(200);
    }

    // ---------------------------------------------------------------- containment

    @ParameterizedTest
    @ValueSource(strings = {"/../secret", "/%2e%2e/secret", "/%2E%2E/secret", "/a/..%2f..%2fsecret",
            "/..%2fsecret", "/%2e%2e%2fsecret", "/docs/../../secret", "//..//secret", "/a/%2e%2e/%2e%2e/secret",
            "/..\\secret", "/a\\..\\..\\secret", "/%5c..%5csecret", "/%c0%ae%c0%ae/secret", "/hello.txt%00",
            "/%zz", "/docs/%2e%2e%2f%2e%2e%2fsecret", "/pre/../secret", "/pre/%2e%2e/secret",
            "/escape", "/relative-escape", "/outdir/f.txt", "/outdir/", "/outdir"})
    void nothingOutsideTheRootIsReachable(String target) throws Exception {
        Raw response = raw("GET " + target);

        assertThat(response.status()).as(target).isIn(400, 404);
        assertThat(response.all()).as(target).doesNotContain(SECRET);
    }

    @Test
    void traversalAndBadEncodingsAre400() throws Exception {
        for (String target : new String[] {"/../secret", "/%2e%2e/secret", "/a/..%2f..%2fsecret", "/%00",
                "/%zz", "/%ff", "/..\\secret"}) {
            Raw response = raw("GET " + target);
            assertThat(response.status()).as(target).isEqualTo(400);
            assertThat(new String(response.body(), UTF_8)).isEqualTo("400 Bad Request\n");
        }
    }

    @Test
    void symlinksOutsideTheRootAre404AndInsideAreFollowed() throws Exception {
        assertThat(raw("GET /escape").status()).isEqualTo(404);
        assertThat(raw("GET /outdir/f.txt").status()).isEqualTo(404);

        HttpResponse<byte[]> inside = get("/inlink.txt");
        assertThat(inside.statusCode()).isEqualTo(200);
        assertThat(body(inside)).isEqualTo(HELLO);
    }

    // ---------------------------------------------------------------- file handles

    /** This JVM's open descriptors on big.bin (Linux /proc). */
    private static long openHandlesOnBigFile() throws IOException {
        Path target = root.resolve("big.bin").toRealPath();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(target);
                } catch (IOException | UnsupportedOperationException e) {
                    return false; // closed meanwhile, or not a link
                }
            }).count();
        }
    }

    @Test
    void theFileIsClosedAfterTheResponseAndAfterAnAbortedOne() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc");

        assertThat(get("/big.bin", "Range", "bytes=10-20").statusCode()).isEqualTo(206);
        assertThat(get("/big.bin").body()).hasSize(big.length);
        await().atMost(java.time.Duration.ofSeconds(60)).until(() -> openHandlesOnBigFile() == 0);

        // A client that reads a little and resets the connection: the region must still be released.
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(server.localAddress());
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(ISO_8859_1));
            assertThat(socket.getInputStream().readNBytes(100)).hasSize(100);
            socket.setSoLinger(true, 0);
        }
        await().atMost(java.time.Duration.ofSeconds(60)).until(() -> openHandlesOnBigFile() == 0);
    }
}
