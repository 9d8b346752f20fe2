package io.sluice.tcp;

import io.sluice.upstream.Upstream;

/** What every connection of one tcp listener shares: the upstream in force (swapped by a reload). */
public final class TcpListenerContext {
    private final String name;
    private volatile Upstream upstream;

    public TcpListenerContext(String name, Upstream upstream) {
        this.name = name;
        this.upstream = upstream;
    }

    public String name() {
        return name;
    }

    public Upstream upstream() {
        return upstream;
    }

    public void update(Upstream upstream) {
        this.upstream = upstream;
    }
}
