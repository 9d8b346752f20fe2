package io.sluice.upstream.health;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.balance.Endpoint;
import io.sluice.config.HealthCheckConfig;
import io.sluice.upstream.EndpointResolver;
import io.sluice.upstream.Upstream;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The process's endpoint supervision, beside the request path: one {@link ActiveHealthChecker} per
 * endpoint of every upstream with {@code health_check:}, and the slow-start timer that moves effective
 * weights ({@link #TICK_MILLIS} apart). {@link #update} is called with the upstreams in force after
 * start and after each reload: checkers of endpoints that stay keep running, those of endpoints that
 * left stop. Called from the control thread; the checkers run on the proxy's event loops.
 */
public final class HealthService implements AutoCloseable {
    /** Slow start moves four times a second. */
    static final long TICK_MILLIS = 250;

    private final EventLoopGroup loops;
    private final Class<? extends SocketChannel> channelClass;
    private final EndpointResolver resolver;
    private final Supplier<? extends Collection<Upstream>> upstreams;
    private Map<Endpoint, ActiveHealthChecker> checkers = new IdentityHashMap<>();
    private ScheduledFuture<?> ticker;

    public HealthService(EventLoopGroup loops, Class<? extends SocketChannel> channelClass, EndpointResolver resolver,
                         Supplier<? extends Collection<Upstream>> upstreams) {
        this.loops = loops;
        this.channelClass = channelClass;
        this.resolver = resolver;
        this.upstreams = upstreams;
    }

    /** Starts, keeps or stops checkers to match {@code current}; starts the slow-start timer once. */
    public synchronized void update(Collection<Upstream> current) {
        Map<Endpoint, ActiveHealthChecker> next = new IdentityHashMap<>();
        for (Upstream upstream : current) {
            HealthCheckConfig config = upstream.config().healthCheck();
            if (config == null) {
                continue;
            }
            for (Endpoint endpoint : upstream.endpoints()) {
                ActiveHealthChecker checker = checkers.remove(endpoint);
                if (checker == null) {
                    checker = new ActiveHealthChecker(upstream.name(), endpoint, config, loops.next().next(),
                            channelClass, resolver, ThreadLocalRandom.current());
                    checker.proxyHeader(upstream.config().sendProxyProtocol());
                    checker.start();
                } else {
                    checker.update(upstream.name(), config);
                }
                checker.proxyHeader(upstream.config().sendProxyProtocol());
                next.put(endpoint, checker);
            }
        }
        checkers.values().forEach(ActiveHealthChecker::stop);
        checkers = next;
        if (ticker == null) {
            ticker = loops.next().scheduleAtFixedRate(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void tick() {
        for (Upstream upstream : upstreams.get()) {
            if (!upstream.config().slowStart().isZero()) {
                List<Endpoint> endpoints = upstream.endpoints();
                for (int i = 0; i < endpoints.size(); i++) {
                    endpoints.get(i).tick();
                }
            }
        }
    }

    @Override
    public synchronized void close() {
        checkers.values().forEach(ActiveHealthChecker::stop);
        checkers = new IdentityHashMap<>();
        if (ticker != null) {
            ticker.cancel(false);
            ticker = null;
        }
    }
}
