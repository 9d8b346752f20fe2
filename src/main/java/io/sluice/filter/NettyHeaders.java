package io.sluice.filter;

import io.netty.handler.codec.http.HttpHeaders;
import io.sluice.filter.api.Headers;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** The API's {@link Headers} over Netty's: a view, not a copy. */
final class NettyHeaders implements Headers {
    private final HttpHeaders headers;

    NettyHeaders(HttpHeaders headers) {
        this.headers = headers;
    }

    @Override
    public String get(String name) {
        return headers.get(name);
    }

    @Override
    public List<String> getAll(String name) {
        return headers.getAll(name);
    }

    @Override
    public boolean contains(String name) {
        return headers.contains(name);
    }

    @Override
    public void set(String name, String value) {
        headers.set(name, value);
    }

    @Override
    public void add(String name, String value) {
        headers.add(name, value);
    }

    @Override
    public void remove(String name) {
        headers.remove(name);
    }

    @Override
    public Iterator<Map.Entry<String, String>> iterator() {
        return headers.iteratorAsString();
    }

    @Override
    public String toString() {
        return headers.toString();
    }
}
