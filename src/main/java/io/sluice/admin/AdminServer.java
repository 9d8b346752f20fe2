package io.sluice.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.sluice.config.AdminConfig;
import io.sluice.config.HostPort;
import io.sluice.config.SluiceConfig;
import io.sluice.metrics.ProxyMetrics;
import io.sluice.upstream.Upstream;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The admin listener: /healthz, /metrics, /api/..., the status page at /; who may change state is
 * {@link AdminGuard}'s to decide.
 *
 * <p>Runs on the event loop group it is given and never blocks it; every answer is built in memory
 * from the registry and the upstreams. {@link #start()} and {@link #close()} are for the thread that
 * owns the server, not for an event loop.
 */
public final class AdminServer implements AutoCloseable {

    static final int MAX_REQUEST_BYTES = 64 * 1024;

    /** What the admin API can ask of the running proxy besides reading: a reload of its file. */
    public interface Reloads {
        /** Starts a reload of the configuration file; completes with its outcome. */
        CompletableFuture<ReloadOutcome> reload();

        /** The last reload attempt, or null when there was none. */
        ReloadOutcome last();

        /** The text of the configuration file in force (as read when it was loaded), or null without one. */
        default String source() {
            return null;
        }

        /** Purges cached responses by path prefix ({@code DELETE /api/cache}); completes with how many. */
        default java.util.concurrent.CompletionStage<Integer> purgeCache(String prefix) {
            return java.util.concurrent.CompletableFuture.completedFuture(0);
        }
    }

    private final HostPort address;
    private final EventLoopGroup group;
    private final AdminHandler handler;
    /** Open admin connections, closed with the server so keep-alive clients do not outlive it. */
    private final ChannelGroup connections = new DefaultChannelGroup("sluice-admin", GlobalEventExecutor.INSTANCE);
    private volatile Channel serverChannel;

    /**
     * @param upstreams the upstreams of the configuration in force, read on every request (a reload
     *                  changes what it returns)
     */
    public AdminServer(HostPort address, EventLoopGroup group, ProxyMetrics metrics,
                       Supplier<Collection<Upstream>> upstreams) {
        this(new AdminConfig(address), group, metrics, upstreams, () -> null, name -> null, System.currentTimeMillis(),
                null);
    }

    /**
     * @param config      the configuration in force, for {@code /api/config}, {@code /api/listeners} and
     *                    {@code /api/routes}
     * @param boundAddress a listener's bound address by name (null when not bound), for {@code /api/listeners}
     * @param startMillis when the process started, for {@code /api/version}'s uptime
     */
    public AdminServer(AdminConfig admin, EventLoopGroup group, ProxyMetrics metrics,
                       Supplier<Collection<Upstream>> upstreams, Supplier<SluiceConfig> config,
                       Function<String, InetSocketAddress> boundAddress, long startMillis, Reloads reloads) {
        this.address = Objects.requireNonNull(admin, "admin").address();
        this.group = Objects.requireNonNull(group, "group");
        this.handler = new AdminHandler(new AdminApi(Objects.requireNonNull(metrics, "metrics"),
                Objects.requireNonNull(upstreams, "upstreams"), Objects.requireNonNull(config, "config"),
                Objects.requireNonNull(boundAddress, "boundAddress"), startMillis, reloads), new AdminGuard(admin));
        metrics.exportJvmMetrics(); // only /metrics reads them: a proxy without an admin server never loads them
    }

    /** Binds, waiting until the socket is listening. */
    public void start() throws InterruptedException {
        if (serverChannel != null) {
            throw new IllegalStateException("admin server already started on " + serverChannel.localAddress());
        }
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(serverChannelClass(group))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        ch.pipeline()
                                .addLast("codec", new HttpServerCodec())
                                .addLast("aggregator", new HttpObjectAggregator(MAX_REQUEST_BYTES))
                                .addLast("admin", handler);
                    }
                });
        serverChannel = bootstrap.bind(address.toSocketAddress()).sync().channel();
    }

    /** The bound address (the real port when the configured port was 0); null before {@link #start()}. */
    public InetSocketAddress localAddress() {
        Channel channel = serverChannel;
        return channel == null ? null : (InetSocketAddress) channel.localAddress();
    }

    /** Stops listening and closes open admin connections; waits unless called from an event loop. */
    @Override
    public void close() {
        Channel channel = serverChannel;
        if (channel == null) {
            return;
        }
        var closed = channel.close();
        var connectionsClosed = connections.close();
        if (!channel.eventLoop().inEventLoop()) {
            closed.awaitUninterruptibly();
            connectionsClosed.awaitUninterruptibly();
        }
    }

    /** The native server channel of the group's transport (epoll or io_uring), NIO otherwise. */
    static Class<? extends ServerChannel> serverChannelClass(EventLoopGroup group) {
        if (group instanceof IoEventLoopGroup ioGroup) {
            if (ioGroup.isIoType(EpollIoHandler.class)) {
                return EpollServerSocketChannel.class;
            }
            if (ioGroup.isIoType(IoUringIoHandler.class)) {
                return IoUringServerSocketChannel.class;
            }
        }
        return NioServerSocketChannel.class;
    }
}
