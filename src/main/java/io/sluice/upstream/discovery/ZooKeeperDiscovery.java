package io.sluice.upstream.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.DiscoveryConfig;
import io.sluice.config.EndpointConfig;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The endpoints of one upstream's {@code discovery.zookeeper}: Apache Curator watches the children of the node
 * (the observer pattern of the design notes), on Curator's own threads. Each child is one endpoint: its name is
 * {@code host:port} or {@code host:port,weight}, or its data is a Curator service instance (JSON with
 * {@code address} and {@code port}). Every change hands the whole new list to {@code onChange}.
 *
 * <p>When ZooKeeper cannot be reached the last list stays (Curator's cache keeps what it had), the log says so
 * and {@link #connected()} is false; Curator reconnects by itself and the watch goes on. A watch starts with the
 * list it is given (the last one of the watch it replaces) and hands on its own only once Curator has read the
 * whole node: not one change per child while the first read goes on, and no empty list while ZooKeeper is away.
 * A child that names no usable endpoint is left out with a warning; the others apply.
 */
public final class ZooKeeperDiscovery implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ZooKeeperDiscovery.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CONNECT_TIMEOUT_MS = 5_000;

    private final String upstream;
    private final DiscoveryConfig config;
    private final Consumer<List<EndpointConfig>> onChange;
    private final CuratorFramework client;
    private final CuratorCache cache;
    private volatile List<EndpointConfig> endpoints;
    private volatile boolean connected;
    private volatile boolean everConnected;
    private volatile boolean closed;
    /** Whether Curator has read the node once; until then the seed list stands. */
    private boolean initialized;

    private ZooKeeperDiscovery(String upstream, DiscoveryConfig config, List<EndpointConfig> seed,
                               Consumer<List<EndpointConfig>> onChange) {
        this.upstream = upstream;
        this.config = config;
        this.endpoints = List.copyOf(seed);
        this.onChange = onChange;
        this.client = CuratorFrameworkFactory.builder().connectString(config.connect())
                .retryPolicy(new ExponentialBackoffRetry(200, 29, 5_000))
                .connectionTimeoutMs(CONNECT_TIMEOUT_MS).sessionTimeoutMs(15_000).build();
        this.cache = CuratorCache.build(client, config.path());
    }

    /**
     * Starts watching (connecting in the background) with {@code seed} as the endpoints until the node is read;
     * {@code onChange} gets each new list, on Curator's thread.
     */
    public static ZooKeeperDiscovery start(String upstream, DiscoveryConfig config, List<EndpointConfig> seed,
                                           Consumer<List<EndpointConfig>> onChange) {
        ZooKeeperDiscovery d = new ZooKeeperDiscovery(upstream, config, seed, onChange);
        d.client.getConnectionStateListenable().addListener((c, state) -> d.stateChanged(state));
        d.cache.listenable().addListener(CuratorCacheListener.builder().forAll((type, before, after) -> d.refresh(false))
                .forInitialized(() -> d.refresh(true)).build());
        d.client.start();
        d.cache.start();
        // Curator reports no state until a first connection: say so if there is none after the connect timeout
        java.util.concurrent.CompletableFuture.delayedExecutor(CONNECT_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)
                .execute(d::warnIfNeverConnected);
        return d;
    }

    public DiscoveryConfig config() {
        return config;
    }

    /** The endpoints the node has now (the last known ones while ZooKeeper is away). */
    public List<EndpointConfig> endpoints() {
        return endpoints;
    }

    /** Whether the ZooKeeper session is up now. */
    public boolean connected() {
        return connected;
    }

    private void warnIfNeverConnected() {
        if (!connected && !closed && !everConnected) {
            log.warn("upstream '{}': ZooKeeper {} cannot be reached yet; keeping the {} endpoints it had, trying on",
                    upstream, config.connect(), endpoints.size());
        }
    }

    private void stateChanged(ConnectionState state) {
        boolean up = state.isConnected();
        if (up != connected) {
            if (up) {
                log.info("upstream '{}': ZooKeeper {} reached; following {}", upstream, config.connect(), config.path());
            } else {
                log.warn("upstream '{}': ZooKeeper {} cannot be reached ({}); keeping the last {} endpoints", upstream,
                        config.connect(), state, endpoints.size());
            }
        }
        connected = up;
        everConnected |= up;
    }

    private synchronized void refresh(boolean firstRead) {
        initialized |= firstRead;
        if (!initialized) {
            return; // the first read is still going on: its end hands on the whole list once
        }
        Map<String, EndpointConfig> found = new LinkedHashMap<>();
        String prefix = config.path().equals("/") ? "/" : config.path() + "/";
        for (ChildData child : cache.stream().toList()) {
            String path = child.getPath();
            if (!path.startsWith(prefix) || path.indexOf('/', prefix.length()) >= 0 || path.length() == prefix.length()) {
                continue; // the node itself, or a grandchild
            }
            EndpointConfig e = endpoint(path.substring(prefix.length()), child.getData());
            if (e == null) {
                log.warn("upstream '{}': ZooKeeper child {} names no endpoint (expected host:port, host:port,weight or"
                        + " a service instance with address and port); left out", upstream, path);
            } else {
                found.putIfAbsent(e.address(), e);
            }
        }
        List<EndpointConfig> next = List.copyOf(found.values());
        if (!next.equals(endpoints)) {
            endpoints = next;
            log.info("upstream '{}': {} endpoints from ZooKeeper {}", upstream, next.size(), config.path());
            onChange.accept(next);
        }
    }

    /**
     * A child's endpoint: from its data when that is a Curator service instance, else from its name; null when
     * neither names one that can be connected to (ZooKeeper's data is not checked like a config file: one bad
     * child must not stop the others from applying).
     */
    static EndpointConfig endpoint(String name, byte[] data) {
        EndpointConfig e;
        try {
            e = parse(name, data);
            if (e != null) {
                io.sluice.balance.Endpoint.socketAddress(e.host(), e.port()); // e.g. an IPv6 zone that is not there
            }
        } catch (IllegalArgumentException bad) {
            return null;
        }
        return e;
    }

    private static EndpointConfig parse(String name, byte[] data) {
        if (data != null && data.length > 0 && data[0] == '{') {
            try {
                JsonNode instance = JSON.readTree(new String(data, StandardCharsets.UTF_8));
                String address = instance.path("address").asText("");
                int port = instance.path("port").asInt(-1);
                if (!address.isEmpty() && port > 0 && port < 65536) {
                    return io.sluice.config.Addresses.endpoint(hostPort(address, port), 1);
                }
            } catch (java.io.IOException e) {
                // not JSON after all: the name says
            }
        }
        String[] parts = name.split(",", -1);
        if (parts.length > 2) {
            return null;
        }
        int weight = 1;
        if (parts.length == 2) {
            try {
                weight = Integer.parseInt(parts[1].strip());
            } catch (NumberFormatException e) {
                return null;
            }
            if (weight < 1 || weight > 1000) {
                return null;
            }
        }
        String address = parts[0].strip();
        try {
            return io.sluice.config.Addresses.endpoint(address, weight);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String hostPort(String host, int port) {
        return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public void close() {
        closed = true;
        cache.close();
        client.close();
    }

    @Override
    public String toString() {
        return "zookeeper " + config.connect() + " " + config.path() + " for " + upstream;
    }
}
