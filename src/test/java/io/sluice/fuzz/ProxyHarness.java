package io.sluice.fuzz;

import io.netty.buffer.ByteBuf;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.local.LocalServerChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.sluice.accept.HttpListenerInitializer;
import io.sluice.accept.ListenerContext;
import io.sluice.balance.Endpoint;
import io.sluice.config.ConfigLoader;
import io.sluice.config.ListenerConfig;
import io.sluice.config.ResolverConfig;
import io.sluice.config.RouteConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.metrics.ProxyMetrics;
import io.sluice.observe.Observability;
import io.sluice.route.Route;
import io.sluice.route.RouteTable;
import io.sluice.upstream.BufferBudget;
import io.sluice.upstream.EmbeddedUpstreams;
import io.sluice.upstream.EndpointResolver;
import io.sluice.upstream.Upstream;
import io.sluice.upstream.UpstreamConnector;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Sluice's real client-side pipeline ({@link HttpListenerInitializer}: preface sniffing, the HTTP/1.1
 * decoder and encoder, HTTP/2, DownstreamHandler, routing, forwarding) on an {@link EmbeddedChannel}, with
 * upstream connections that are embedded channels too (real client codec and UpstreamHandler, taken from
 * the pool as kept-alive connections). No socket, no thread, no clock: one input runs the same way every
 * time, thousands of times a second.
 *
 * <p>The upstream side is an origin server that believes what it reads: it parses everything the proxy
 * sends it with {@link UpstreamRequestParser} and answers each complete request. Anything it cannot parse,
 * or bytes after a complete request that was not yet answered (a request smuggled inside another), fails
 * the run. So do an exception that leaves the pipeline, a warning logged with an exception, and a buffer
 * not released when the connection is gone (every buffer the connections allocate is tracked).
 */
final class ProxyHarness {
    static final String CONFIG = """
            server:
              max_request_head: 4KiB
            listeners:
              - name: fuzz
                address: 127.0.0.1:0
                routes:
                  - match: { path_prefix: /local/ }
                    respond: { status: 200, body: "local\\n" }
                  - upstream: app
            upstreams:
              app:
                endpoints:
                  - { address: "127.0.0.1:9" }
            """;
    private static final byte[] RESPONSE = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-upstream: yes\r\n\r\nok"
            .getBytes(StandardCharsets.ISO_8859_1);
    /** Idle upstream connections kept in the pool, more than the requests one step can start. */
    private static final int POOLED = 8;

    private static ProxyHarness shared;

    private final HttpListenerInitializer initializer;
    private final Upstream upstream;
    private final Endpoint endpoint;

    private ProxyHarness() throws Exception {
        SluiceConfig config = ConfigLoader.parse(CONFIG, Path.of("fuzz.yaml"), Map.of());
        // Never used while the pool holds a connection; if it ran dry, a connect on the embedded loop fails (502).
        EndpointResolver resolver = new EndpointResolver(ResolverConfig.DEFAULTS, NioDatagramChannel.class,
                NioSocketChannel.class, List.of());
        UpstreamConnector connector = new UpstreamConnector(NioSocketChannel.class, resolver,
                new BufferBudget(config.server().bufferBudget()));
        ProxyMetrics metrics = new ProxyMetrics();
        upstream = new Upstream(config.upstreams().get("app"), connector, metrics, Map.of());
        endpoint = upstream.endpoints().get(0);
        ListenerConfig listener = config.listeners().get(0);
        List<Route> routes = new ArrayList<>();
        for (RouteConfig route : listener.routes()) {
            routes.add(new Route(route, route.upstream() == null ? null : upstream));
        }
        ListenerContext context = new ListenerContext(listener.name(), false, new RouteTable(routes),
                config.server().maxRequestHead(), new Observability(metrics));
        context.clientTimeouts(config.server().clientTimeouts());
        initializer = new HttpListenerInitializer(context, new DefaultChannelGroup(GlobalEventExecutor.INSTANCE));
        LogWatch.install();
    }

    /** One harness per JVM: building routes and upstreams is the slow part; connections are per run. */
    static synchronized ProxyHarness get() {
        if (shared == null) {
            try {
                shared = new ProxyHarness();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return shared;
    }

    Connection connect() {
        return new Connection();
    }

    /** One client connection and the upstream connections its requests use. */
    final class Connection implements AutoCloseable {
        final TrackingAllocator alloc = new TrackingAllocator();
        final ClientChannel client;
        private final List<UpstreamSide> upstreams = new ArrayList<>();
        private final ByteArrayOutputStream toClient = new ByteArrayOutputStream();
        private int requestsUpstream;

        Connection() {
            LogWatch.clear();
            client = new ClientChannel(initializer);
            client.config().setAllocator(alloc);
            client.freezeTime(); // client timeouts and parking never fire: the same input always runs the same way
            topUp();
        }

        /** Sends {@code bytes} from the client and lets everything that follows happen. */
        void send(byte[] bytes) {
            if (!client.isOpen()) {
                return;
            }
            ByteBuf buf = alloc.heapBuffer(bytes.length);
            buf.writeBytes(bytes);
            client.writeInbound(buf); // rethrows an exception that reached the end of the pipeline
            pump();
        }

        /** Runs tasks and lets the upstream answer, until nothing moves any more. */
        void pump() {
            for (int round = 0; round < 1000; round++) {
                client.runPendingTasks();
                client.checkException();
                boolean moved = drainClient();
                for (int i = 0; i < upstreams.size(); i++) {
                    moved |= upstreams.get(i).serve();
                }
                topUp();
                if (!moved) {
                    return;
                }
            }
            throw new AssertionError("the connection never settles");
        }

        private boolean drainClient() {
            boolean moved = false;
            Object msg;
            while ((msg = client.readOutbound()) != null) {
                moved = true;
                if (msg instanceof ByteBuf buf) {
                    byte[] bytes = new byte[buf.readableBytes()];
                    buf.readBytes(bytes);
                    toClient.writeBytes(bytes);
                }
                ReferenceCountUtil.release(msg);
            }
            return moved;
        }

        private void topUp() {
            while (EmbeddedUpstreams.idle(upstream, endpoint) < POOLED) {
                upstreams.add(new UpstreamSide(EmbeddedUpstreams.park(upstream, endpoint, alloc)));
            }
        }

        /** Every byte the upstream connections received. */
        int bytesUpstream() {
            int n = 0;
            for (UpstreamSide u : upstreams) {
                n += u.received.size();
            }
            return n;
        }

        /** Everything the upstream connections received, as text. */
        String upstreamBytes() {
            StringBuilder sb = new StringBuilder();
            for (UpstreamSide u : upstreams) {
                sb.append(u.received.toString(StandardCharsets.ISO_8859_1));
            }
            return sb.toString();
        }

        int requestsUpstream() {
            return requestsUpstream;
        }

        List<UpstreamRequestParser.Request> requests() {
            List<UpstreamRequestParser.Request> all = new ArrayList<>();
            for (UpstreamSide u : upstreams) {
                all.addAll(u.requests);
            }
            return all;
        }

        String responses() {
            return toClient.toString(StandardCharsets.ISO_8859_1);
        }

        /** The client goes away; then no buffer may still be held and nothing may have been logged as a failure. */
        @Override
        public void close() {
            try {
                // The client's socket closes (as a FIN or RST would), not a close asked through the pipeline:
                // that one waits, on h2, for the open streams to finish (a timer, and time is frozen here).
                client.unsafe().close(client.voidPromise());
                pump();
                client.finishAndReleaseAll();
                for (UpstreamSide u : upstreams) {
                    u.channel.finishAndReleaseAll();
                }
            } finally {
                EmbeddedUpstreams.clear(upstream, endpoint);
            }
            String leaks = alloc.unreleased();
            if (leaks != null) {
                throw new AssertionError(leaks);
            }
            LogWatch.check();
        }

        /** One upstream connection as an origin server sees it. */
        private final class UpstreamSide {
            final EmbeddedChannel channel;
            final ByteArrayOutputStream received = new ByteArrayOutputStream();
            final List<UpstreamRequestParser.Request> requests = new ArrayList<>();
            int parsed;

            UpstreamSide(EmbeddedChannel channel) {
                this.channel = channel;
            }

            /** Takes what the proxy wrote; answers a complete request. True when anything happened. */
            boolean serve() {
                boolean moved = false;
                Object msg;
                while ((msg = channel.readOutbound()) != null) {
                    moved = true;
                    if (msg instanceof ByteBuf buf) {
                        byte[] bytes = new byte[buf.readableBytes()];
                        buf.readBytes(bytes);
                        received.writeBytes(bytes);
                    }
                    ReferenceCountUtil.release(msg);
                }
                byte[] all = received.toByteArray();
                if (parsed < all.length) {
                    UpstreamRequestParser.Result r = UpstreamRequestParser.parse(all, parsed, all.length);
                    if (r.malformed()) {
                        throw new AssertionError("the upstream received a request it cannot parse: " + r.violation()
                                + "\n--- bytes from offset " + parsed + ":\n" + Escape.bytes(all, parsed));
                    }
                    if (r.complete()) {
                        if (r.end() != all.length) {
                            throw new AssertionError("the upstream received bytes after a complete request it has"
                                    + " not answered (a smuggled request):\n" + Escape.bytes(all, parsed));
                        }
                        parsed = r.end();
                        requests.add(r.request());
                        requestsUpstream++;
                        if (channel.isOpen()) {
                            ByteBuf response = alloc.heapBuffer(RESPONSE.length).writeBytes(RESPONSE);
                            channel.writeInbound(response);
                        }
                        moved = true;
                    }
                }
                channel.runPendingTasks();
                channel.checkException();
                return moved;
            }
        }
    }

    /**
     * An embedded client connection as an accepted one looks: a server channel as its parent (Netty's HTTP/2
     * multiplexer tells server from client by it) and the socket addresses of a TCP connection.
     */
    static final class ClientChannel extends EmbeddedChannel {
        private static final InetSocketAddress REMOTE = new InetSocketAddress("127.0.0.1", 40000);
        private static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 8080);
        private static final LocalServerChannel SERVER = new LocalServerChannel();

        ClientChannel(HttpListenerInitializer initializer) {
            super(SERVER, DefaultChannelId.newInstance(), true, false, initializer);
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return isActive() ? REMOTE : null;
        }

        @Override
        protected SocketAddress localAddress0() {
            return isActive() ? LOCAL : null;
        }
    }
}
