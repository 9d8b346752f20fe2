package io.sluice.filter.cache;

import io.sluice.filter.api.Headers;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A copy of a request's fields as the client sent them, taken when the request goes upstream: the variant a
 * response with {@code Vary} is stored under must come from the values the lookup used, and by the time the
 * response is stored the proxy has changed the request's own fields in place (the route's
 * {@code request_headers}, {@code X-Forwarded-*}, hop-by-hop removal). Read-only.
 */
public final class RequestFields implements Headers {
    private final List<Map.Entry<String, String>> fields;

    private RequestFields(List<Map.Entry<String, String>> fields) {
        this.fields = fields;
    }

    public static RequestFields copyOf(Headers headers) {
        List<Map.Entry<String, String>> copy = new ArrayList<>();
        for (Map.Entry<String, String> h : headers) {
            copy.add(Map.entry(h.getKey(), h.getValue()));
        }
        return new RequestFields(copy);
    }

    @Override
    public String get(String name) {
        return Fields.first(fields, name);
    }

    @Override
    public List<String> getAll(String name) {
        return Fields.all(fields, name);
    }

    @Override
    public boolean contains(String name) {
        return get(name) != null;
    }

    @Override
    public void set(String name, String value) {
        throw new UnsupportedOperationException("a copy of the request's fields is read-only");
    }

    @Override
    public void add(String name, String value) {
        throw new UnsupportedOperationException("a copy of the request's fields is read-only");
    }

    @Override
    public void remove(String name) {
        throw new UnsupportedOperationException("a copy of the request's fields is read-only");
    }

    @Override
    public Iterator<Map.Entry<String, String>> iterator() {
        return fields.iterator();
    }
}
