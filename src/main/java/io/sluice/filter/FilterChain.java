package io.sluice.filter;

import io.sluice.filter.api.Filter;
import java.util.List;

/**
 * The filters one request passes, compiled once per configuration: the listener's filters, then the
 * route's. Immutable. {@link #EMPTY} is shared by every route without filters, which then pays nothing.
 */
public final class FilterChain {
    public static final FilterChain EMPTY = new FilterChain(new Filter[0], new String[0]);

    private final Filter[] filters;
    private final String[] types;
    private final boolean requestBody;
    private final boolean responseBody;

    private FilterChain(Filter[] filters, String[] types) {
        this.filters = filters;
        this.types = types;
        boolean req = false;
        boolean resp = false;
        for (Filter f : filters) {
            req |= f.wantsRequestBody();
            resp |= f.wantsResponseBody();
        }
        this.requestBody = req;
        this.responseBody = resp;
    }

    /** {@code types[i]} names {@code filters[i]} in log lines. */
    public static FilterChain of(List<Filter> filters, List<String> types) {
        return filters.isEmpty() ? EMPTY
                : new FilterChain(filters.toArray(new Filter[0]), types.toArray(new String[0]));
    }

    /** This chain's filters followed by {@code inner}'s (a listener's chain around a route's). */
    public FilterChain then(FilterChain inner) {
        if (inner.isEmpty()) {
            return this;
        }
        if (isEmpty()) {
            return inner;
        }
        Filter[] f = java.util.Arrays.copyOf(filters, filters.length + inner.filters.length);
        System.arraycopy(inner.filters, 0, f, filters.length, inner.filters.length);
        String[] t = java.util.Arrays.copyOf(types, types.length + inner.types.length);
        System.arraycopy(inner.types, 0, t, types.length, inner.types.length);
        return new FilterChain(f, t);
    }

    public boolean isEmpty() {
        return filters.length == 0;
    }

    public int size() {
        return filters.length;
    }

    Filter get(int i) {
        return filters[i];
    }

    String type(int i) {
        return types[i];
    }

    /** Whether some filter wants the request body parts (else they go straight to the upstream). */
    public boolean wantsRequestBody() {
        return requestBody;
    }

    public boolean wantsResponseBody() {
        return responseBody;
    }
}
