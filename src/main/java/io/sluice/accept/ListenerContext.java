package io.sluice.accept;

import io.netty.util.AsciiString;
import io.sluice.config.ClientTimeoutsConfig;
import io.sluice.metrics.ProxyMetrics;
import io.sluice.observe.Observability;
import io.sluice.observe.RequestObserver;
import io.sluice.route.RouteTable;

/**
 * What every connection of one listener shares: the routes in force (swapped whole by a reload; a
 * request keeps the table it started with), the scheme for X-Forwarded-Proto, and the shutdown flag.
 */
public final class ListenerContext {
    private final String name;
    private final AsciiString scheme;
    private final ProxyMetrics.RequestMetrics localReplies;
    private volatile RouteTable routes;
    private volatile int maxRequestHead;
    private volatile boolean draining;
    private final RequestObserver observer;
    private volatile int httpsRedirectPort = -1;
    private volatile ClientTimeouts clientTimeouts = new ClientTimeouts(ClientTimeoutsConfig.DEFAULTS);
    /** {@code proxy_protocol_from} when {@code proxy_protocol: true} (empty: every peer); null when off. */
    private volatile java.util.List<io.sluice.config.Cidr> proxyProtocolFrom;
    /** {@code forward_proxy}: the listener forwards to destinations its clients name; null otherwise. */
    private volatile io.sluice.forward.ForwardProxy forwardProxy;

    public ListenerContext(String name, boolean tls, RouteTable routes, int maxRequestHead, ProxyMetrics metrics) {
        this(name, tls, routes, maxRequestHead, new Observability(metrics));
    }

    public ListenerContext(String name, boolean tls, RouteTable routes, int maxRequestHead,
                           Observability observability) {
        ProxyMetrics metrics = observability.metrics();
        this.observer = observability.observer(name);
        this.name = name;
        this.scheme = AsciiString.cached(tls ? "https" : "http");
        this.routes = routes;
        this.maxRequestHead = maxRequestHead;
        this.localReplies = metrics.requests("", "");
    }

    public String name() {
        return name;
    }

    public AsciiString scheme() {
        return scheme;
    }

    /** The port the listener is bound to, as X-Forwarded-Port writes it; null before it is bound. */
    private volatile AsciiString port;

    public AsciiString port() {
        return port;
    }

    public void port(int port) {
        this.port = AsciiString.cached(Integer.toString(port));
    }

    public RouteTable routes() {
        return routes;
    }

    public void update(RouteTable routes, int maxRequestHead) {
        this.routes = routes;
        this.maxRequestHead = maxRequestHead;
    }

    /** {@code redirect_to_https}: the https port every request is sent to with 308, or -1 when off. */
    public int httpsRedirectPort() {
        return httpsRedirectPort;
    }

    public void httpsRedirectPort(int port) {
        this.httpsRedirectPort = port;
    }

    /** {@code Alt-Svc} for every response while the listener also serves HTTP/3 ({@code h3=":PORT"}); else null. */
    private volatile String altSvc;

    public String altSvc() {
        return altSvc;
    }

    public void altSvc(String value) {
        this.altSvc = value;
    }

    public int maxRequestHead() {
        return maxRequestHead;
    }

    /** {@code server.client_timeouts}, read when a connection's timer fires (so a reload applies to every connection). */
    public ClientTimeouts clientTimeouts() {
        return clientTimeouts;
    }

    public void clientTimeouts(ClientTimeoutsConfig config) {
        this.clientTimeouts = new ClientTimeouts(config);
    }

    /** The client timeouts in nanoseconds, as the timer uses them. */
    public record ClientTimeouts(long idle, long requestHead, long requestBody, long send) {
        ClientTimeouts(ClientTimeoutsConfig c) {
            this(c.idle().toNanos(), c.requestHead().toNanos(), c.requestBody().toNanos(), c.send().toNanos());
        }
    }

    /** The peers that send a PROXY protocol header (empty: all of them), or null when the listener takes none. */
    public java.util.List<io.sluice.config.Cidr> proxyProtocolFrom() {
        return proxyProtocolFrom;
    }

    public void proxyProtocol(boolean on, java.util.List<io.sluice.config.Cidr> from) {
        this.proxyProtocolFrom = on ? from : null;
    }

    public io.sluice.forward.ForwardProxy forwardProxy() {
        return forwardProxy;
    }

    public void forwardProxy(io.sluice.forward.ForwardProxy forwardProxy) {
        this.forwardProxy = forwardProxy;
    }

    /** The recorder for answers that did not come from an upstream. */
    public ProxyMetrics.RequestMetrics localReplies() {
        return localReplies;
    }

    /** Route metrics, access log and tracing for this listener's requests. */
    public RequestObserver observer() {
        return observer;
    }

    public boolean draining() {
        return draining;
    }

    /** From now on every response closes its connection. */
    public void drain() {
        draining = true;
    }
}
