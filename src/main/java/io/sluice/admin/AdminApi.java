package io.sluice.admin;

import io.sluice.config.SluiceConfig;
import io.sluice.metrics.ProxyMetrics;
import io.sluice.upstream.Upstream;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What the admin API reads besides the metrics registry: the upstreams and the configuration in force,
 * and the process start time. The JSON documents built from them are {@link ApiDocuments}'s. Any thread.
 */
final class AdminApi {
    final ProxyMetrics metrics;
    final Supplier<Collection<Upstream>> upstreams;
    final Supplier<SluiceConfig> config;
    /** A listener's bound address by name; null when it is not bound. */
    final Function<String, InetSocketAddress> boundAddress;
    final long startMillis;
    /** Null when nothing can be reloaded (tests that build an admin server alone). */
    final AdminServer.Reloads reloads;

    AdminApi(ProxyMetrics metrics, Supplier<Collection<Upstream>> upstreams, Supplier<SluiceConfig> config,
             long startMillis) {
        this(metrics, upstreams, config, name -> null, startMillis, null);
    }

    AdminApi(ProxyMetrics metrics, Supplier<Collection<Upstream>> upstreams, Supplier<SluiceConfig> config,
             Function<String, InetSocketAddress> boundAddress, long startMillis, AdminServer.Reloads reloads) {
        this.boundAddress = boundAddress;
        this.reloads = reloads;
        this.metrics = metrics;
        this.upstreams = upstreams;
        this.config = config;
        this.startMillis = startMillis;
    }
}
