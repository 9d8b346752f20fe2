package io.sluice.upstream.health;

import io.sluice.balance.Endpoint;
import io.sluice.balance.EndpointState;
import io.sluice.config.Durations;
import io.sluice.config.PassiveConfig;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failures seen on real traffic, with nginx's semantics: {@code max_failures} failures within
 * {@code fail_timeout} (a window opened by the first of them; a success in between starts the count
 * again) take an endpoint out for {@code fail_timeout}, then it is back. Every failure and success also
 * moves the endpoint's effective weight, with or without {@code passive:}.
 *
 * <p>Any thread: the windows are small objects locked one at a time.
 */
public final class PassiveFailureTracker {
    private static final Logger log = LoggerFactory.getLogger(PassiveFailureTracker.class);

    private final String upstream;
    private final PassiveConfig config;
    private final Window[] windows;

    private static final class Window {
        volatile int failures;
        long start;
    }

    /** @param config null when {@code passive:} is off (effective weights still move) */
    public PassiveFailureTracker(String upstream, PassiveConfig config, List<Endpoint> endpoints) {
        this.upstream = upstream;
        this.config = config;
        this.windows = new Window[Endpoint.slots(endpoints)];
        for (Endpoint e : endpoints) {
            windows[e.index()] = new Window();
        }
    }

    /** Whether a response with {@code status} counts as a failure ({@code passive.on_status}). */
    public boolean isFailureStatus(int status) {
        return config != null && config.onStatus().contains(status);
    }

    public void success(Endpoint endpoint) {
        endpoint.succeeded();
        Window w = windows[endpoint.index()];
        if (w.failures != 0) {
            synchronized (w) {
                w.failures = 0;
            }
        }
    }

    /**
     * @param timer runs the end of an ejection
     * @return true when this failure took the endpoint out
     */
    public boolean failure(Endpoint endpoint, ScheduledExecutorService timer) {
        endpoint.failed(config == null ? PassiveConfig.DEFAULTS.maxFailures() : config.maxFailures());
        if (config == null) {
            return false;
        }
        long window = config.failTimeout().toNanos();
        long now = endpoint.nanoTime();
        Window w = windows[endpoint.index()];
        synchronized (w) {
            if (w.failures == 0 || now - w.start > window) {
                w.start = now;
                w.failures = 0;
            }
            if (++w.failures < config.maxFailures()) {
                return false;
            }
            w.failures = 0;
        }
        endpoint.passiveEjectedUntil(now + window);
        EndpointState before = endpoint.setOut(Endpoint.EJECTED, true);
        String failTimeout = Durations.format(config.failTimeout());
        log.info("upstream {} endpoint {}: {} failure(s) within {}: out for {} (state {} -> {})", upstream, endpoint,
                config.maxFailures(), failTimeout, failTimeout, before.label(), endpoint.state().label());
        timer.schedule(() -> endEjection(endpoint), config.failTimeout().toNanos(), TimeUnit.NANOSECONDS);
        return true;
    }

    /** Brings the endpoint back unless a later ejection extended it (then that one's timer does). */
    void endEjection(Endpoint endpoint) {
        if (endpoint.isOut(Endpoint.EJECTED) && endpoint.nanoTime() - endpoint.passiveEjectedUntil() >= -1_000_000) {
            EndpointState before = endpoint.setOut(Endpoint.EJECTED, false);
            log.info("upstream {} endpoint {}: fail_timeout over, passive checks let it back (state {} -> {})",
                    upstream, endpoint, before.label(), endpoint.state().label());
        }
    }
}
