package io.sluice.config;

import java.net.InetSocketAddress;

/** A {@code host:port} pair as written in the file; {@code [::1]:8080} keeps the host without brackets. */
public record HostPort(String host, int port) {

    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
