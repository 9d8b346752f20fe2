package io.sluice.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Upgraded connections (WebSocket, anything answered 101) become byte tunnels through the proxy. */
class FlowUpgradeTest {
    private static final String YAML = """
            listeners:
              - name: main
                address: 127.0.0.1:0
                routes:
                  - upstream: app
            upstreams:
              app:
                endpoints:
                  - { address: "${UP1}" }
            """;

    @Test
    void webSocketMessagesAreEchoedThroughTheProxy() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024),
                                    new WebSocketServerProtocolHandler("/ws"),
                                    new WebSocketFrameAggregator(1024 * 1024), // the JDK client sends 16 KiB fragments
                                    new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                                        @Override
                                        protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame f) {
                                            ctx.writeAndFlush(new TextWebSocketFrame("echo:" + f.text()));
                                        }
                                    });
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            int upPort = ((InetSocketAddress) server.localAddress()).getPort();
            try (SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", "127.0.0.1:" + upPort))) {
                LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
                WebSocket.Listener listener = new WebSocket.Listener() {
                    private final StringBuilder partial = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                        partial.append(data);
                        if (last) {
                            got.add(partial.toString());
                            partial.setLength(0);
                        }
                        ws.request(1);
                        return null;
                    }
                };
                WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                        .buildAsync(URI.create("ws://127.0.0.1:" + sluice.port("main") + "/ws"), listener)
                        .get(60, TimeUnit.SECONDS);
                for (int i = 0; i < 3; i++) {
                    ws.sendText("hello " + i, true).get(60, TimeUnit.SECONDS);
                    assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("echo:hello " + i);
                }
                String big = "x".repeat(20_000);
                ws.sendText(big, true).get(60, TimeUnit.SECONDS);
                String echoed = got.poll(10, TimeUnit.SECONDS);
                assertThat(echoed).as("echo of a 20000-character message").isNotNull();
                assertThat(echoed.length()).isEqualTo(big.length() + 5);
                assertThat(echoed).isEqualTo("echo:" + big);
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(60, TimeUnit.SECONDS);
            }
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void anyUpgradeAnswered101RelaysBytesBothWays() throws Exception {
        try (RawServer up = new RawServer((socket, i) -> {
            InputStream in = socket.getInputStream();
            String head = RawServer.readHead(in);
            assertThat(head).containsIgnoringCase("upgrade: foo");
            OutputStream out = socket.getOutputStream();
            out.write(("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n"
                    + "hello-from-upstream\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] ping = in.readNBytes(5);
            out.write(("got:" + new String(ping, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            in.read(); // until the client side closes
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            client.send("GET /tunnel HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n");
            InputStream in = client.socket().getInputStream();
            String head = RawServer.readHead(in);
            assertThat(head).startsWith("HTTP/1.1 101");
            assertThat(head).containsIgnoringCase("upgrade: foo");
            assertThat(new String(in.readNBytes(20), StandardCharsets.US_ASCII)).isEqualTo("hello-from-upstream\n");
            client.send("ping\n");
            assertThat(new String(in.readNBytes(9), StandardCharsets.US_ASCII)).isEqualTo("got:ping\n");
        }
    }

    /** An upgraded exchange is one access-log line, written when its tunnel closes (found by a review: none was). */
    @Test
    void anUpgradedExchangeIsLoggedWhenItsTunnelCloses(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path log = dir.resolve("access.log");
        String yaml = YAML + "access_log: { format: json, path: \"" + log + "\", fields: [uri, status] }\n";
        try (RawServer up = new RawServer((socket, i) -> {
            InputStream in = socket.getInputStream();
            RawServer.readHead(in);
            OutputStream out = socket.getOutputStream();
            out.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\nhi\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            in.read(); // until the client side closes
        }); SluiceUnderTest sluice = SluiceUnderTest.start(yaml, Map.of("UP1", up.address()))) {
            try (RawHttp client = new RawHttp(sluice.port("main"))) {
                client.send("GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n");
                InputStream in = client.socket().getInputStream();
                assertThat(RawServer.readHead(in)).startsWith("HTTP/1.1 101");
                assertThat(new String(in.readNBytes(3), StandardCharsets.US_ASCII)).isEqualTo("hi\n");
            }
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() ->
                    java.nio.file.Files.exists(log) && java.nio.file.Files.readString(log).contains("/ws"));
            assertThat(java.nio.file.Files.readAllLines(log)).containsExactly("{\"uri\":\"/ws\",\"status\":101}");
        }
    }

    /**
     * An upgraded exchange holds its concurrency_limit slot while its tunnel is open and gives it back when the
     * tunnel closes (found by a review: the slot was never given back, and the route answered 503 for ever).
     */
    @Test
    void anUpgradeGivesItsConcurrencySlotBackWhenItsTunnelCloses() throws Exception {
        String yaml = YAML.replace("  - upstream: app\n",
                "  - upstream: app\n        filters: [ { concurrency_limit: { max: 1, queue: 0 } } ]\n");
        try (RawServer up = new RawServer((socket, i) -> {
            InputStream in = socket.getInputStream();
            RawServer.readHead(in);
            socket.getOutputStream().write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            in.read(); // until the client side closes
        }); SluiceUnderTest sluice = SluiceUnderTest.start(yaml, Map.of("UP1", up.address()))) {
            String upgrade = "GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n";
            try (RawHttp first = new RawHttp(sluice.port("main"))) {
                first.send(upgrade);
                assertThat(RawServer.readHead(first.socket().getInputStream())).startsWith("HTTP/1.1 101");
                try (RawHttp second = new RawHttp(sluice.port("main"))) { // the one slot is the open tunnel's
                    second.send(upgrade);
                    assertThat(RawServer.readHead(second.socket().getInputStream())).startsWith("HTTP/1.1 503");
                }
            }
            // the first tunnel closed: its slot comes back (once its upstream side has closed too)
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
                try (RawHttp next = new RawHttp(sluice.port("main"))) {
                    next.send(upgrade);
                    return RawServer.readHead(next.socket().getInputStream()).startsWith("HTTP/1.1 101");
                }
            });
        }
    }

    @Test
    void bytesSentRightBehindTheUpgradeRequestReachTheUpstream() throws Exception {
        try (RawServer up = new RawServer((socket, i) -> {
            InputStream in = socket.getInputStream();
            RawServer.readHead(in);
            OutputStream out = socket.getOutputStream();
            out.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] early = in.readNBytes(6);
            out.write(("got:" + new String(early, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            in.read();
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            // one write: the request and the first bytes of the new protocol
            client.send("GET /tunnel HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\nearly\n");
            InputStream in = client.socket().getInputStream();
            assertThat(RawServer.readHead(in)).startsWith("HTTP/1.1 101");
            assertThat(new String(in.readNBytes(10), StandardCharsets.US_ASCII)).isEqualTo("got:early\n");
        }
    }

    @Test
    void upgradeDeclinedByTheUpstreamIsAnOrdinaryResponse() throws Exception {
        try (RawServer up = new RawServer((socket, i) -> {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            String head;
            while ((head = RawServer.readHead(in)) != null) {
                String body = head.startsWith("GET /tunnel") ? "no" : "next";
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        }); SluiceUnderTest sluice = SluiceUnderTest.start(YAML, Map.of("UP1", up.address()));
             RawHttp client = new RawHttp(sluice.port("main"))) {
            RawHttp.Response r = client.send("GET /tunnel HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n")
                    .read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.bodyText()).isEqualTo("no");
            RawHttp.Response next = client.send("GET /after HTTP/1.1\r\nHost: t\r\n\r\n").read();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.bodyText()).isEqualTo("next");
        }
    }
}
