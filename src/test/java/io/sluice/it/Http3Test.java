package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.http3.DefaultHttp3DataFrame;
import io.netty.handler.codec.http3.DefaultHttp3HeadersFrame;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.http3.Http3ClientConnectionHandler;
import io.netty.handler.codec.http3.Http3DataFrame;
import io.netty.handler.codec.http3.Http3HeadersFrame;
import io.netty.handler.codec.http3.Http3RequestStreamInboundHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.sluice.tls.TestPki;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code http3: true}: requests over HTTP/3 (Netty's QUIC client) reach the routes; the other versions advertise it. */
class Http3Test {
    @TempDir
    static Path dir;
    static TestPki pki;
    static TestPki.Issued site;
    static EventLoopGroup clientLoop;

    @BeforeAll
    static void setUp() throws Exception {
        pki = new TestPki(dir, "h3");
        site = pki.issue("site", "site.test", "127.0.0.1");
        java.nio.file.Files.createDirectories(dir.resolve("www"));
        java.nio.file.Files.writeString(dir.resolve("www/page.txt"), "0123456789abcdef".repeat(20_000));
        clientLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterAll
    static void tearDown() {
        clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    static final String YAML = """
            listeners:
              - name: secure
                address: 127.0.0.1:0
                protocol: https
                http3: true
                tls: { certificates: [ { cert: "${SITE_CRT}", key: "${SITE_KEY}" } ] }
                routes:
                  - { match: { path_prefix: /local }, respond: { status: 201, body: "local\\n" } }
                  - { match: { path_prefix: /files/ }, strip_prefix: /files, static: { root: "${ROOT}" } }
                  - { upstream: app }
            upstreams:
              app: { endpoints: [ { address: "${UP1}" } ] }
            access_log: { format: json, path: "${LOG}", fields: [protocol, uri] }
            """;

    static Map<String, String> env(TestUpstream up) {
        Map<String, String> env = new HashMap<>(TestUpstream.env(up));
        env.put("SITE_CRT", site.cert().toString());
        env.put("SITE_KEY", site.key().toString());
        env.put("ROOT", dir.resolve("www").toString());
        env.put("LOG", dir.resolve("access-" + System.nanoTime() + ".log").toString());
        return env;
    }

    @Test
    void requestsOverHttp3AreProxiedLikeAnyOther() throws Exception {
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up))) {
            int port = sluice.port("secure");
            try (H3Client client = H3Client.connect(port)) {
                Answer get = client.send("GET", "/x?q=1", null, "x-http3-path", "/steered", "x-http3-stream-id", "9");
                assertThat(get.status).isEqualTo("200");
                assertThat(get.body).isEqualTo("a\n");
                TestUpstream.Received got = up.next();
                assertThat(got.method()).isEqualTo("GET");
                assertThat(got.uri()).isEqualTo("/x?q=1");
                assertThat(got.header("Transfer-Encoding")).isNull(); // a GET that ended with its head has no body
                assertThat(got.body()).isEmpty();
                assertThat(got.header("X-Forwarded-Proto")).isEqualTo("https");
                assertThat(got.header("X-Forwarded-For")).isEqualTo("127.0.0.1");
                assertThat(got.header("Host")).isEqualTo("site.test:" + port);
                assertThat(got.headers().keySet()).noneMatch(name -> name.toLowerCase().startsWith("x-http3"));

                Answer post = client.send("POST", "/upload", "hello over quic".getBytes(StandardCharsets.UTF_8));
                assertThat(post.status).isEqualTo("200");
                TestUpstream.Received posted = up.next();
                assertThat(posted.method()).isEqualTo("POST");
                assertThat(posted.bodyText()).isEqualTo("hello over quic");

                Answer local = client.send("GET", "/local", null); // a second stream of the same connection
                assertThat(local.status).isEqualTo("201");
                assertThat(local.body).isEqualTo("local\n");
                assertThat(local.headers.get("x-request-id")).isNotEmpty();

                Answer file = client.send("GET", "/files/page.txt", null); // a static file, in chunks on a stream
                assertThat(file.status).isEqualTo("200");
                assertThat(file.body).isEqualTo("0123456789abcdef".repeat(20_000));
            }
        }
    }

    @Test
    void theStickyCookieIsSecureOverHttp3() throws Exception {
        String sticky = YAML.replace("app: { endpoints: [ { address: \"${UP1}\" } ] }",
                "app: { endpoints: [ { address: \"${UP1}\" } ], sticky: { cookie: SLUICE_ROUTE, ttl: 1h } }");
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(sticky, env(up))) {
            try (H3Client client = H3Client.connect(sluice.port("secure"))) {
                Answer get = client.send("GET", "/x", null);
                assertThat(get.status).isEqualTo("200");
                assertThat(get.headers.get("set-cookie")).startsWith("SLUICE_ROUTE=").endsWith("; Secure");
            }
        }
    }

    @Test
    void largeBodiesStreamBothWays() throws Exception {
        byte[] big = new byte[2 * 1024 * 1024];
        new java.util.Random(7).nextBytes(big);
        try (TestUpstream up = TestUpstream.start("big", exchange -> {
                 byte[] in;
                 try (java.io.InputStream body = exchange.getRequestBody()) {
                     in = body.readAllBytes();
                 }
                 byte[] out = in.length > 0 ? sha256(in) : big;
                 exchange.sendResponseHeaders(200, out.length);
                 try (java.io.OutputStream o = exchange.getResponseBody()) {
                     o.write(out);
                 }
             });
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up));
             H3Client client = H3Client.connect(sluice.port("secure"))) {
            Answer download = client.sendForBytes("GET", "/big", null);
            assertThat(download.status).isEqualTo("200");
            assertThat(download.bytes).isEqualTo(big);

            byte[] upload = java.util.Arrays.copyOf(big, 1024 * 1024);
            Answer uploaded = client.sendForBytes("POST", "/sum", upload);
            assertThat(uploaded.status).isEqualTo("200");
            assertThat(uploaded.bytes).isEqualTo(sha256(upload));
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theOtherVersionsAdvertiseHttp3OnTheSamePort() throws Exception {
        Map<String, String> env;
        try (TestUpstream up = TestUpstream.start("a");
             SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env = env(up))) {
            int port = sluice.port("secure");
            for (HttpClient.Version version : HttpClient.Version.values()) {
                HttpClient c = HttpClient.newBuilder().sslContext(pki.clientContext(null)).version(version).build();
                HttpResponse<String> r = c.send(HttpRequest.newBuilder(java.net.URI.create("https://127.0.0.1:" + port
                        + "/local")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.version()).isEqualTo(version);
                assertThat(r.headers().firstValue("alt-svc")).hasValue("h3=\":" + port + "\"");
            }
            try (H3Client client = H3Client.connect(port)) {
                assertThat(client.send("GET", "/local", null).status).isEqualTo("201");
            }
            // the access log names the version each client spoke, as nginx's $server_protocol does
            Path log = Path.of(env.get("LOG"));
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(java.nio.file.Files.exists(log) ? java.nio.file.Files.readString(log) : "")
                            .contains("\"protocol\":\"HTTP/1.1\"", "\"protocol\":\"HTTP/2.0\"",
                                    "\"protocol\":\"HTTP/3.0\""));
        }
    }

    @Test
    void aReloadTurnsHttp3OffAndOn() throws Exception {
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up))) {
            int port = sluice.port("secure");
            HttpClient c = HttpClient.newBuilder().sslContext(pki.clientContext(null)).build();
            java.net.URI local = java.net.URI.create("https://127.0.0.1:" + port + "/local");

            sluice.reload(YAML.replace("    http3: true\n", ""), env(up));
            assertThat(c.send(HttpRequest.newBuilder(local).build(), HttpResponse.BodyHandlers.ofString()).headers()
                    .firstValue("alt-svc")).isEmpty();

            sluice.reload(YAML, env(up));
            assertThat(c.send(HttpRequest.newBuilder(local).build(), HttpResponse.BodyHandlers.ofString()).headers()
                    .firstValue("alt-svc")).hasValue("h3=\":" + port + "\"");
            try (H3Client client = H3Client.connect(port)) {
                assertThat(client.send("GET", "/local", null).status).isEqualTo("201");
            }
        }
    }

    @Test
    void aMalformedRequestIsRefusedAndOthersAreServed() throws Exception {
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up))) {
            try (H3Client client = H3Client.connect(sluice.port("secure"))) {
                Answer bad = client.send("GET", "no-slash", null);
                assertThat(bad.status).isNull(); // the stream was closed with an error, no response
                assertThat(client.send("GET", "/fine", null).status).isEqualTo("200");
                assertThat(up.next().uri()).isEqualTo("/fine"); // the malformed one never reached it
                // a header section past Netty's 8 KiB and within max_request_head (64 KiB)
                assertThat(client.send("GET", "/large-head", null, "x-big", "a".repeat(20_000)).status).isEqualTo("200");
                assertThat(up.next().header("x-big")).hasSize(20_000);
            }
            try (H3Client client = H3Client.connect(sluice.port("secure"))) {
                assertThat(client.send("GET", "/too-large", null, "x-big", "a".repeat(70_000)).status).isNull();
            }
            assertThat(up.receivedCount()).isZero();
        }
    }

    @Test
    void aRequestWithConnectionSpecificFieldsIsRefusedAndNothingGoesUpstream() throws Exception {
        // RFC 9114 §4.2: transfer-encoding (here beside a content-length, the smuggling pair) and the other
        // connection-specific fields make a request malformed: its stream is reset, nothing is forwarded
        try (TestUpstream up = TestUpstream.start("a"); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, env(up))) {
            try (H3Client client = H3Client.connect(sluice.port("secure"))) {
                byte[] body = "5\r\nhello\r\n0\r\n\r\n".getBytes(StandardCharsets.UTF_8);
                assertThat(client.send("POST", "/both", body, "content-length", String.valueOf(body.length),
                        "transfer-encoding", "chunked").status).isNull();
                assertThat(client.send("GET", "/te", null, "transfer-encoding", "chunked").status).isNull();
                assertThat(client.send("GET", "/conn", null, "connection", "close").status).isNull();
                assertThat(client.send("GET", "/ka", null, "keep-alive", "timeout=5").status).isNull();
                assertThat(client.send("GET", "/pc", null, "proxy-connection", "keep-alive").status).isNull();
                assertThat(client.send("GET", "/up", null, "upgrade", "websocket").status).isNull();
                assertThat(client.send("GET", "/tegz", null, "te", "gzip").status).isNull();
                assertThat(client.send("GET", "/fine", null, "te", "trailers").status).isEqualTo("200");
                assertThat(up.next().uri()).isEqualTo("/fine"); // none of the malformed ones reached it
            }
            assertThat(up.receivedCount()).isZero();
        }
    }

    /** What came back on one request stream; {@code status} null when the stream ended without a response. */
    record Answer(String status, Map<String, String> headers, String body, byte[] bytes) {
        Answer(String status, Map<String, String> headers, String body) {
            this(status, headers, body, null);
        }
    }

    /** Netty's HTTP/3 client over one QUIC connection, verifying the proxy's certificate for site.test. */
    static final class H3Client implements AutoCloseable {
        private final Channel udp;
        private final QuicChannel quic;

        private H3Client(Channel udp, QuicChannel quic) {
            this.udp = udp;
            this.quic = quic;
        }

        static H3Client connect(int port) throws Exception {
            QuicSslContext tls = QuicSslContextBuilder.forClient().trustManager(pki.caFile().toFile())
                    .applicationProtocols(Http3.supportedApplicationProtocols()).build();
            ChannelHandler codec = Http3.newQuicClientCodecBuilder()
                    .sslEngineProvider(q -> tls.newEngine(q.alloc(), "site.test", port)) // SNI and the name checked
                    .maxIdleTimeout(10, TimeUnit.SECONDS)
                    .initialMaxData(10_000_000)
                    .initialMaxStreamDataBidirectionalLocal(1_000_000)
                    .build();
            Channel udp = new Bootstrap().group(clientLoop).channel(NioDatagramChannel.class).handler(codec)
                    .bind(0).sync().channel();
            QuicChannel quic = QuicChannel.newBootstrap(udp).handler(new Http3ClientConnectionHandler())
                    .remoteAddress(new InetSocketAddress("127.0.0.1", port)).connect().get(10, TimeUnit.SECONDS);
            return new H3Client(udp, quic);
        }

        Answer send(String method, String path, byte[] body, String... fields) throws Exception {
            return sendForBytes(method, path, body, fields);
        }

        Answer sendForBytes(String method, String path, byte[] body, String... fields) throws Exception {
            CompletableFuture<Answer> answer = new CompletableFuture<>();
            Map<String, String> headers = new HashMap<>();
            ByteArrayOutputStream content = new ByteArrayOutputStream();
            QuicStreamChannel stream = Http3.newRequestStream(quic, new Http3RequestStreamInboundHandler() {
                @Override
                protected void channelRead(ChannelHandlerContext ctx, Http3HeadersFrame frame) {
                    frame.headers().forEach(e -> headers.put(e.getKey().toString(), e.getValue().toString()));
                    ReferenceCountUtil.release(frame);
                }

                @Override
                protected void channelRead(ChannelHandlerContext ctx, Http3DataFrame frame) {
                    byte[] bytes = new byte[frame.content().readableBytes()];
                    frame.content().readBytes(bytes);
                    content.writeBytes(bytes);
                    frame.release();
                }

                @Override
                protected void channelInputClosed(ChannelHandlerContext ctx) {
                    answer.complete(new Answer(headers.get(":status"), headers,
                            content.toString(StandardCharsets.UTF_8), content.toByteArray()));
                    ctx.close();
                }

                @Override
                public void channelInactive(ChannelHandlerContext ctx) throws Exception {
                    answer.complete(new Answer(headers.get(":status"), headers,
                            content.toString(StandardCharsets.UTF_8), content.toByteArray()));
                    super.channelInactive(ctx);
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    answer.complete(new Answer(null, headers, cause.toString()));
                    ctx.close();
                }
            }).get(10, TimeUnit.SECONDS);
            DefaultHttp3HeadersFrame head = new DefaultHttp3HeadersFrame();
            head.headers().method(method).path(path).scheme("https").authority("site.test:"
                    + ((InetSocketAddress) quic.remoteSocketAddress()).getPort());
            for (int i = 0; i < fields.length; i += 2) {
                head.headers().add(fields[i], fields[i + 1]);
            }
            if (body == null) {
                stream.writeAndFlush(head).addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
            } else {
                stream.write(head);
                stream.writeAndFlush(new DefaultHttp3DataFrame(Unpooled.wrappedBuffer(body)))
                        .addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
            }
            return answer.get(30, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            quic.close().syncUninterruptibly();
            udp.close().syncUninterruptibly();
        }
    }
}
