package io.sluice.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.balance.Endpoint;
import io.sluice.config.Durations;
import io.sluice.config.HostPort;
import io.sluice.config.ResolverConfig;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the process finds the address of an endpoint given by name: Netty's DNS client, one
 * {@link DnsAddressResolverGroup} for the process, set on every Bootstrap that connects to an endpoint
 * (HTTP/1.1 and h2 upstreams, tcp relays, active health checks). A lookup never blocks an event loop:
 * queries go out on a datagram channel of the connecting loop. Answers are cached for their TTL (capped
 * by {@code cache_max_ttl}) in one cache every loop shares; /etc/hosts is read first, and /etc/resolv.conf
 * gives the name servers (unless {@code nameservers} is set), the search domains and ndots.
 *
 * <p>A lookup happens only when a connection is opened: a request on a pooled connection looks nothing
 * up, and a record that changed is used by the connections opened after the old answer expired. IP
 * addresses are never looked up ({@link Endpoint#socketAddress()} is resolved already).
 *
 * <p>Made at start; the DNS client itself is built by {@link #prepare} on the control thread, where it also
 * creates each loop's resolver (reading /etc/resolv.conf and /etc/hosts there rather than on a loop), and
 * only once some endpoint has a name; {@link #close} at shutdown.
 */
public final class EndpointResolver implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EndpointResolver.class);
    /** A failing name is logged at WARN at most this often (per host); the other failures at DEBUG. */
    private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final ResolverConfig config;
    private final Class<? extends DatagramChannel> datagramChannelClass;
    private final Class<? extends SocketChannel> socketChannelClass;
    private final Iterable<EventExecutor> loops;
    private volatile DnsAddressResolverGroup group;
    /** Host → when its last lookup failure was logged at WARN (nanoTime). */
    private final ConcurrentHashMap<String, Long> warned = new ConcurrentHashMap<>();

    /**
     * @param loops the event loops that will connect: each gets its resolver now, off the loop
     */
    public EndpointResolver(ResolverConfig config, Class<? extends DatagramChannel> datagramChannelClass,
                            Class<? extends SocketChannel> socketChannelClass, Iterable<EventExecutor> loops) {
        this.config = config;
        this.datagramChannelClass = datagramChannelClass;
        this.socketChannelClass = socketChannelClass;
        this.loops = loops;
    }

    /**
     * Builds the DNS client now, on the calling (control) thread, with each loop's resolver: called at start
     * and on reload when some endpoint has a name or a forward proxy is configured. A proxy whose endpoints
     * are all IP addresses never builds it (Netty's DNS client: about 150 classes and a datagram channel per
     * loop, for lookups it would never make).
     */
    public void prepare() {
        group();
    }

    /** Whether the DNS client has been built (tests). */
    public boolean built() {
        return group != null;
    }

    private static InetSocketAddress[] socketAddresses(List<HostPort> servers) {
        InetSocketAddress[] out = new InetSocketAddress[servers.size()];
        for (int i = 0; i < out.length; i++) {
            HostPort s = servers.get(i);
            // the binder took IP addresses only: parsed, never looked up
            out[i] = new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(s.host()), s.port());
        }
        return out;
    }

    /**
     * The group to set with {@link Bootstrap#resolver}, built on first use when {@link #prepare} was not
     * called (then on the caller's thread, which reads /etc/resolv.conf and /etc/hosts once).
     */
    public AddressResolverGroup<InetSocketAddress> group() {
        DnsAddressResolverGroup g = group;
        if (g == null) {
            synchronized (this) {
                g = group;
                if (g == null) {
                    g = build();
                    group = g;
                }
            }
        }
        return g;
    }

    private DnsAddressResolverGroup build() {
        DnsNameResolverBuilder builder = new DnsNameResolverBuilder()
                .datagramChannelType(datagramChannelClass)
                .socketChannelType(socketChannelClass) // TCP when an answer comes back truncated
                .nameServerProvider(config.nameservers().isEmpty()
                        ? DnsServerAddressStreamProviders.platformDefault()
                        : new SequentialDnsServerAddressStreamProvider(socketAddresses(config.nameservers())));
        if (config.cacheMaxTtl() != null) {
            builder.ttl(0, (int) config.cacheMaxTtl().getSeconds());
        }
        if (config.queryTimeout() != null) {
            builder.queryTimeoutMillis(config.queryTimeout().toMillis());
        }
        DnsAddressResolverGroup g = new DnsAddressResolverGroup(builder);
        for (EventExecutor loop : loops) {
            g.getResolver(loop);
        }
        return g;
    }

    /**
     * Connects {@code bootstrap} (whose group is {@code loop}) to {@code endpoint}, looking its name up
     * first when it has one. {@code timeoutMillis} bounds the lookup and the connect together, so a name
     * server that does not answer costs no more than a peer that does not; the connect on its own is
     * bounded by the bootstrap's {@code CONNECT_TIMEOUT_MILLIS}. A failed lookup fails the future with an
     * {@link UnknownHostException} (as a refused connect fails it with its own exception) and is logged
     * with the host, for {@code upstream}.
     */
    public ChannelFuture connect(Bootstrap bootstrap, EventLoop loop, Endpoint endpoint, String upstream,
                                 long timeoutMillis) {
        InetSocketAddress address = endpoint.socketAddress();
        if (!address.isUnresolved()) {
            return bootstrap.resolver(NoopAddressResolverGroup.INSTANCE).connect(address); // nothing to look up
        }
        ChannelFuture connect = bootstrap.resolver(group()).connect(address);
        if (!connect.isDone() && connect instanceof ChannelPromise promise) {
            ScheduledFuture<?> deadline = loop.schedule(() -> {
                // failing the promise closes the channel (Bootstrap's CLOSE_ON_FAILURE); a lookup that
                // finishes later finds the promise done and connects nothing
                promise.tryFailure(new ConnectTimeoutException("no connection to " + address.getHostString() + ":"
                        + address.getPort() + " within " + Durations.format(Duration.ofMillis(timeoutMillis))
                        + " (name lookup and connect)"));
            }, timeoutMillis, TimeUnit.MILLISECONDS);
            connect.addListener(f -> deadline.cancel(false));
        }
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                lookupFailed(upstream, endpoint, f.cause());
            }
        });
        return connect;
    }

    private void lookupFailed(String upstream, Endpoint endpoint, Throwable cause) {
        if (!(cause instanceof UnknownHostException) && !(cause instanceof ConnectTimeoutException)) {
            return; // the name resolved; the connect itself failed, as with an IP address
        }
        String host = endpoint.host();
        long now = System.nanoTime();
        boolean loud = warned.compute(host,
                (h, last) -> last == null || now - last >= WARN_EVERY_NANOS ? now : last) == now;
        String why = cause instanceof UnknownHostException
                ? "cannot resolve host '" + host + "'" : "host '" + host + "' not reached";
        if (loud) {
            log.warn("upstream {} endpoint {}: {}: {}", upstream, endpoint, why, cause.getMessage());
        } else if (log.isDebugEnabled()) {
            log.debug("upstream {} endpoint {}: {}: {}", upstream, endpoint, why, cause.getMessage());
        }
    }

    /** Closes every loop's resolver (their datagram channels); connects after this fail. */
    @Override
    public synchronized void close() {
        if (group != null) {
            group.close();
        }
    }
}
